import type * as vscodeTypes from 'vscode';
import type { ExchangeView } from '../../core/store/queries';
import { DisposableBase } from '../disposable';
import type { TrafficBackend } from './backend';
import { panelHtml, panelResourceRoots } from './html';
import { RpcHost } from './rpcHost';

type VSCode = typeof vscodeTypes;

/** Tab title of an exchange: `GET /orders/7 → 200`. */
export function exchangeTitle(x: Pick<ExchangeView, 'method' | 'url' | 'status' | 'error'> & { protocol?: string }): string {
  // A database call: its statement, cut to fit a tab.
  if (x.protocol && !/^(https?|wss?|tunnel)$/.test(x.protocol)) {
    const statement = x.url.replace(/\s+/g, ' ');
    return `${x.method} ${statement.length > 40 ? `${statement.slice(0, 39)}…` : statement}${x.error ? ' → error' : ''}`;
  }
  let path = x.url;
  // Tunnels are `host:port`, which URL would read as a scheme and a path.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(x.url)) {
    try {
      path = new URL(x.url).pathname;
    } catch {
      // not a URL after all: show it as it is
    }
  }
  return `${x.method} ${path} → ${x.status ?? 'error'}`;
}

/**
 * One exchange in full. There is one exchange panel: showing another exchange reuses it (a `show` event tells
 * the page which one), opening beside the traffic browser without taking the focus from it.
 */
export class ExchangePanel extends DisposableBase {
  static readonly viewType = 'chaosTesting.exchange';
  private static _current: ExchangePanel | undefined;

  static get current(): ExchangePanel | undefined {
    return ExchangePanel._current;
  }

  /** Shows exchange `id`, in the open exchange panel if there is one. */
  static show(vscode: VSCode, extensionUri: vscodeTypes.Uri, backend: TrafficBackend, id: number): ExchangePanel {
    const open = ExchangePanel._current;
    if (open) {
      open._show(id);
      open.panel.reveal(undefined, true);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(ExchangePanel.viewType, `Exchange #${id}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelResourceRoots(vscode, extensionUri),
    });
    return new ExchangePanel(vscode, panel, extensionUri, backend, id);
  }

  /** Takes over a panel VS Code restored after a reload; `state` is what the page saved (`{ id }`). */
  static revive(vscode: VSCode, panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, backend: TrafficBackend, state: unknown): ExchangePanel {
    ExchangePanel._current?.dispose();
    const id = Number((state as { id?: unknown } | undefined)?.id);
    return new ExchangePanel(vscode, panel, extensionUri, backend, Number.isInteger(id) ? id : 0);
  }

  private readonly _rpc: RpcHost;
  private _id: number;

  private constructor(vscode: VSCode, readonly panel: vscodeTypes.WebviewPanel, extensionUri: vscodeTypes.Uri, private readonly _backend: TrafficBackend, id: number) {
    super();
    ExchangePanel._current = this;
    this._id = id;
    this._register(panel);
    panel.webview.options = { enableScripts: true, localResourceRoots: panelResourceRoots(vscode, extensionUri) };
    this._rpc = this._register(new RpcHost(panel.webview, {
      exchange: async ({ id: wanted }) => {
        const view = await this._backend.exchange(wanted);
        if (wanted === this._id) panel.title = view ? exchangeTitle(view) : `Exchange #${wanted} (gone)`;
        return view;
      },
      copyCurl: async ({ id: wanted }) => {
        await this._backend.copyCurl(wanted);
        return null;
      },
      resend: async ({ id: wanted }) => {
        await this._backend.resend(wanted);
        return null;
      },
      // A linked call (or its HTTP exchange) clicked in the page: this panel shows it.
      openExchange: async ({ id: wanted }) => {
        this._show(wanted);
        return null;
      },
    }));
    this._rpc.onReady(() => this._rpc.post({ kind: 'event', name: 'show', id: this._id }));
    this._register(panel.onDidChangeViewState(() => {
      if (!panel.visible) this._rpc.notReady();
    }));
    this._register(panel.onDidDispose(() => this.dispose()));
    panel.title = `Exchange #${id}`;
    panel.webview.html = panelHtml(vscode, panel.webview, extensionUri, { script: 'exchangePanel.js', title: 'Exchange' });
  }

  /** The exchange shown (or being loaded). */
  get exchangeId(): number {
    return this._id;
  }

  private _show(id: number): void {
    if (id === this._id && this._rpc.isReady) return;
    this._id = id;
    this.panel.title = `Exchange #${id}`;
    this._rpc.post({ kind: 'event', name: 'show', id });
  }

  override dispose(): void {
    if (ExchangePanel._current === this) ExchangePanel._current = undefined;
    super.dispose();
  }
}
