import type { VSCode, vscodeTypes } from '../types';
import type { CliEntry } from '../chaos/cliEntry';
import { parseJsonResult, startCli, type CliRun } from '../chaos/cliProcess';

/** How a CLI task ended: the CLI's exit, the JSON result it printed (if any), and why there is none. */
export interface CliTaskExit<T> {
  code: number | null;
  signal: NodeJS.Signals | null;
  result?: T;
  /** Why there is no result: the CLI's last line of stderr, or why it could not start. */
  error?: string;
  cancelled: boolean;
}

export interface CliTaskRun<T> {
  readonly pid: number | undefined;
  readonly done: Promise<CliTaskExit<T>>;
  /** The cancel signal, then waits for the exit; SIGKILL only after the grace period. */
  cancel(): Promise<CliTaskExit<T>>;
}

/** What a task runs: `chaos-testing ARGS` whose stdout is one JSON result, accepted by `isResult`. */
export interface CliTaskSpec<T> {
  args: string[];
  cwd: string;
  isResult(value: Partial<T>): boolean;
  cli?: CliEntry;
  graceMs?: number;
  cancelSignal?: NodeJS.Signals;
}

/** Starts the CLI of a task as a child process: stdout is the result JSON, stderr the progress lines. */
export function startCliTask<T>(spec: CliTaskSpec<T>, onLine: (line: string) => void): CliTaskRun<T> {
  const run: CliRun = startCli({ args: spec.args, cwd: spec.cwd, onLine, cli: spec.cli, graceMs: spec.graceMs, cancelSignal: spec.cancelSignal });
  const done = run.done.then((exit): CliTaskExit<T> => {
    const result = parseJsonResult<T>(exit.stdout, spec.isResult);
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

export interface CliTerminalOptions<T> extends CliTaskSpec<T> {
  /** The first line of the terminal: the command as a person would type it. */
  commandLine: string;
  /** Title of the progress notification. */
  progressTitle: string;
  /** Written when the user cancels: what the CLI does now ("rolling back…"). */
  cancelNote: string;
  /** The last line of the terminal: what happened, in words. */
  summary(exit: CliTaskExit<T>): string;
  /** A progress line as the notification shows it; undefined to keep it out of the notification. */
  progressMessage?(line: string): string | undefined;
  /** Called once when the run ended; the terminal closes after it settles. */
  onFinished(exit: CliTaskExit<T>): unknown;
}

/**
 * The pseudoterminal of a task that runs one CLI verb: streams its progress lines, shows a notification with
 * Cancel. Cancel, Ctrl-C in the terminal, and closing the terminal (or Terminate Task) all send the cancel signal
 * and wait for the CLI to exit; the terminal's exit code is the CLI's.
 */
export class CliTerminal<T> implements vscodeTypes.Pseudoterminal {
  private readonly _write: vscodeTypes.EventEmitter<string>;
  private readonly _close: vscodeTypes.EventEmitter<number>;
  readonly onDidWrite: vscodeTypes.Event<string>;
  readonly onDidClose: vscodeTypes.Event<number>;
  private _run: CliTaskRun<T> | undefined;

  constructor(protected readonly _vscode: VSCode, private readonly _spec: CliTerminalOptions<T>) {
    this._write = new _vscode.EventEmitter<string>();
    this._close = new _vscode.EventEmitter<number>();
    this.onDidWrite = this._write.event;
    this.onDidClose = this._close.event;
  }

  /** The running CLI, once the terminal opened. */
  get run(): CliTaskRun<T> | undefined {
    return this._run;
  }

  open(): void {
    const spec = this._spec;
    this._line(spec.commandLine);
    let report: ((line: string) => void) | undefined;
    const run = (this._run = startCliTask(spec, (line) => {
      this._line(line);
      const message = line.trim() ? (spec.progressMessage ? spec.progressMessage(line.trim()) : line.trim()) : undefined;
      if (message) report?.(message);
    }));
    void this._vscode.window.withProgress({ location: this._vscode.ProgressLocation.Notification, title: spec.progressTitle, cancellable: true }, (progress, token) => {
      report = (message) => progress.report({ message });
      token.onCancellationRequested(() => {
        this._line(`Cancelled: ${spec.cancelNote}`);
        void run.cancel();
      });
      return run.done;
    });
    void run.done.then(async (exit) => {
      this._line(spec.summary(exit));
      try {
        await spec.onFinished(exit);
      } finally {
        this._close.fire(exit.code ?? 1);
      }
    });
  }

  /** The terminal was closed or the task terminated: stop the CLI and wait for it. */
  close(): void {
    void this._run?.cancel();
  }

  handleInput(data: string): void {
    if (data === '\x03' && this._run) {
      this._line(`^C ${this._spec.cancelNote}`);
      void this._run.cancel();
    }
  }

  private _line(text: string): void {
    this._write.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }
}
