import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExperimentResult } from '../../core/chaos/types';
import { attributesFromPairs, splitPairs, updateToxic, type Toxic } from '../../core/faults/toxics';
import { DisposableBase } from '../disposable';
import { faultsApi } from '../settings';
import type { VSCode, vscodeTypes } from '../types';
import { exportExperimentToChaosMesh } from './chaosMeshExport';
import type { CliEntry } from './cliEntry';
import { ExperimentDiagnostics, type ExperimentValidator } from './experimentDiagnostics';
import type { ExperimentExit } from './experimentProcess';
import { EXPERIMENT_TASK_TYPE, ExperimentTaskProvider, experimentTask, type TerminalFactory } from './experimentTask';
import { ExperimentTerminal } from './experimentTerminal';
import { FaultsModel, type CallApi } from './faultsModel';
import { FAULTS_VIEW, FaultsTreeProvider, type FaultNode } from './faultsTree';
import { experimentFile, pickWorkspaceFile } from './workspaceFiles';

export const RESULTS_GLOB = '.chaos/results/*.json';

export interface ChaosFeaturesOptions {
  /** Opens the results panel (injected: fast tests have no webviews). */
  showResults(result: ExperimentResult, file?: string): void;
  validate: ExperimentValidator;
  cli?: CliEntry;
  callApi?: CallApi;
  pollMs?: number;
  rollbackGraceMs?: number;
}

/**
 * The editor faces of chaos: Run Experiment (a task in a pseudoterminal, with progress and Cancel), the results
 * panel, diagnostics on experiment files, Export to Chaos Mesh, and the Faults view over the fault API. Untrusted
 * workspaces get the diagnostics and the export only: no runs, no fault API calls.
 */
export class ChaosFeatures extends DisposableBase {
  readonly diagnostics: ExperimentDiagnostics;
  readonly faults: FaultsModel;
  readonly faultsTree: FaultsTreeProvider;
  readonly terminal: TerminalFactory;
  private readonly _faultsView: vscodeTypes.TreeView<FaultNode>;

