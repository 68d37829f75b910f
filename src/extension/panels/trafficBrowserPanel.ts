import type * as vscodeTypes from 'vscode';
import { DisposableBase } from '../disposable';
import type { TrafficBackend } from './backend';
import { ExchangePanel } from './exchangePanel';
import { panelHtml, panelResourceRoots } from './html';
import { RpcHost } from './rpcHost';

type VSCode = typeof vscodeTypes;

/**
 * The traffic browser: one panel (a second `show` reveals it). Its page asks for pages of rows; the panel
 * tells it when the traffic changed. The page keeps its own state (filter, sort, scroll), so its context is not
 * retained while hidden.
 */
export class TrafficBrowserPanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.trafficBrowser';
  private static _current: TrafficBrowserPanel | undefined;

  /** The open panel, if any. */
  static get current(): TrafficBrowserPanel | undefined {
    return TrafficBrowserPanel._current;
  }

  /** Opens the traffic browser, or reveals the one already open. */
  static show(vscode: VSCode, extensionUri: vscodeTypes.Uri, backend: TrafficBackend): TrafficBrowserPanel {
    const open = TrafficBrowserPanel._current;
    if (open) {
      open.panel.reveal();
      return open;
    }
    const panel = vscode.window.createWebviewPanel(TrafficBrowserPanel.viewType, 'Traffic', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(vscode, extensionUri),
    });
    return new TrafficBrowserPanel(vscode, panel, extensionUri, backend);
  }

  /** Takes over a panel VS Code restored after a reload (from a `WebviewPanelSerializer` for `viewType`). */
  static revive(vscode: VSCode, panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, backend: TrafficBackend): TrafficBrowserPanel {
    TrafficBrowserPanel._current?.dispose();
    return new TrafficBrowserPanel(vscode, panel, extensionUri, backend);
  }

  private readonly _rpc: RpcHost;

  private constructor(vscode: VSCode, readonly panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, backend: TrafficBackend) {
    super();
    TrafficBrowserPanel._current = this;
    this._register(panel);
    panel.webview.options = { enableScripts: true, localResourceRoots: panelResourceRoots(vscode, extensionUri) };
    this._rpc = this._register(new RpcHost(panel.webview, {
      page: (query) => backend.page(query),
      exchange: ({ id }) => backend.exchange(id),
      openExchange: ({ id }) => {
        ExchangePanel.show(vscode, extensionUri, backend, id);
        return null;
      },
      copyCurl: async ({ id }) => {
        await backend.copyCurl(id);
        return null;
      },
      resend: async ({ id }) => {
        await backend.resend(id);
        return null;
      },
    }));
    const unsubscribe = backend.onDidChange(() => this._rpc.post({ kind: 'event', name: 'changed' }));
    this._register({ dispose: unsubscribe });
    this._register(panel.onDidChangeViewState(() => {
      if (!panel.visible) this._rpc.notReady();
    }));
    this._register(panel.onDidDispose(() => this.dispose()));
    panel.webview.html = panelHtml(vscode, panel.webview, extensionUri, { script: 'trafficBrowser.js', title: 'Traffic' });
  }

  override dispose(): void {
    if (TrafficBrowserPanel._current === this) TrafficBrowserPanel._current = undefined;
    super.dispose();
  }
}
