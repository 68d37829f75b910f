import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadVerdict } from '../../core/load/verdict';
import type { ProfileKind } from '../../core/load/types';
import type { StoredRun } from '../../core/store/database';
import type { CliEntry } from '../chaos/cliEntry';
import { findWorkspaceFiles } from '../chaos/workspaceFiles';
import { DisposableBase } from '../disposable';
import { validateTarget } from '../settings';
import type { VSCode, vscodeTypes } from '../types';
import { PROFILES, isLoopbackTarget, readSpecSummary, validateDuration, validateLevel, type LoadRequest } from './loadArgs';
import type { LoadExit } from './loadProcess';
import { loadRunChoices, type LoadRunChoice } from './loadRuns';
import { LOAD_SPEC_GLOB, LOAD_TASK_TYPE, LoadTaskProvider, loadTask, type LoadTerminalFactory } from './loadTask';
import { LoadTerminal, confirmRemote, formatLatency, verdict } from './loadTerminal';
import { runTitle, type LoadRunInfo, type LoadView } from './types';

export interface LoadFeaturesOptions {
  view: LoadView;
  /** The workspace's traffic database (its `runs` and its captured requests), if any. */
  database(): string | undefined;
  /** Stored runs of kind 'load' in that database, newest first ([] without one). */
  storedRuns(): Promise<StoredRun[]>;
  /** Remembers the quick run's answers per workspace. */
  state?: vscodeTypes.Memento;
  cli?: CliEntry;
  /** After SIGINT, how long the CLI may take to print its partial result. */
  graceMs?: number;
}

const PROFILE_HELP: Record<ProfileKind, string> = {
  constant: 'the same level throughout',
  'ramp-up': 'from a low level to a high one',
  spike: 'a sudden burst, then back',
  soak: 'a long steady run: drift of p99, errors and memory',
  stress: 'step up until an SLO breaks: the breaking point',
};
const SLO_CHOICES = ['p99<200ms,errors<1%', 'p99<500ms,errors<5%', 'p95<100ms,errors<0.1%'];
const LAST_QUICK = 'chaosTesting.load.lastQuickRun';

/**
 * The editor faces of load testing: Run Load Test (a task in a pseudoterminal, with progress, Cancel and the live
 * panel), Show Load Result and Compare Load Runs. An untrusted workspace gets neither a run nor a task.
 */
export class LoadFeatures extends DisposableBase {
  readonly terminal: LoadTerminalFactory;

  constructor(private readonly _vscode: VSCode, private readonly _options: LoadFeaturesOptions, command: (id: string, run: (...args: never[]) => unknown) => void) {
    super();
    this.terminal = (request, cwd, allowRemote) =>
      new LoadTerminal(_vscode, { request, cwd, allowRemote, view: _options.view, cli: _options.cli, graceMs: _options.graceMs, onFinished: (info, exit) => this._finished(info, exit) });
    this._register(_vscode.tasks.registerTaskProvider(LOAD_TASK_TYPE, new LoadTaskProvider(_vscode, this.terminal)));
    command('chaosTesting.runLoadTest', (uri?: vscodeTypes.Uri) => this.runLoadTest(uri));
    command('chaosTesting.compareLoadRuns', () => this.compareRuns());
    command('chaosTesting.showLoadResult', () => this.showRun());
  }

