import * as path from 'node:path';
import type * as vscodeTypes from 'vscode';
import type { ExperimentResult } from '../../core/chaos/types';
import { DisposableBase } from '../disposable';
import { panelHtml, panelResourceRoots } from './html';
import { RpcHost } from './rpcHost';

type VSCode = typeof vscodeTypes;

/** Tab title of a result: `✓ Title` or `✗ Title`. */
export function resultTitle(r: Pick<ExperimentResult, 'title' | 'status' | 'hypothesisHeld'>): string {
  const good = r.status === 'completed' && r.hypothesisHeld;
  return `${good ? '✓' : '✗'} ${r.title}`;
}

/**
 * One experiment run's result: status, hypothesis before and after, recovery, error rate, phase percentiles, the
 * timeline and a latency chart. One panel, reused: showing another result replaces the one shown. The page asks
 * for nothing; the host pushes the result each time the page says ready (it is discarded while hidden).
 */
export class ExperimentResultsPanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.experimentResults';
  private static _current: ExperimentResultsPanel | undefined;

  static get current(): ExperimentResultsPanel | undefined {
    return ExperimentResultsPanel._current;
  }

  static show(vscode: VSCode, extensionUri: vscodeTypes.Uri, result: ExperimentResult, file?: string): ExperimentResultsPanel {
    const open = ExperimentResultsPanel._current;
    if (open) {
      open._show(result, file);
      open.panel.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(ExperimentResultsPanel.viewType, resultTitle(result), { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(vscode, extensionUri),
    });
    return new ExperimentResultsPanel(vscode, panel, extensionUri, result, file);
  }

  private readonly _rpc: RpcHost;

  private constructor(vscode: VSCode, readonly panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, private _result: ExperimentResult, private _file: string | undefined) {
    super();
    ExperimentResultsPanel._current = this;
    this._register(panel);
    this._rpc = this._register(RpcHost.forPanel(panel, {}, () => this._post(), () => this.dispose()));
    panel.webview.html = panelHtml(vscode, panel.webview, extensionUri, { script: 'experimentResults.js', title: 'Experiment Results', styles: ['experimentResults.css'] });
  }

  get result(): ExperimentResult {
    return this._result;
  }

  private _show(result: ExperimentResult, file: string | undefined): void {
    this._result = result;
    this._file = file;
    this._post();
  }

  private _post(): void {
    this.panel.title = resultTitle(this._result);
    this._rpc.post({ kind: 'event', name: 'result', result: this._result, file: this._file ? path.basename(this._file) : undefined });
  }

  override dispose(): void {
    if (ExperimentResultsPanel._current === this) ExperimentResultsPanel._current = undefined;
    super.dispose();
  }
}
