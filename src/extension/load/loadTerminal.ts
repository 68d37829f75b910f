import * as path from 'node:path';
import type { LoadResult, LoadTick } from '../../core/load/types';
import { breakingPointText, loadVerdict } from '../../core/load/verdict';
import type { CliEntry } from '../chaos/cliEntry';
import type { VSCode, vscodeTypes } from '../types';
import { isLoopbackTarget, loadArgs, readSpecSummary, type LoadRequest } from './loadArgs';
import { startLoad, type LoadExit, type LoadRun } from './loadProcess';
import { parseDuration } from '../../core/chaos/duration';
import { runTitle, type LoadRunInfo, type LoadView } from './types';

export interface LoadTerminalOptions {
  request: LoadRequest;
  cwd: string;
  /** The user already confirmed a remote target (Run Load Test asked); otherwise the terminal asks. */
  allowRemote: boolean;
  view: LoadView;
  /** Called once when the run ended. */
  onFinished(info: LoadRunInfo, exit: LoadExit): unknown;
  cli?: CliEntry;
  graceMs?: number;
}

/** What the run is, before it starts: from the spec file's fields or the quick run's answers. */
export function runInfo(request: LoadRequest): LoadRunInfo {
  if (request.kind === 'quick') return { name: `load ${request.target}`, target: request.target, durationMs: parseDuration(request.duration) };
  const spec = readSpecSummary(request.file);
  return { name: spec.name ?? path.basename(request.file), target: spec.target ?? '', durationMs: spec.durationMs };
}

/** Asks before any load leaves this machine; true only on an explicit yes. */
export async function confirmRemote(vscode: VSCode, target: string): Promise<boolean> {
  const host = new URL(target).host;
  const answer = await vscode.window.showWarningMessage(
    `Send load to ${host}?`,
    { modal: true, detail: `${target} is not on this machine. A load test can overload or get you blocked by a server you do not own. Run it only against a system you are allowed to test; the run passes --allow-remote.` },
    'Send Load',
  );
  return answer === 'Send Load';
}

