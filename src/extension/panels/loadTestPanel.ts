import type * as vscodeTypes from 'vscode';
import type { LoadResult, LoadTick } from '../../core/load/types';
import { DisposableBase } from '../disposable';
import type { LoadRunInfo } from '../load/types';
import { panelHtml, panelResourceRoots } from './html';
import { RpcHost } from './rpcHost';

type VSCode = typeof vscodeTypes;

/** Tab title: `Load: name` while it runs, then `✓ Load: name` or `✗ Load: name` (a quick run is `load <target>`). */
export function loadTitle(name: string, result?: LoadResult): string {
  const title = /^load\b/i.test(name) ? name : `Load: ${name}`;
  if (!result) return title;
  return `${result.passed && !result.stopped ? '✓' : '✗'} ${title}`;
}

/**
 * One load run, live: RPS, p99 and errors charted as ticks arrive, then the result's tables. One panel, reused: a
 * new run replaces the one shown. The host keeps the run's state and pushes all of it whenever the page says
 * ready (VS Code discards a hidden page), and each tick as it comes.
 */
export class LoadTestPanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.loadTest';
  private static _current: LoadTestPanel | undefined;

  static get current(): LoadTestPanel | undefined {
    return LoadTestPanel._current;
  }

  /** The panel for a run (opened, or the open one cleared for it). */
  static start(vscode: VSCode, extensionUri: vscodeTypes.Uri, run: LoadRunInfo): LoadTestPanel {
    const open = LoadTestPanel._current;
    if (open) {
      open.start(run);
      open.panel.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(LoadTestPanel.viewType, loadTitle(run.name), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(vscode, extensionUri),
    });
    return new LoadTestPanel(panel, extensionUri, vscode, run);
  }

  private readonly _rpc: RpcHost;
  private _ticks: LoadTick[] = [];
  private _result: LoadResult | undefined;
  private _source: string | undefined;

  private constructor(readonly panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, vscode: VSCode, private _run: LoadRunInfo) {
    super();
    LoadTestPanel._current = this;
    this._register(panel);
    this._rpc = this._register(new RpcHost(panel.webview, {}));
    this._rpc.onReady(() => this._postState());
    this._register(panel.onDidChangeViewState(() => {
      if (!panel.visible) this._rpc.notReady();
    }));
    this._register(panel.onDidDispose(() => this.dispose()));
    panel.webview.html = panelHtml(vscode, panel.webview, extensionUri, { script: 'loadTest.js', title: 'Load Test', styles: ['loadTest.css'] });
  }

  get ticks(): readonly LoadTick[] {
    return this._ticks;
  }

  get result(): LoadResult | undefined {
    return this._result;
  }

  start(run: LoadRunInfo): void {
    this._run = run;
    this._ticks = [];
    this._result = undefined;
    this._source = undefined;
    this.panel.title = loadTitle(run.name);
    this._postState();
  }

  tick(tick: LoadTick): void {
    this._ticks.push(tick);
    this._rpc.post({ kind: 'event', name: 'loadTick', tick });
  }

  /** The run's result; also shows a stored run on its own (its timeline stands in for the ticks). */
  showResult(result: LoadResult, source?: string): void {
    this._result = result;
    this._source = source;
    if (!this._ticks.length) this._ticks = [...result.timeline];
    this.panel.title = loadTitle(this._run.name, result);
    this._rpc.post({ kind: 'event', name: 'loadResult', result, source });
  }

  private _postState(): void {
    this._rpc.post({ kind: 'event', name: 'loadState', run: this._run, ticks: this._ticks, result: this._result, source: this._source });
  }

  override dispose(): void {
    if (LoadTestPanel._current === this) LoadTestPanel._current = undefined;
    super.dispose();
  }
}
