import type { ExperimentResult } from '../../core/chaos/types';
import { startCliTask, type CliTaskExit, type CliTaskRun, type CliTaskSpec } from '../cliTask/cliTerminal';
import type { CliEntry } from './cliEntry';

/** How a run ended: the CLI's exit, the result it printed (if any) and its last stderr line for an error. */
export type ExperimentExit = CliTaskExit<ExperimentResult>;

export interface ExperimentRunOptions {
  file: string;
  cwd: string;
  /** Each line the CLI writes to stderr (its progress). */
  onLine(line: string): void;
  cli?: CliEntry;
  /** After SIGTERM, how long the rollbacks may take before the CLI is killed. */
  rollbackGraceMs?: number;
}

/** A running experiment; `cancel()` is SIGTERM (the CLI runs its rollbacks), SIGKILL only after the grace period. */
export type ExperimentRun = CliTaskRun<ExperimentResult>;

/** The task spec of `chaos-testing chaos run FILE --json`: stdout is the result JSON, stderr the progress lines. */
export function experimentSpec(options: Omit<ExperimentRunOptions, 'onLine'>): CliTaskSpec<ExperimentResult> {
  return {
    args: ['chaos', 'run', options.file, '--json'],
    cwd: options.cwd,
    cli: options.cli,
    graceMs: options.rollbackGraceMs,
    isResult: (v) => typeof v.status === 'string',
  };
}

export function startExperiment(options: ExperimentRunOptions): ExperimentRun {
  return startCliTask(experimentSpec(options), options.onLine);
}
