/**
 * Entry of the exchange panel. The host says which exchange to show (a `show` event after `ready`); the page
 * asks for it, renders it, and keeps its id and chosen tab in the webview state.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import { el, replaceChildren } from './dom';
import { sectionsOf, renderSummary } from './exchangeView';
import { isWireCall } from './wireView';
import type { ExchangeView } from './protocol';
import { RpcClient, vscodeApi } from './rpc';

interface PanelState {
  id?: number;
  /** Label of the chosen tab; Response by default. */
  tab?: string;
}

class ExchangePage {
  private readonly _rpc: RpcClient;
  private readonly _state: PanelState;
  private _loading = 0;
  private _requested: number | undefined;

  constructor(private readonly _root: HTMLElement) {
    const api = vscodeApi();
    this._rpc = new RpcClient(api);
    this._state = { ...(api.getState() as PanelState | undefined) };
    this._rpc.onEvent((e) => {
      // The host restates the exchange each time the page says ready; one the page already asked for is kept.
      if (e.name === 'show' && e.id !== this._requested) void this._load(e.id);
    });
    if (this._state.id !== undefined) void this._load(this._state.id);
    else replaceChildren(this._root, el('p', { class: 'ct-muted' }, 'Loading…'));
    this._rpc.ready();
  }

  private async _load(id: number): Promise<void> {
    const ticket = ++this._loading;
    this._requested = id;
    this._state.id = id;
    vscodeApi().setState(this._state);
    try {
      const view = await this._rpc.request('exchange', { id });
      if (ticket !== this._loading) return;
      if (view) this._render(view);
      else replaceChildren(this._root, el('p', { class: 'ct-muted', testid: 'missing' }, `Exchange #${id} is not in the traffic database (deleted, or another database is open).`));
    } catch (e) {
      if (ticket !== this._loading) return;
      replaceChildren(this._root, el('p', { class: 'ct-error-block', testid: 'error', attrs: { role: 'alert' } }, `Could not load exchange #${id}: ${(e as Error).message}`));
    }
  }

  private _render(x: ExchangeView): void {
    const message = el('span', { class: 'ct-message', testid: 'message', attrs: { role: 'status' } });
    const act = (method: 'copyCurl' | 'resend', done: string): void => {
      this._rpc.request(method, { id: x.id }).then(
        () => {
          message.textContent = done;
          message.classList.remove('ct-error-text');
        },
        (e: Error) => {
          message.textContent = e.message;
          message.classList.add('ct-error-text');
        },
      );
    };
    // curl and resend speak HTTP: a database call has neither.
    const http = !isWireCall(x.protocol);
    const actions = el('div', { class: 'ct-actions' },
      http && el('vscode-button', { testid: 'copy-curl', attrs: { secondary: true }, on: { click: () => act('copyCurl', 'Copied as curl') } }, 'Copy as curl'),
      http && el('vscode-button', { testid: 'resend', attrs: { secondary: true }, on: { click: () => act('resend', 'Sent again') } }, 'Resend'),
      message,
    );
    const sections = sectionsOf(x, (id) => void this._rpc.request('openExchange', { id }));
    // The tab chosen last, or Response (Call for a database call) when this exchange has no such tab.
    const chosen = sections.findIndex((s) => s.label === this._state.tab);
    const wanted = chosen >= 0 ? chosen : Math.max(0, sections.findIndex((s) => s.label === 'Response'));
    const tabs = el('vscode-tabs', { testid: 'tabs', attrs: { 'selected-index': wanted } });
    for (const s of sections) {
      tabs.append(
        el('vscode-tab-header', { testid: s.testid, attrs: { slot: 'header' } }, s.label, s.count !== undefined && el('vscode-badge', { attrs: { variant: 'counter', slot: 'content-after' } }, String(s.count))),
        el('vscode-tab-panel', { testid: `${s.testid}-panel` }, ...s.content),
      );
    }
    tabs.addEventListener('vsc-tabs-select', (e) => {
      this._state.tab = sections[e.detail.selectedIndex]?.label;
      vscodeApi().setState(this._state);
    });
    replaceChildren(this._root, el('div', { class: 'ct-exchange', testid: 'exchange', attrs: { 'data-id': x.id } }, renderSummary(x), actions, tabs));
  }
}

new ExchangePage(document.getElementById('app') ?? document.body);
