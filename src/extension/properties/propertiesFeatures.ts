import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIALECTS } from '../../core/generate/dialects';
import { suggestedDialect } from '../../core/generate/detect';
import { propertiesReport } from '../../core/properties/report';
import type { PropertiesResult } from '../../core/properties/types';
import type { CliEntry } from '../chaos/cliEntry';
import { startCliTask } from '../cliTask/cliTerminal';
import { DisposableBase } from '../disposable';
import { LAST_TARGET, captureSettings, validateTarget } from '../settings';
import type { VSCode, vscodeTypes } from '../types';
import { PropertiesDiagnostics } from './propertiesDiagnostics';
import { PROPERTIES_TASK_TYPE, PropertiesTaskProvider, propertiesTask, propertiesTerminal, type PropertiesExit, type PropertiesTaskDefinition, type PropertiesTerminalFactory } from './propertiesTask';

const LAST_PROPERTIES_TARGET = 'chaosTesting.lastPropertiesTarget';
/** The last run's text report, relative to the workspace folder: what the Problems entries open. */
export const PROPERTIES_REPORT = path.join('.chaos', 'properties', 'last-run.txt');

export interface PropertiesFeaturesOptions {
  /** The traffic database the behaviour model is learned from (the views' one). */
  database(): string | undefined;
  state: vscodeTypes.Memento;
  /** Opens the properties panel (injected: fast tests have no webviews). */
  showResults(result: PropertiesResult): void;
  cli?: CliEntry;
  /** After Cancel (SIGINT), how long the CLI may take to print what it found. */
  graceMs?: number;
}

const RESTRICTED = 'Chaos Testing cannot run property tests in Restricted Mode: a run sends requests to a backend and writes tests into the workspace. Trust the workspace to enable it.';

/**
 * The editor faces of property-based testing: Run Properties (a task in a pseudoterminal with progress and Cancel),
 * violations in the Problems view, the properties panel, and Create Regression Test. Nothing in Restricted Mode.
 */
export class PropertiesFeatures extends DisposableBase {
  readonly diagnostics: PropertiesDiagnostics;
  readonly terminal: PropertiesTerminalFactory;
  /** The last finished run's result. */
  last: PropertiesResult | undefined;

  constructor(private readonly _vscode: VSCode, private readonly _options: PropertiesFeaturesOptions, command: (id: string, run: (...args: never[]) => unknown) => void) {
    super();
    this.diagnostics = this._register(new PropertiesDiagnostics(_vscode));
    this.terminal = (definition, folder) => {
      const database = this._options.database();
      if (!database) throw new Error('open a folder first: the traffic database lives in the workspace (.chaos/traffic.db)');
      return propertiesTerminal(_vscode, { database, cwd: folder.uri.fsPath, definition, cli: _options.cli, graceMs: _options.graceMs, onFinished: (exit) => this._finished(folder, exit) });
    };
    this._register(_vscode.tasks.registerTaskProvider(PROPERTIES_TASK_TYPE, new PropertiesTaskProvider(_vscode, this.terminal)));
    command('chaosTesting.runProperties', () => this.run());
    command('chaosTesting.createRegressionTest', (result?: PropertiesResult, index?: number) => this._createFromPalette(result, index));
  }