  /** Run Load Test: the spec given (explorer, editor title), else a spec or a quick run picked. */
  async runLoadTest(uri?: vscodeTypes.Uri): Promise<vscodeTypes.TaskExecution | undefined> {
    const vscode = this._vscode;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Chaos Testing cannot run a load test in Restricted Mode: a load test sends traffic to a server. Trust the workspace to enable it.');
      return undefined;
    }
    const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) || vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('open a folder first: load specs and results live in the workspace (.chaos/load/, .chaos/results/)');
    const request: LoadRequest | undefined = uri ? { kind: 'spec', file: uri.fsPath } : await this._ask();
    if (!request) return undefined;
    const target = request.kind === 'spec' ? readSpecSummary(request.file).target : request.target;
    let allowRemote = false;
    if (target && !isLoopbackTarget(target)) {
      if (!(await confirmRemote(vscode, target))) return undefined;
      allowRemote = true;
    }
    if (request.kind === 'spec') {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === request.file);
      if (open?.isDirty) await open.save();
    }
    return vscode.tasks.executeTask(loadTask(vscode, folder, request, this.terminal, allowRemote));
  }

  /** A spec from `.chaos/load/`, or the quick run's questions; undefined when dismissed. */
  private async _ask(): Promise<LoadRequest | undefined> {
    const vscode = this._vscode;
    const specs = await findWorkspaceFiles(vscode, LOAD_SPEC_GLOB);
    if (specs.length) {
      const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
      const items: Array<vscodeTypes.QuickPickItem & { file?: string }> = [
        ...specs.map((file) => ({ label: path.basename(file), description: readSpecSummary(file).target, detail: path.relative(root, file), file })),
        { label: '$(edit) Quick run…', description: 'enter the target, profile, duration, level and SLO' },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: 'Chaos Testing: Run Load Test', placeHolder: 'Load spec to run (.chaos/load/*.yaml), or a quick run' });
      if (!pick) return undefined;
      if (pick.file) return { kind: 'spec', file: pick.file };
    }
    return this._askQuick();
  }

  private async _askQuick(): Promise<LoadRequest | undefined> {
    const vscode = this._vscode;
    const last = this._options.state?.get<Partial<Extract<LoadRequest, { kind: 'quick' }>>>(LAST_QUICK) ?? {};
    const title = (n: number): string => `Chaos Testing: Run Load Test (${n}/5)`;
    const target = await vscode.window.showInputBox({ title: title(1), prompt: 'URL to load (loopback; another host asks first)', value: last.target ?? 'http://127.0.0.1:3000/', ignoreFocusOut: true, validateInput: validateTarget });
    if (target === undefined) return undefined;
    const profilePick = await vscode.window.showQuickPick(
      PROFILES.map((p) => ({ label: p, description: PROFILE_HELP[p], profile: p, picked: p === last.profile })),
      { title: title(2), placeHolder: 'Load profile' },
    );
    if (!profilePick) return undefined;
    const duration = await vscode.window.showInputBox({ title: title(3), prompt: 'How long the run lasts (30s, 5m, 1h)', value: last.duration ?? '30s', validateInput: validateDuration });
    if (duration === undefined) return undefined;
    const level = await vscode.window.showInputBox({
      title: title(4),
      prompt: 'Connections (10: closed model), a rate (200/s: open model), or a range for ramp-up, spike and stress (10..50, 100..1000/s)',
      value: last.level ?? '10',
      validateInput: (value) => validateLevel(value, profilePick.profile),
    });
    if (level === undefined) return undefined;
    const slo = await this._askSlo(title(5), last.slo);
    if (slo === undefined) return undefined;
    const request: LoadRequest = { kind: 'quick', target: target.trim(), profile: profilePick.profile, duration: duration.trim(), level: level.trim(), slo };
    await this._options.state?.update(LAST_QUICK, request);
    const db = this._options.database();
    if (db && fs.existsSync(db)) {
      const mix = await vscode.window.showQuickPick(
        [
          { label: 'Captured traffic', description: `${path.basename(db)}: each endpoint by how often it was called`, mix: 'traffic' as const },
          { label: 'The target URL only', description: `GET ${request.target}`, mix: 'target' as const },
        ],
        { title: 'Chaos Testing: Run Load Test', placeHolder: 'Requests to send' },
      );
      if (!mix) return undefined;
      // The run is stored in the database the views read, whichever requests it sends.
      return { ...request, input: db, mix: mix.mix };
    }
    return request;
  }

  private async _askSlo(title: string, last: string | undefined): Promise<string | undefined> {
    const vscode = this._vscode;
    const choices = [...new Set([...(last ? [last] : []), ...SLO_CHOICES])];
    const pick = await vscode.window.showQuickPick(
      [...choices.map((slo) => ({ label: slo || 'No SLO', slo })), { label: 'No SLO', description: 'report only', slo: '' }, { label: 'Other…', description: 'write the SLO', slo: undefined }],
      { title, placeHolder: 'SLO the run must meet (pass/fail, and where it broke)' },
    );
    if (!pick) return undefined;
    if (pick.slo !== undefined) return pick.slo;
    return vscode.window.showInputBox({ title, prompt: 'Clauses separated by commas: p50/p90/p95/p99/p99.9/max/mean < ms, errors < %, rps > N', value: last ?? SLO_CHOICES[0] });
  }

  private async _stored(): Promise<{ choices: LoadRunChoice[]; notes: string }> {
    const { choices, skipped } = await loadRunChoices(this._vscode, await this._options.storedRuns(), this._options.database());
    return { choices, notes: skipped ? ` (${skipped} stored item${skipped === 1 ? ' is' : 's are'} not a load result)` : '' };
  }

  /** Show Load Result: one stored run in the load panel (its timeline as the charts). */
  async showRun(): Promise<void> {
    const vscode = this._vscode;
    const { choices, notes } = await this._stored();
    if (!choices.length) throw new Error(`there are no stored load runs${notes}: run a load test (runs are kept in the traffic database and .chaos/results/load-*.json)`);
    const pick = await vscode.window.showQuickPick(choices, { title: 'Chaos Testing: Show Load Result', placeHolder: 'Load run to show', matchOnDescription: true, matchOnDetail: true });
    if (!pick) return;
    const spec = pick.result.spec;
    this._options.view.start({ name: spec.name, target: spec.target, durationMs: spec.durationMs });
    this._options.view.result(pick.result, pick.label);
  }

  /** Compare Load Runs: two stored runs picked, shown side by side. */
  async compareRuns(): Promise<void> {
    const vscode = this._vscode;
    const { choices, notes } = await this._stored();
    if (choices.length < 2) {
      throw new Error(`comparing needs two stored load runs, and there ${choices.length === 1 ? 'is one' : 'are none'}${notes}: run a load test (runs are kept in the traffic database and .chaos/results/load-*.json)`);
    }
    const a = await vscode.window.showQuickPick(choices, { title: 'Chaos Testing: Compare Load Runs (1/2)', placeHolder: 'Run A (the baseline)', matchOnDescription: true, matchOnDetail: true });
    if (!a) return;
    const b = await vscode.window.showQuickPick(choices.filter((c) => c !== a), { title: 'Chaos Testing: Compare Load Runs (2/2)', placeHolder: `Run B, compared with ${a.label}`, matchOnDescription: true, matchOnDetail: true });
    if (!b) return;
    this._options.view.compare(labeled(a), labeled(b));
  }

  private _finished(info: LoadRunInfo, exit: LoadExit): void {
    const vscode = this._vscode;
    const r = exit.result;
    if (!r) {
      void vscode.window.showErrorMessage(`Chaos Testing: ${runTitle(info.name)} did not finish: ${exit.error ?? 'no result'}`);
      return;
    }
    this._options.view.result(r, r.stored);
    const numbers = `${Math.round(r.rps)} req/s, p99 ${formatLatency(r.latency.p99)}, ${r.totals.errors} errors`;
    if (loadVerdict(r) === 'breaking-point') void vscode.window.showInformationMessage(`Chaos Testing: ${runTitle(r.spec.name)}: ${verdict(r)}; ${numbers}.`);
    else if (r.stopped) void vscode.window.showWarningMessage(`Chaos Testing: ${runTitle(r.spec.name)} ${verdict(r)}: the partial result is shown (${numbers}).`);
    else if (r.passed) void vscode.window.showInformationMessage(`Chaos Testing: ${runTitle(r.spec.name)}: ${verdict(r)}; ${numbers}.`);
    else {
      const broke = r.slo.find((s) => !s.passed && s.brokeAt)?.brokeAt;
      void vscode.window.showErrorMessage(`Chaos Testing: ${runTitle(r.spec.name)}: ${verdict(r)}${broke ? ` (first broke at ${broke.fromSecond}–${broke.toSecond} s)` : ''}; ${numbers}.`);
    }
  }
}

function labeled(c: LoadRunChoice): { label: string; result: LoadRunChoice['result'] } {
  return { label: c.label, result: c.result };
}