/** A latency in µs with the resolution it has: "850 µs", "3.21 ms", "45 ms", "1.20 s" (as the panel shows it). */
export function formatLatency(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  const ms = us / 1000;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toFixed(2)} ms`;
}

/** One progress line: "12 s / 30 s (40 %) · 1234 req/s · p99 3.21 ms · 0 errors". */
export function tickLine(tick: LoadTick, durationMs: number | undefined): string {
  const when = durationMs ? `${tick.second} s / ${Math.round(durationMs / 1000)} s (${percentDone(tick, durationMs)} %)` : `${tick.second} s`;
  return `${when} · ${Math.round(tick.rps)} req/s · p99 ${formatLatency(tick.latency.p99)} · ${tick.errors} error${tick.errors === 1 ? '' : 's'}`;
}

function percentDone(tick: LoadTick, durationMs: number): number {
  return Math.min(100, Math.round((tick.second * 1000 * 100) / durationMs));
}

/**
 * The terminal of a Run Load Test task: runs `chaos-testing load … --events`, feeds each tick to the panel, the
 * terminal and a progress notification (second, percent, live RPS). Cancel on the notification, Ctrl-C, and
 * closing the terminal send SIGINT: the CLI stops every socket and still prints its partial result.
 */
export class LoadTerminal implements vscodeTypes.Pseudoterminal {
  private readonly _write: vscodeTypes.EventEmitter<string>;
  private readonly _close: vscodeTypes.EventEmitter<number>;
  readonly onDidWrite: vscodeTypes.Event<string>;
  readonly onDidClose: vscodeTypes.Event<number>;
  private _run: LoadRun | undefined;
  private _closed = false;

  constructor(private readonly _vscode: VSCode, private readonly _options: LoadTerminalOptions) {
    this._write = new _vscode.EventEmitter<string>();
    this._close = new _vscode.EventEmitter<number>();
    this.onDidWrite = this._write.event;
    this.onDidClose = this._close.event;
  }

  get run(): LoadRun | undefined {
    return this._run;
  }

  open(): void {
    void this._start();
  }

  private async _start(): Promise<void> {
    const vscode = this._vscode;
    const { request, cwd } = this._options;
    let info = runInfo(request);
    let allowRemote = this._options.allowRemote;
    if (info.target && !isLoopbackTarget(info.target) && !allowRemote) {
      allowRemote = await confirmRemote(vscode, info.target);
      if (!allowRemote) {
        this._line(`Not started: ${info.target} is not on this machine, and sending load there was not confirmed.`);
        this._close.fire(1);
        return;
      }
    }
    if (this._closed) return;
    let args: string[];
    try {
      args = loadArgs(request, allowRemote);
    } catch (e) {
      this._line(`Not started: ${(e as Error).message}`); // a tasks.json entry with a level the CLI would refuse
      this._close.fire(2);
      return;
    }
    this._line(commandLine(args.map((a) => (/[\s"<>|&;]/.test(a) ? JSON.stringify(a) : path.isAbsolute(a) ? path.relative(cwd, a) || a : a))));
    this._options.view.start(info);
    let report: ((tick: LoadTick) => void) | undefined;
    const run = (this._run = startLoad({
      args,
      cwd,
      cli: this._options.cli,
      graceMs: this._options.graceMs,
      onLine: (line) => this._line(line),
      onStart: (spec, mixSource) => {
        // What the CLI planned is what the panel and the progress show (a spec's defaults, flags over the file).
        info = { name: spec.name, target: spec.target, durationMs: spec.durationMs };
        this._options.view.start(info);
        if (mixSource) this._line(`Requests: ${mixSource}`);
      },
      onTick: (tick) => {
        this._options.view.tick(tick);
        this._line(tickLine(tick, info.durationMs));
        report?.(tick);
      },
    }));
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Chaos Testing: ${runTitle(info.name)}`, cancellable: true },
      (progress, token) => {
        let shown = 0;
        report = (tick) => {
          const pct = info.durationMs ? percentDone(tick, info.durationMs) : 0;
          progress.report({ message: tickLine(tick, info.durationMs), increment: Math.max(0, pct - shown) });
          shown = Math.max(shown, pct);
        };
        token.onCancellationRequested(() => this._cancel('Cancelled: stopping the load…'));
        return run.done;
      },
    );
    const exit = await run.done;
    this._line(summary(exit));
    try {
      await this._options.onFinished(info, exit);
    } finally {
      this._close.fire(exit.code ?? 1);
    }
  }

  /** The terminal was closed or the task terminated: stop the load and wait for the CLI. */
  close(): void {
    this._closed = true;
    void this._run?.cancel();
  }

  handleInput(data: string): void {
    if (data === '\x03') this._cancel('^C stopping the load…');
  }

  private _cancel(message: string): void {
    if (!this._run) return;
    this._line(message);
    void this._run.cancel();
  }

  private _line(text: string): void {
    this._write.fire(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }
}

/** The command as a shell would take it, continued with `\` at about 72 columns (a narrow terminal reflows badly). */
export function commandLine(args: string[]): string {
  const lines = ['chaos-testing'];
  for (const a of args) {
    if (lines[lines.length - 1].length + a.length + 1 > 72) lines.push(`  ${a}`);
    else lines[lines.length - 1] += ` ${a}`;
  }
  return lines.join(' \\\n');
}

/** The verdict in words: "passed", "SLO failed: p99<200ms", "cancelled after 3 s". */
export function verdict(r: LoadResult): string {
  if (loadVerdict(r) === 'breaking-point') return breakingPointText(r)!;
  if (r.stopped) return `${r.stopped} after ${r.timeline.length} s`;
  if (r.passed) return r.slo.length ? 'SLOs met' : 'done';
  return `SLO failed: ${r.slo.filter((s) => !s.passed).map((s) => s.clause).join(', ')}`;
}

/** The terminal's last line. */
export function summary(exit: LoadExit): string {
  const r = exit.result;
  if (!r) return `No result: ${exit.error ?? 'the run ended without one'}`;
  return `${r.spec.name}: ${verdict(r)}; ${Math.round(r.rps)} req/s, p99 ${formatLatency(r.latency.p99)}, ${r.totals.errors} errors of ${r.totals.sent} requests.${r.stored ? ` ${r.stored[0].toUpperCase()}${r.stored.slice(1)}.` : ''}`;
}
