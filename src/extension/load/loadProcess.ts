import type { LoadResult, LoadSpec, LoadTick } from '../../core/load/types';
import type { CliEntry } from '../chaos/cliEntry';
import { startCli } from '../chaos/cliProcess';

/** How a load run ended: the CLI's exit, its result (a partial one after cancel) and why there is none. */
export interface LoadExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  result?: LoadResult;
  /** Ticks seen. */
  ticks: number;
  /** Why there is no result: the CLI's last line of stderr, or why it could not start. */
  error?: string;
  cancelled: boolean;
}

export interface LoadRunOptions {
  args: string[];
  cwd: string;
  /** The CLI's `start` event: the run as it planned it (defaults filled in) and where its requests come from. */
  onStart?(spec: LoadSpec, mixSource: string): void;
  onTick(tick: LoadTick): void;
  /** Each line of stderr (the CLI's messages). */
  onLine(line: string): void;
  cli?: CliEntry;
  /** After SIGINT, how long the CLI may take to print its partial result before it is killed. */
  graceMs?: number;
}

export interface LoadRun {
  readonly pid: number | undefined;
  readonly done: Promise<LoadExit>;
  /** SIGINT (the CLI closes its sockets and prints the partial result), then waits for the exit. */
  cancel(): Promise<LoadExit>;
}

export function isLoadResult(v: unknown): v is LoadResult {
  const r = v as Partial<LoadResult> | null;
  return !!r && typeof r === 'object' && r.kind === 'load' && Array.isArray(r.timeline) && typeof r.rps === 'number' && !!r.latency && !!r.totals;
}

/** `chaos-testing load … --events` as a child process: stdout is NDJSON (`start`, a `tick` each second, `result` at the end). */
export function startLoad(options: LoadRunOptions): LoadRun {
  let result: LoadResult | undefined;
  let ticks = 0;
  const onStdoutLine = (line: string): void => {
    if (!line.trim()) return;
    let event: { event?: unknown; tick?: LoadTick; result?: unknown; spec?: LoadSpec; mix?: { source?: string } };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      options.onLine(line); // not an event: show it as the CLI wrote it
      return;
    }
    if (event.event === 'start' && event.spec && typeof event.spec.durationMs === 'number') {
      options.onStart?.(event.spec, event.mix?.source ?? '');
    } else if (event.event === 'tick' && event.tick && typeof event.tick.second === 'number') {
      ticks++;
      options.onTick(event.tick);
    } else if (event.event === 'result' && isLoadResult(event.result)) {
      result = event.result;
    }
  };
  const run = startCli({ args: options.args, cwd: options.cwd, onLine: options.onLine, onStdoutLine, cli: options.cli, graceMs: options.graceMs ?? 15_000, cancelSignal: 'SIGINT' });
  const done = run.done.then((exit): LoadExit => ({ code: exit.code, signal: exit.signal, result, ticks, cancelled: exit.cancelled, error: result ? undefined : exit.lastLine }));
  return {
    pid: run.pid,
    done,
    cancel: async () => {
      await run.cancel();
      return done;
    },
  };
}
