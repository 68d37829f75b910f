import * as path from 'node:path';
import type { VSCode, vscodeTypes } from '../types';
import type { CliEntry } from './cliEntry';
import { startExperiment, type ExperimentExit, type ExperimentRun } from './experimentProcess';

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
export class ExperimentTerminal implements vscodeTypes.Pseudoterminal {
  private readonly _write: vscodeTypes.EventEmitter<string>;
  private readonly _close: vscodeTypes.EventEmitter<number>;
  readonly onDidWrite: vscodeTypes.Event<string>;
  readonly onDidClose: vscodeTypes.Event<number>;
  private _run: ExperimentRun | undefined;

  constructor(private readonly _vscode: VSCode, private readonly _options: ExperimentTerminalOptions) {
    this._write = new _vscode.EventEmitter<string>();
    this._close = new _vscode.EventEmitter<number>();
    this.onDidWrite = this._write.event;
    this.onDidClose = this._close.event;
  }

  /** The running CLI, once the terminal opened. */
  get run(): ExperimentRun | undefined {
    return this._run;
  }

  open(): void {
    const { file, cwd } = this._options;
    const name = path.basename(file);
    this._line(`chaos-testing chaos run ${path.relative(cwd, file) || file} --json`);
    let report: ((line: string) => void) | undefined;
    const run = (this._run = startExperiment({
      file,
      cwd,
      cli: this._options.cli,
      rollbackGraceMs: this._options.rollbackGraceMs,
      onLine: (line) => {
        this._line(line);
        if (line.trim()) report?.(line.trim());
      },
    }));
    void this._vscode.window.withProgress(
      { location: this._vscode.ProgressLocation.Notification, title: `Chaos Testing: running ${name}`, cancellable: true },
      (progress, token) => {
        report = (message) => progress.report({ message });
        token.onCancellationRequested(() => {
          this._line('Cancelled: rolling back…');
          void run.cancel();
        });
        return run.done;
      },
    );
    void run.done.then(async (exit) => {
      this._line(summary(exit));
      try {
        await this._options.onFinished(file, exit);
      } finally {
        this._close.fire(exit.code ?? 1);
      }
    });
  }

  /** The terminal was closed or the task terminated: roll back and wait for the CLI. */
  close(): void {
    void this._run?.cancel();
  }

  handleInput(data: string): void {
    if (data === '\x03' && this._run) {
      this._line('^C rolling back…');
      void this._run.cancel();
    }
  }

  private _line(text: string): void {
    this._write.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }
}

/** The last line of the terminal: what happened, in words. */
export function summary(exit: ExperimentExit): string {
  const r = exit.result;
  if (!r) return `No result: ${exit.error ?? 'the run ended without one'}`;
  const recovery = r.recoveryTimeMs === null ? 'did not recover' : `recovered in ${(r.recoveryTimeMs / 1000).toFixed(2)} s`;
  return `${r.title}: ${r.status}; hypothesis ${r.hypothesisHeld ? 'held' : 'failed'}; ${recovery}.`;
}