  /** Run Properties: target, runs and seed asked, then the task runs the CLI. */
  async run(): Promise<vscodeTypes.TaskExecution | undefined> {
    const vscode = this._vscode;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(RESTRICTED);
      return undefined;
    }
    const db = this._options.database();
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!db || !folder) throw new Error('open a folder first: the traffic database lives in the workspace (.chaos/traffic.db)');
    if (!fs.existsSync(db)) throw new Error(`no traffic database at ${db}: capture some traffic first (Start Capture); the run learns the API from it`);
    const definition = await this._ask();
    if (!definition) return undefined;
    return vscode.tasks.executeTask(propertiesTask(vscode, folder, definition, this.terminal));
  }

  private async _ask(): Promise<PropertiesTaskDefinition | undefined> {
    const { window } = this._vscode;
    const state = this._options.state;
    const remembered = captureSettings(this._vscode).target || state.get<string>(LAST_PROPERTIES_TARGET) || state.get<string>(LAST_TARGET);
    const target = await window.showInputBox({
      title: 'Chaos Testing: Run Properties (1/3)',
      prompt: 'URL of the backend to test (random request sequences are sent to it)',
      placeHolder: 'http://localhost:9000',
      value: remembered || 'http://localhost:9000',
      ignoreFocusOut: true,
      validateInput: validateTarget,
    });
    if (target === undefined) return undefined;
    await state.update(LAST_PROPERTIES_TARGET, target.trim());
    const runs = await window.showInputBox({
      title: 'Chaos Testing: Run Properties (2/3)',
      prompt: 'How many request sequences to try',
      value: '100',
      ignoreFocusOut: true,
      validateInput: (v) => (/^\s*[1-9]\d{0,6}\s*$/.test(v) ? undefined : 'a whole number from 1 to 1000000'),
    });
    if (runs === undefined) return undefined;
    const seed = await window.showInputBox({
      title: 'Chaos Testing: Run Properties (3/3)',
      prompt: 'Random seed (empty: a new one; the run reports it so it can be replayed)',
      placeHolder: 'random',
      value: '',
      ignoreFocusOut: true,
      validateInput: (v) => (!v.trim() || /^\s*-?\d{1,10}\s*$/.test(v) ? undefined : 'a whole number, or empty for a random seed'),
    });
    if (seed === undefined) return undefined;
    return { type: PROPERTIES_TASK_TYPE, target: target.trim(), runs: Number(runs.trim()), ...(seed.trim() ? { seed: Number(seed.trim()) } : {}) };
  }

  private async _finished(folder: vscodeTypes.WorkspaceFolder, exit: PropertiesExit): Promise<void> {
    const vscode = this._vscode;
    const r = exit.result;
    if (!r) {
      void vscode.window.showErrorMessage(`Chaos Testing: the property run did not finish: ${exit.error ?? 'no result'}`);
      return;
    }
    const file = path.join(folder.uri.fsPath, PROPERTIES_REPORT);
    const text = propertiesReport(r, folder.uri.fsPath) + '\n';
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    this.last = r;
    this.diagnostics.show(r, { file, text });
    this._options.showResults(r);
    const counts = `${r.aborted && r.runsRequested ? `${r.runs} of ${r.runsRequested}` : r.runs} runs, ${r.requests} requests`;
    if (r.aborted) void vscode.window.showWarningMessage(`Chaos Testing: property run interrupted after ${counts}; ${r.violations.length} violation(s) so far.`);
    else if (r.passed) void vscode.window.showInformationMessage(`Chaos Testing: properties passed: ${counts}, no violation (seed ${r.seed}).`);
    else void vscode.window.showErrorMessage(`Chaos Testing: properties found ${r.violations.length} violation${r.violations.length === 1 ? '' : 's'} in ${counts}: ${r.violations.map((v) => v.check).join(', ')}.`);
  }

  /** From the palette: a violation of the last run picked. */
  private async _createFromPalette(result?: PropertiesResult, index?: number): Promise<string | undefined> {
    const r = result ?? this.last;
    if (!r?.violations.length) throw new Error('no violation to turn into a test: run properties first (Chaos Testing: Run Properties)');
    let i = index;
    if (i === undefined) {
      const pick = await this._vscode.window.showQuickPick(r.violations.map((v, k) => ({ label: `${k + 1}) ${v.check}`, detail: v.message, index: k })), { title: 'Chaos Testing: Create Regression Test', placeHolder: 'Violation to keep as a test' });
      if (!pick) return undefined;
      i = pick.index;
    }
    return this.createRegressionTest(r, i);
  }

  /**
   * Replays violation `index` by its seed and path with only its check, asking the CLI for a regression test in
   * the project's language (detected, else asked); opens the file written. Undefined when the case no longer fails.
   */
  async createRegressionTest(result: PropertiesResult, index: number): Promise<string | undefined> {
    const vscode = this._vscode;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(RESTRICTED);
      return undefined;
    }
    const v = result.violations[index];
    if (!v) throw new Error(`there is no violation ${index + 1} in this run`);
    if (!v.path || v.kind !== 'check') throw new Error(`${v.check} is judged over the whole run, not one request sequence: there is no single case to keep as a test`);
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('open a folder first: the test is written into the workspace');
    const dialect = await this._dialect(folder.uri.fsPath);
    if (!dialect) return undefined;
    const args = ['properties', '--input', result.database, '--target', result.target, '--seed', String(v.seed), '--path', v.path, '--check', v.check,
      '--language', dialect.language, '--framework', dialect.framework, '--out', folder.uri.fsPath, '--json'];
    const exit = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Chaos Testing: replaying ${v.check} to write its test…`, cancellable: true }, (_p, token) => {
      const run = startCliTask<PropertiesResult>({ args, cwd: folder.uri.fsPath, cli: this._options.cli, graceMs: this._options.graceMs, cancelSignal: 'SIGINT', isResult: (x) => x.kind === 'properties' }, () => undefined);
      token.onCancellationRequested(() => void run.cancel());
      return run.done;
    });
    if (exit.cancelled) return undefined;
    if (!exit.result) throw new Error(`the replay did not finish: ${exit.error ?? 'no result'}`);
    const again = exit.result.violations.find((x) => x.check === v.check && x.regressionTest?.file);
    if (!again?.regressionTest?.file) {
      void vscode.window.showWarningMessage(`Chaos Testing: ${v.check} did not fail again when replayed against ${result.target} (fixed, or it depends on earlier state), so no test was written.`);
      return undefined;
    }
    const file = again.regressionTest.file;
    this.diagnostics.addTestFile(again, file);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)));
    void vscode.window.showInformationMessage(`Chaos Testing: regression test (${again.regressionTest.framework}) written to ${path.relative(folder.uri.fsPath, file)}; it fails until the bug is fixed.`);
    return file;
  }

  /** The project's test dialect from its files, else one picked. */
  private async _dialect(folder: string): Promise<{ language: string; framework: string } | undefined> {
    const suggested = suggestedDialect(folder);
    if (suggested) return suggested;
    const pick = await this._vscode.window.showQuickPick(
      DIALECTS.map((d) => ({ label: `${d.language} · ${d.framework}`, language: d.language, framework: d.framework })),
      { title: 'Chaos Testing: Create Regression Test', placeHolder: 'Language and test framework of the test (none detected in this workspace)' },
    );
    return pick ? { language: pick.language, framework: pick.framework } : undefined;
  }
}
