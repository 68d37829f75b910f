/**
 * Entry of the traffic browser panel: a search box (debounced), status-class filters, the total, actions on
 * the selected exchange, and the virtualised table. Filter, sort, scroll position and selection live in the
 * webview state, so the panel comes back as it was after VS Code discards a hidden webview.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { el, replaceChildren } from './dom';
import { PageCache, type TableQuery } from './pageCache';
import type { ExchangeRow, PanelMethod, SortColumn, StatusClass } from './protocol';
import { RpcClient, vscodeApi } from './rpc';
import { TrafficTable } from './trafficTable';

const STATUS_CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', 'error'];
const SEARCH_DEBOUNCE_MS = 200;
const CHANGED_DEBOUNCE_MS = 150;

interface BrowserState {
  text: string;
  /** Status classes shown; all of them when undefined. */
  statuses?: StatusClass[];
  sort: SortColumn;
  descending: boolean;
  scrollTop: number;
  selectedId?: number;
}

function debounce(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

class TrafficBrowser {
  private readonly _rpc: RpcClient;
  private readonly _state: BrowserState;
  private readonly _cache: PageCache;
  private readonly _table: TrafficTable;
  private readonly _search: VscodeTextfield;
  private readonly _checkboxes = new Map<StatusClass, VscodeCheckbox>();
  private readonly _total: HTMLElement;
  private readonly _message: HTMLElement;
  private readonly _buttons: VscodeButton[] = [];
  private _selected: ExchangeRow | undefined;
  private readonly _saveState = debounce(() => vscodeApi().setState(this._state), 100);

  constructor(root: HTMLElement) {
    const api = vscodeApi();
    this._rpc = new RpcClient(api);
    this._state = { text: '', sort: 'id', descending: false, scrollTop: 0, ...(api.getState() as Partial<BrowserState> | undefined) };
    this._cache = new PageCache((q) => this._rpc.request('page', q), () => this._onRows(), this._query());

    this._search = el('vscode-textfield', {
      testid: 'search',
      class: 'ct-search',
      attrs: { placeholder: 'Filter by URL or method', 'aria-label': 'Filter by URL or method' },
    });
    this._search.value = this._state.text;
    const applySearch = debounce(() => this._setFilter(), SEARCH_DEBOUNCE_MS);
    this._search.addEventListener('input', applySearch);

    const chips = el('div', { class: 'ct-chips', attrs: { role: 'group', 'aria-label': 'Status classes shown' } });
    for (const s of STATUS_CLASSES) {
      const box = el('vscode-checkbox', { testid: `status-${s}`, attrs: { label: s, value: s } });
      box.checked = this._state.statuses?.includes(s) ?? true;
      box.addEventListener('change', () => this._setFilter());
      this._checkboxes.set(s, box);
      chips.appendChild(box);
    }

    this._total = el('span', { class: 'ct-total', testid: 'total', attrs: { 'aria-live': 'polite' } }, 'loading…');
    const button = (label: string, testid: string, run: (row: ExchangeRow) => void): VscodeButton => {
      const b = el('vscode-button', { testid, attrs: { secondary: true, disabled: true }, on: { click: () => this._selected && run(this._selected) } }, label);
      this._buttons.push(b);
      return b;
    };
    const actions = el('div', { class: 'ct-actions' },
      button('Open', 'open', (r) => this._act('openExchange', r)),
      button('Copy as curl', 'copy-curl', (r) => this._act('copyCurl', r, 'Copied as curl')),
      button('Resend', 'resend', (r) => this._act('resend', r, 'Sent again')),
    );
    this._message = el('span', { class: 'ct-message', testid: 'message', attrs: { role: 'status' } });

    this._table = new TrafficTable(this._cache, {
      onSort: (c) => this._setSort(c),
      onSelect: (row) => this._onSelect(row),
      onOpen: (row) => this._act('openExchange', row),
      onScroll: (offset) => {
        if (offset === this._state.scrollTop) return;
        this._state.scrollTop = offset;
        this._saveState();
      },
    }, this._state.scrollTop, this._state.selectedId);
    this._table.setSort(this._state.sort, this._state.descending);

    replaceChildren(root,
      el('div', { class: 'ct-toolbar' }, this._search, chips, el('span', { class: 'ct-spacer' }), this._total),
      el('div', { class: 'ct-toolbar ct-toolbar-secondary' }, actions, this._message),
      this._table.element,
    );
    this._table.mount();
    const refresh = debounce(() => this._cache.refresh(), CHANGED_DEBOUNCE_MS);
    this._rpc.onEvent((e) => {
      if (e.name === 'changed') refresh();
    });
    this._rpc.ready();
    this._table.focus();
  }

  private _query(): TableQuery {
    const q: TableQuery = { text: this._state.text, sort: this._state.sort, descending: this._state.descending };
    if (this._state.statuses) q.statuses = this._state.statuses;
    return q;
  }

  private _setFilter(): void {
    const text = this._search.value.trim();
    const checked = STATUS_CLASSES.filter((s) => this._checkboxes.get(s)!.checked);
    const statuses = checked.length === STATUS_CLASSES.length ? undefined : checked;
    if (text === this._state.text && String(statuses) === String(this._state.statuses)) return;
    this._state.text = text;
    this._state.statuses = statuses;
    this._requery();
  }

  private _setSort(column: SortColumn): void {
    this._state.descending = this._state.sort === column ? !this._state.descending : false;
    this._state.sort = column;
    this._table.setSort(column, this._state.descending);
    this._requery();
  }

  private _requery(): void {
    this._saveState();
    this._table.resetSelection();
    this._total.textContent = 'loading…';
    delete this._total.dataset.total;
    this._cache.setQuery(this._query());
    this._table.render();
  }

  private _onRows(): void {
    const total = this._cache.total;
    if (total !== undefined) {
      this._total.dataset.total = String(total);
      this._total.textContent = `${total.toLocaleString('en-US')} exchange${total === 1 ? '' : 's'}`;
    }
    if (this._cache.error) this._say(`Could not load traffic: ${this._cache.error}`, true);
    this._table.rowsArrived();
  }

  private _onSelect(row: ExchangeRow | undefined): void {
    this._selected = row;
    this._state.selectedId = row?.id;
    this._saveState();
    for (const b of this._buttons) b.disabled = !row;
  }

  private _act(method: Extract<PanelMethod, 'openExchange' | 'copyCurl' | 'resend'>, row: ExchangeRow, done?: string): void {
    this._rpc.request(method, { id: row.id }).then(
      () => done && this._say(`${done}: #${row.id}`),
      (e: Error) => this._say(e.message, true),
    );
  }

  private _say(text: string, error = false): void {
    this._message.textContent = text;
    this._message.classList.toggle('ct-error-text', error);
  }
}

new TrafficBrowser(document.getElementById('app') ?? document.body);
