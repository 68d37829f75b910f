import { spawn } from 'node:child_process';
import type { ExperimentResult } from '../../core/chaos/types';
import { cliEntry, type CliEntry } from './cliEntry';

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

/**
 * `chaos-testing chaos run FILE --json` as a child process. The extension host's own Node runs it
 * (`process.execPath` with ELECTRON_RUN_AS_NODE, as the engine child is started); stdout is the result JSON,
 * stderr the progress lines.
 */
export function startExperiment(options: ExperimentRunOptions): ExperimentRun {
  const cli = options.cli ?? cliEntry();
  const child = spawn(process.execPath, [...cli.execArgv, cli.file, 'chaos', 'run', options.file, '--json'], {
    cwd: options.cwd,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let pending = '';
  let lastLine = '';
  let cancelled = false;
  let spawnError: string | undefined;
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => {
    pending += c.toString('utf8');
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) emit(line);
  });
  const emit = (line: string): void => {
    if (line.trim()) lastLine = line.trim();
    options.onLine(line);
  };
  child.on('error', (e) => (spawnError = `cannot start the chaos-testing CLI: ${e.message}`));
  const done = new Promise<ExperimentExit>((resolve) => {
    child.on('close', (code, signal) => {
      if (pending) emit(pending);
      const result = parseResult(stdout);
      resolve({ code, signal, result, cancelled, error: result ? undefined : spawnError ?? (lastLine || `the CLI exited with ${signal ?? `code ${code}`} and printed no result`) });
    });
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid,
    done,
    cancel: async () => {
      if (!exited()) {
        cancelled = true;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), options.rollbackGraceMs ?? 60_000);
        void done.finally(() => clearTimeout(timer));
      }
      return done;
    },
  };
}

/** The last line of stdout that is a JSON object with a status: the ExperimentResult. */
function parseResult(stdout: string): ExperimentResult | undefined {
  const text = stdout.trim();
  if (!text) return undefined;
  for (const candidate of [text, ...text.split('\n').reverse()]) {
    try {
      const v = JSON.parse(candidate) as unknown;
      if (v && typeof v === 'object' && typeof (v as ExperimentResult).status === 'string') return v as ExperimentResult;
    } catch {
      // not this one
    }
  }
  return undefined;
}
