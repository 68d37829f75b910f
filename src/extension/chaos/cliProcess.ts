import { spawn } from 'node:child_process';
import { cliEntry, type CliEntry } from './cliEntry';

/** How a CLI run ended: its exit, what it printed on stdout, and its last stderr line (or why it could not start). */
export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The CLI's last non-empty line of stderr, or why it could not start. */
  lastLine: string;
  cancelled: boolean;
}

export interface CliRunOptions {
  args: string[];
  cwd: string;
  /** Each line the CLI writes to stderr (its progress). */
  onLine(line: string): void;
  cli?: CliEntry;
  /** After the cancel signal, how long the CLI may take to wind down (rollbacks, a partial result) before it is killed. */
  graceMs?: number;
  /** Each line the CLI writes to stdout, as it comes (NDJSON events); stdout is still collected whole. */
  onStdoutLine?(line: string): void;
  /** What Cancel sends (default SIGTERM); SIGINT for a CLI that treats Ctrl-C as "stop and report". */
  cancelSignal?: NodeJS.Signals;
}

export interface CliRun {
  readonly pid: number | undefined;
  readonly done: Promise<CliExit>;
  /** The cancel signal (the CLI stops cleanly), then waits for the exit; SIGKILL only after the grace period. */
  cancel(): Promise<CliExit>;
}

/** Splits a stream's chunks into lines; `flush` gives the unterminated rest. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let pending = '';
  return {
    push: (chunk) => {
      pending += chunk;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    flush: () => {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

/**
 * The `chaos-testing` CLI as a child process, so long work never runs on the extension host's event loop. The host's
 * own Node runs it (`process.execPath` with ELECTRON_RUN_AS_NODE, as the engine child is started).
 */
export function startCli(options: CliRunOptions): CliRun {
  const cli = options.cli ?? cliEntry();
  const child = spawn(process.execPath, [...cli.execArgv, cli.file, ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let lastLine = '';
  let cancelled = false;
  let spawnError: string | undefined;
  const stdoutLines = lineSplitter((line) => options.onStdoutLine?.(line));
  const stderrLines = lineSplitter((line) => {
    if (line.trim()) lastLine = line.trim();
    options.onLine(line);
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    stdout += c;
    if (options.onStdoutLine) stdoutLines.push(c);
  });
  child.stderr.on('data', (c: string) => stderrLines.push(c));
  child.on('error', (e) => (spawnError = `cannot start the chaos-testing CLI: ${e.message}`));
  const done = new Promise<CliExit>((resolve) => {
    child.on('close', (code, signal) => {
      stderrLines.flush();
      stdoutLines.flush();
      resolve({ code, signal, stdout, cancelled, lastLine: spawnError ?? (lastLine || `the CLI exited with ${signal ?? `code ${code}`} and printed nothing`) });
    });
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid,
    done,
    cancel: async () => {
      if (!exited()) {
        cancelled = true;
        child.kill(options.cancelSignal ?? 'SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 60_000);
        void done.finally(() => clearTimeout(timer));
      }
      return done;
    },
  };
}

/** The last JSON object on stdout (the whole of it, else the last line that parses) that passes `accept`. */
export function parseJsonResult<T>(stdout: string, accept: (v: Partial<T>) => boolean): T | undefined {
  const text = stdout.trim();
  if (!text) return undefined;
  for (const candidate of [text, ...text.split('\n').reverse()]) {
    try {
      const v = JSON.parse(candidate) as unknown;
      if (v && typeof v === 'object' && accept(v as Partial<T>)) return v as T;
    } catch {
      // not this one
    }
  }
  return undefined;
}
