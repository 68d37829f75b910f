import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckOutcome, ReadinessResult } from '../../core/readiness/types';
import type { CliEntry } from '../chaos/cliEntry';
import { DisposableBase } from '../disposable';
import type { VSCode, vscodeTypes } from '../types';
import { DEFAULT_REPORTS, DEFAULT_SUITE, READINESS_TASK_TYPE, ReadinessTaskProvider, readinessTask, readinessTerminal, type ReadinessExit, type ReadinessTerminalFactory } from './readinessTask';

export interface ReadinessFeaturesOptions {
  /** Opens the Readiness panel (injected: fast tests have no webviews). */
  showResults(result: ReadinessResult, actions: ReadinessActions): void;
  /** Opens the HTML report in a webview. */
  showReport(result: ReadinessResult): void;
  cli?: CliEntry;
  graceMs?: number;
}

/** What the Readiness panel's links do. */
export interface ReadinessActions {
  openRun(check: CheckOutcome): Promise<void>;
  openReport(): void;
}

const RESTRICTED = 'Chaos Testing cannot run the readiness suite in Restricted Mode: it runs tests, chaos experiments and load against your service. Trust the workspace to enable it.';
const OPEN_REPORT = 'Open Report';

/**
 * The editor faces of the production-readiness suite: Run Readiness Suite (a task in a pseudoterminal with progress
 * and Cancel), the Readiness panel (one row per check), the HTML report in a webview. No run in Restricted Mode.
 */
export class ReadinessFeatures extends DisposableBase {
  readonly terminal: ReadinessTerminalFactory;
  last: ReadinessResult | undefined;

  constructor(private readonly _vscode: VSCode, private readonly _options: ReadinessFeaturesOptions, command: (id: string, run: (...args: never[]) => unknown) => void) {
    super();
    this.terminal = (definition, folder) => readinessTerminal(_vscode, { cwd: folder.uri.fsPath, definition, cli: _options.cli, graceMs: _options.graceMs, onFinished: (exit) => this._finished(exit) });
    const hasSuite = (folder: vscodeTypes.WorkspaceFolder): boolean => fs.existsSync(path.join(folder.uri.fsPath, DEFAULT_SUITE));
    this._register(_vscode.tasks.registerTaskProvider(READINESS_TASK_TYPE, new ReadinessTaskProvider(_vscode, this.terminal, hasSuite)));
    command('chaosTesting.runReadiness', () => this.run());
    command('chaosTesting.openReadinessReport', () => this.openReport());
  }

  /** Run Readiness Suite: the workspace's .chaos/suite.yaml, run by the CLI as a task. */
  async run(): Promise<vscodeTypes.TaskExecution | undefined> {
    const vscode = this._vscode;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(RESTRICTED);
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('open a folder first: the suite lives in the workspace (.chaos/suite.yaml)');
    if (!fs.existsSync(path.join(folder.uri.fsPath, DEFAULT_SUITE))) {
      throw new Error(`no suite at ${DEFAULT_SUITE}: write one (see examples/suite.yaml in the Chaos Testing repository, schema schemas/suite.schema.json)`);
    }
    return vscode.tasks.executeTask(readinessTask(vscode, folder, { type: READINESS_TASK_TYPE }, this.terminal));
  }

  /** The last run's HTML report, or the one in .chaos/reports of the workspace. */
  openReport(result?: ReadinessResult): void {
    const r = result ?? this.last ?? this._stored();
    if (!r) throw new Error(`no readiness report yet: run the suite first (Chaos Testing: Run Readiness Suite), or 'chaos-testing ci' writes ${DEFAULT_REPORTS}/readiness.json`);
    this._options.showReport(r);
  }

  private _stored(): ReadinessResult | undefined {
    const folder = this._vscode.workspace.workspaceFolders?.[0];
    const file = folder && path.join(folder.uri.fsPath, DEFAULT_REPORTS, 'readiness.json');
    if (!file || !fs.existsSync(file)) return undefined;
    try {
      const r = JSON.parse(fs.readFileSync(file, 'utf8')) as ReadinessResult;
      return r.kind === 'readiness' && Array.isArray(r.checks) ? r : undefined;
    } catch {
      return undefined;
    }
  }

  private _actions(result: ReadinessResult): ReadinessActions {
    return { openRun: (check) => this.openRun(check), openReport: () => this.openReport(result) };
  }

  /** A check's run: its result file when the note names one, else the report. */
  async openRun(check: CheckOutcome): Promise<void> {
    const folder = this._vscode.workspace.workspaceFolders?.[0];
    const file = /(\S+\.json)\b/.exec(check.run ?? '')?.[1];
    const full = file && folder ? path.resolve(folder.uri.fsPath, file) : undefined;
    if (full && fs.existsSync(full)) {
      await this._vscode.window.showTextDocument(await this._vscode.workspace.openTextDocument(this._vscode.Uri.file(full)));
      return;
    }
    this.openReport();
  }

  private async _finished(exit: ReadinessExit): Promise<void> {
    const vscode = this._vscode;
    const r = exit.result;
    if (!r) {
      void vscode.window.showErrorMessage(`Chaos Testing: the readiness suite did not run: ${exit.error ?? 'no result'}`);
      return;
    }
    this.last = r;
    this._options.showResults(r, this._actions(r));
    const passed = r.checks.filter((c) => c.status === 'passed').length;
    const failed = r.checks.filter((c) => c.status === 'failed' || c.status === 'error').map((c) => c.name);
    const shown = r.passed
      ? vscode.window.showInformationMessage(`Chaos Testing: ready: ${passed} of ${r.checks.length} checks passed.`, OPEN_REPORT)
      : r.aborted
        ? vscode.window.showWarningMessage(`Chaos Testing: readiness suite stopped after ${passed} passed check(s).`, OPEN_REPORT)
        : vscode.window.showErrorMessage(`Chaos Testing: not ready: ${failed.length} of ${r.checks.length} checks failed: ${failed.join(', ')}.`, OPEN_REPORT);
    if ((await shown) === OPEN_REPORT) this.openReport(r);
  }
}
