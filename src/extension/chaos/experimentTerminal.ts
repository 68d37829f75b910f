import * as path from 'node:path';
import type { ExperimentResult } from '../../core/chaos/types';
import { CliTerminal } from '../cliTask/cliTerminal';
import type { VSCode } from '../types';
import type { CliEntry } from './cliEntry';
import { experimentSpec, type ExperimentExit } from './experimentProcess';

export interface ExperimentTerminalOptions {
  file: string;
  cwd: string;
  /** Called once when the run ended, with what the CLI printed. */
  onFinished(file: string, exit: ExperimentExit): unknown;
  cli?: CliEntry;
  rollbackGraceMs?: number;
}

/**
 * The terminal of a Run Experiment task: runs the CLI, streams its progress lines, and shows a notification with
 * Cancel. Cancel, Ctrl-C in the terminal, and closing the terminal (or Terminate Task) all send SIGTERM, so the
 * CLI's rollbacks run, and wait for it to exit.
 */
export class ExperimentTerminal extends CliTerminal<ExperimentResult> {
  constructor(vscode: VSCode, options: ExperimentTerminalOptions) {
    const { file, cwd } = options;
    super(vscode, {
      ...experimentSpec(options),
      commandLine: `chaos-testing chaos run ${path.relative(cwd, file) || file} --json`,
      progressTitle: `Chaos Testing: running ${path.basename(file)}`,
      cancelNote: 'rolling back…',
      summary,
      onFinished: (exit) => options.onFinished(file, exit),
    });
  }
}

/** The last line of the terminal: what happened, in words. */
export function summary(exit: ExperimentExit): string {
  const r = exit.result;
  if (!r) return `No result: ${exit.error ?? 'the run ended without one'}`;
  const recovery = r.recoveryTimeMs === null ? 'did not recover' : `recovered in ${(r.recoveryTimeMs / 1000).toFixed(2)} s`;
  return `${r.title}: ${r.status}; hypothesis ${r.hypothesisHeld ? 'held' : 'failed'}; ${recovery}.`;
}
