import type { ExperimentResult } from '../../core/chaos/types';
import type { CliEntry } from './cliEntry';
import { parseJsonResult, startCli } from './cliProcess';

/** How a run ended: the CLI's exit, the result it printed (if any) and its last stderr line for an error. */
export interface ExperimentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  result?: ExperimentResult;
  /** Why there is no result: the CLI's last line of stderr, or why it could not start. */
  error?: string;
  cancelled: boolean;
}

export interface ExperimentRunOptions {
  file: string;
  cwd: string;
  /** Each line the CLI writes to stderr (its progress). */
  onLine(line: string): void;
  cli?: CliEntry;
  /** After SIGTERM, how long the rollbacks may take before the CLI is killed. */
  rollbackGraceMs?: number;
}

export interface ExperimentRun {
  readonly pid: number | undefined;
  readonly done: Promise<ExperimentExit>;
  /** SIGTERM (the CLI runs its rollbacks), then waits for the exit; SIGKILL only after the grace period. */
  cancel(): Promise<ExperimentExit>;
}

/** `chaos-testing chaos run FILE --json` as a child process: stdout is the result JSON, stderr the progress lines. */
export function startExperiment(options: ExperimentRunOptions): ExperimentRun {
  const run = startCli({ args: ['chaos', 'run', options.file, '--json'], cwd: options.cwd, onLine: options.onLine, cli: options.cli, graceMs: options.rollbackGraceMs });
  const done = run.done.then((exit): ExperimentExit => {
    const result = parseJsonResult<ExperimentResult>(exit.stdout, (v) => typeof v.status === 'string');
    return { code: exit.code, signal: exit.signal, result, cancelled: exit.cancelled, error: result ? undefined : exit.lastLine };
  });
  return {
    pid: run.pid,
    done,
    cancel: async () => {
      await run.cancel();
      return done;
    },
  };
}
