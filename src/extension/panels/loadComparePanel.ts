import type * as vscodeTypes from 'vscode';
import { DisposableBase } from '../disposable';
import { compareLoad, isBetter, isWorse } from '../../core/load/compare';
import type { LabeledLoadResult, LoadComparisonView } from '../load/types';
import { panelHtml, panelResourceRoots } from './html';
import { RpcHost } from './rpcHost';

type VSCode = typeof vscodeTypes;

/** The CLI's comparison (`load compare`), each row judged better, worse or the same (within noise). */
export function comparison(a: LabeledLoadResult, b: LabeledLoadResult): LoadComparisonView {
  const c = compareLoad(a, b);
  return { ...c, rows: c.rows.map((r) => ({ ...r, trend: isWorse(r) ? 'worse' : isBetter(r) ? 'better' : 'same' })) };
}

export function compareTitle(a: LabeledLoadResult, b: LabeledLoadResult): string {
  return `Compare: ${a.result.spec.name} ↔ ${b.result.spec.name}`;
}

/** Two load runs side by side: a table of their numbers with the deltas, and their timelines overlaid. */
export class LoadComparePanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.loadCompare';
  private static _current: LoadComparePanel | undefined;

  static get current(): LoadComparePanel | undefined {
    return LoadComparePanel._current;
  }

  static show(vscode: VSCode, extensionUri: vscodeTypes.Uri, a: LabeledLoadResult, b: LabeledLoadResult): LoadComparePanel {
    const open = LoadComparePanel._current;
    if (open) {
      open.show(a, b);
      open.panel.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(LoadComparePanel.viewType, compareTitle(a, b), { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(vscode, extensionUri),
    });
    return new LoadComparePanel(vscode, panel, extensionUri, a, b);
  }

  private readonly _rpc: RpcHost;

  private constructor(vscode: VSCode, readonly panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, private _a: LabeledLoadResult, private _b: LabeledLoadResult) {
    super();
    LoadComparePanel._current = this;
    this._register(panel);
    this._rpc = this._register(RpcHost.forPanel(panel, {}, () => this._post(), () => this.dispose()));
    panel.webview.html = panelHtml(vscode, panel.webview, extensionUri, { script: 'loadCompare.js', title: 'Compare Load Runs', styles: ['loadTest.css'] });
  }

  show(a: LabeledLoadResult, b: LabeledLoadResult): void {
    this._a = a;
    this._b = b;
    this.panel.title = compareTitle(a, b);
    this._post();
  }

  private _post(): void {
    this.panel.title = compareTitle(this._a, this._b);
    this._rpc.post({ kind: 'event', name: 'loadCompare', a: this._a, b: this._b, comparison: comparison(this._a, this._b) });
  }

  override dispose(): void {
    if (LoadComparePanel._current === this) LoadComparePanel._current = undefined;
    super.dispose();
  }
}