  constructor(private readonly _vscode: VSCode, private readonly _options: ChaosFeaturesOptions, private readonly _command: (id: string, run: (...args: never[]) => unknown) => void) {
    super();
    const vscode = _vscode;
    this.diagnostics = this._register(new ExperimentDiagnostics(vscode, _options.validate));
    this.terminal = (o) => new ExperimentTerminal(vscode, { ...o, cli: _options.cli, rollbackGraceMs: _options.rollbackGraceMs, onFinished: (file, exit) => this._finished(file, exit) });
    this._register(vscode.tasks.registerTaskProvider(EXPERIMENT_TASK_TYPE, new ExperimentTaskProvider(vscode, this.terminal)));

    this.faults = new FaultsModel({ api: () => faultsApi(vscode), trusted: () => vscode.workspace.isTrusted, call: _options.callApi, intervalMs: _options.pollMs });
    this._register(this.faults);
    this.faultsTree = this._register(new FaultsTreeProvider(vscode, this.faults));
    const view = (this._faultsView = this._register(vscode.window.createTreeView(FAULTS_VIEW, { treeDataProvider: this.faultsTree })));
    this._register(view.onDidChangeVisibility((e) => this.faults.setPolling(e.visible)));
    this.faults.setPolling(view.visible);
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => {
      void this.faults.refresh();
      this.faults.setPolling(this._faultsView.visible);
    }));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('chaosTesting.faults.api') && void this.faults.refresh()));

    _command('chaosTesting.runExperiment', (uri?: vscodeTypes.Uri) => this.runExperiment(uri));
    _command('chaosTesting.exportChaosMesh', (uri?: vscodeTypes.Uri) => exportExperimentToChaosMesh(vscode, uri));
    _command('chaosTesting.showExperimentResults', (uri?: vscodeTypes.Uri) => this.showResultsFile(uri));
    _command('chaosTesting.faults.refresh', () => this.faults.refresh());
    _command('chaosTesting.faults.removeToxic', (node?: FaultNode) => this._removeToxic(node));
    _command('chaosTesting.faults.changeToxic', (node?: FaultNode) => this._changeToxic(node));
    _command('chaosTesting.faults.proxyDown', (node?: FaultNode) => this._setEnabled(node, false));
    _command('chaosTesting.faults.proxyUp', (node?: FaultNode) => this._setEnabled(node, true));
  }

  /** Run Experiment: the file given (editor title, explorer), else the active experiment, else one picked. */
  async runExperiment(uri?: vscodeTypes.Uri): Promise<vscodeTypes.TaskExecution | undefined> {
    const vscode = this._vscode;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Chaos Testing cannot run an experiment in Restricted Mode: an experiment acts on processes and the network. Trust the workspace to enable it.');
      return undefined;
    }
    const file = await experimentFile(vscode, uri, 'Experiment to run');
    if (!file) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('open the folder that holds the experiment first: it runs in the workspace');
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
    if (open?.isDirty) await open.save();
    return vscode.tasks.executeTask(experimentTask(vscode, folder, file, this.terminal));
  }

  /** Show Experiment Results: the file given, else one of `.chaos/results/*.json` picked (newest first). */
  async showResultsFile(uri?: vscodeTypes.Uri): Promise<void> {
    const file =
      uri?.fsPath ??
      (await pickWorkspaceFile(this._vscode, { glob: RESULTS_GLOB, placeHolder: 'Experiment result to show', none: 'no experiment results in .chaos/results/ yet: run an experiment first', newestFirst: true }));
    if (!file) return;
    this._options.showResults(readResult(file), file);
  }

  private async _finished(file: string, exit: ExperimentExit): Promise<void> {
    const vscode = this._vscode;
    const r = exit.result;
    if (!r) {
      void vscode.window.showErrorMessage(`Chaos Testing: ${path.basename(file)} did not finish: ${exit.error ?? 'no result'}`);
      return;
    }
    this._options.showResults(r, file);
    this.diagnostics.showRun({ uri: vscode.Uri.file(file), getText: () => fs.readFileSync(file, 'utf8') }, r);
    const recovery = r.recoveryTimeMs === null ? 'did not recover' : `recovered in ${(r.recoveryTimeMs / 1000).toFixed(2)} s`;
    if (r.status === 'completed' && r.hypothesisHeld) void vscode.window.showInformationMessage(`Chaos Testing: ${r.title}: hypothesis held; ${recovery}.`);
    else if (r.status === 'aborted') void vscode.window.showWarningMessage(`Chaos Testing: ${r.title}: aborted; rollbacks ran.`);
    else if (r.status === 'unhealthy-before') void vscode.window.showErrorMessage(`Chaos Testing: ${r.title}: the system was not healthy before the method, so nothing was injected.`);
    else void vscode.window.showErrorMessage(`Chaos Testing: ${r.title}: hypothesis failed after the method; ${recovery}.`);
  }

  private async _removeToxic(node?: FaultNode): Promise<void> {
    if (node?.kind !== 'toxic') return;
    await this.faults.removeToxic(node.proxy, node.toxic.name);
  }

  /**
   * Change Toxic…: its attributes and toxicity as KEY=VALUE pairs, prefilled, checked as typed with the API's own
   * rules. Connections already open through a TCP proxy take the new attributes.
   */
  private async _changeToxic(node?: FaultNode): Promise<void> {
    if (node?.kind !== 'toxic') return;
    const { toxic } = node;
    const current = [...Object.entries(toxic.attributes).map(([k, v]) => `${k}=${v}`), `toxicity=${toxic.toxicity}`].join(' ');
    const problem = (text: string): string | undefined => {
      try {
        toxicChange(toxic, text);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    };
    const text = await this._vscode.window.showInputBox({
      title: `Change toxic '${toxic.name}' (${toxic.type}, ${toxic.stream})`,
      prompt: 'KEY=VALUE pairs, e.g. latency=500 toxicity=0.5; what is left out stays. Open connections take the new attributes.',
      value: current,
      validateInput: problem,
    });
    if (text === undefined) return;
    await this.faults.updateToxic(node.proxy, toxic.name, toxicChange(toxic, text));
  }

  private async _setEnabled(node: FaultNode | undefined, enabled: boolean): Promise<void> {
    if (node?.kind !== 'proxy') return;
    await this.faults.setEnabled(node.proxy.name, enabled);
  }
}

/** The update body for "latency=500 toxicity=0.5" on `toxic`, checked with the API's rules (throws one line). */
export function toxicChange(toxic: Toxic, text: string): { attributes: Record<string, number | string>; toxicity?: number } {
  const pairs = splitPairs(text);
  const odds = pairs.filter((p) => p.startsWith('toxicity='));
  const attributes = attributesFromPairs(toxic.type, pairs.filter((p) => !p.startsWith('toxicity=')), (pair) => `'${pair}'`);
  const given = odds.at(-1)?.slice('toxicity='.length);
  // Number('') is 0: an empty toxicity would silently turn the toxic off.
  const body = given === undefined ? { attributes } : { attributes, toxicity: given.trim() === '' ? NaN : Number(given) };
  updateToxic(toxic, body);
  return body;
}

/** An ExperimentResult file (from `chaos run`), checked enough to render; a one-line error otherwise. */
export function readResult(file: string): ExperimentResult {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${path.basename(file)} is not a readable JSON file (${(e as Error).message.split('\n')[0]})`);
  }
  const r = value as Partial<ExperimentResult> | null;
  if (!r || typeof r !== 'object' || typeof r.status !== 'string' || !Array.isArray(r.samples) || !Array.isArray(r.phases)) {
    throw new Error(`${path.basename(file)} is not an experiment result (written by chaos-testing chaos run)`);
  }
  return { hypothesisBefore: [], hypothesisAfter: [], timeline: [], rollbacks: [], ...r } as ExperimentResult;
}
