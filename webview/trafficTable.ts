/**
 * The traffic table: a sticky header of sortable columns over a virtualised list of fixed-height rows. Only
 * the rows on screen (plus a few) exist in the DOM; their data comes from a `PageCache`. Arrow keys, Page
 * Up/Down, Home and End move the selection; Enter or a double click opens the selected exchange.
 */
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import { el } from './dom';
import { COLUMNS } from './columns';
import { statusKind } from './format';
import type { PageCache } from './pageCache';
import type { ExchangeRow, SortColumn } from './protocol';

/** Must match `.ct-row` and `.ct-thead` heights in media/panels.css. */
export const ROW_HEIGHT = 22;
const HEADER_HEIGHT = 24;
/** A row whose page has not arrived shows an ellipsis here. */
const URL_CELL = COLUMNS.findIndex((c) => c.key === 'url');

export interface TrafficTableEvents {
  onSort(column: SortColumn): void;
  onSelect(row: ExchangeRow | undefined): void;
  onOpen(row: ExchangeRow): void;
  onScroll(offset: number): void;
}

/** A row element and what it shows now (rows are recycled as the list scrolls). */
interface RowElement extends HTMLDivElement {
  _row?: ExchangeRow | null;
  _cells?: HTMLSpanElement[];
  _index?: number;
  _top?: number;
  _selected?: boolean;
}

export class TrafficTable {
  readonly element: HTMLDivElement;
  private readonly _viewport: HTMLDivElement;
  private readonly _body: HTMLDivElement;
  private readonly _headers = new Map<SortColumn, HTMLElement>();
  private readonly _virtualizer: Virtualizer<HTMLDivElement, HTMLDivElement>;
  private readonly _rows = new Map<number, RowElement>();
  private _count = 0;
  private _selectedIndex = -1;
  private _selectedId: number | undefined;
  private _unmount: () => void = () => undefined;
  /** Scroll offset to restore once there are rows to scroll (an empty list cannot be scrolled). */
  private _restoreOffset: number | undefined;
  private _adopted: ExchangeRow | undefined;

  constructor(private readonly _cache: PageCache, private readonly _events: TrafficTableEvents, initialOffset = 0, selectedId?: number) {
    this._selectedId = selectedId;
    this._restoreOffset = initialOffset > 0 ? initialOffset : undefined;
    const head = el('div', { class: 'ct-thead', attrs: { role: 'row' } });
    for (const c of COLUMNS) {
      const th = el('div', {
        class: `ct-th ct-c-${c.key}`,
        testid: `sort-${c.key}`,
        attrs: { role: 'columnheader', tabindex: 0, 'data-column': c.key, 'aria-sort': 'none' },
        on: {
          click: () => this._events.onSort(c.key),
          keydown: (e) => {
            const k = (e as KeyboardEvent).key;
            if (k === 'Enter' || k === ' ') {
              e.preventDefault();
              e.stopPropagation(); // not also "open the selected row" in the grid's handler
              this._events.onSort(c.key);
            }
          },
        },
      }, el('span', { class: 'ct-th-label' }, c.label), el('span', { class: 'ct-sort-arrow', attrs: { 'aria-hidden': 'true' } }));
      this._headers.set(c.key, th);
      head.appendChild(th);
    }
    this._body = el('div', { class: 'ct-tbody', attrs: { role: 'rowgroup' } });
    this._viewport = el('div', {
      class: 'ct-viewport',
      testid: 'traffic-viewport',
      attrs: { tabindex: 0, role: 'grid', 'aria-label': 'Captured exchanges', 'aria-rowcount': 0 },
      on: { keydown: (e) => this._onKey(e as KeyboardEvent), dblclick: (e) => this._onDoubleClick(e), click: (e) => this._onClick(e) },
    }, head, this._body);
    this.element = el('div', { class: 'ct-table', testid: 'traffic-table' }, this._viewport);
    this._virtualizer = new Virtualizer<HTMLDivElement, HTMLDivElement>({
      count: 0,
      getScrollElement: () => this._viewport,
      estimateSize: () => ROW_HEIGHT,
      overscan: 8,
      scrollMargin: HEADER_HEIGHT,
      observeElementRect,
      observeElementOffset,
      scrollToFn: elementScroll,
      onChange: () => this.render(),
    });
  }

  /** Call once the element is in the document. */
  mount(): void {
    this._unmount = this._virtualizer._didMount();
    this._virtualizer._willUpdate();
    this.render();
  }

  dispose(): void {
    this._unmount();
  }

  focus(): void {
    this._viewport.focus();
  }

  get selectedRow(): ExchangeRow | undefined {
    return this._selectedIndex >= 0 ? this._cache.row(this._selectedIndex) : undefined;
  }

  /** Shows the sort arrow on `column`. */
  setSort(column: SortColumn, descending: boolean): void {
    for (const [key, th] of this._headers) {
      const active = key === column;
      th.setAttribute('aria-sort', active ? (descending ? 'descending' : 'ascending') : 'none');
      th.classList.toggle('ct-sorted', active);
      th.querySelector('.ct-sort-arrow')!.textContent = active ? (descending ? '▼' : '▲') : '';
    }
  }

  /** The query changed: back to the top, nothing selected (the rows are fetched again). */
  resetSelection(): void {
    this._selectedIndex = -1;
    this._selectedId = undefined;
    this._virtualizer.scrollToOffset(0);
    this._events.onSelect(undefined);
  }

  /** Re-reads the row count and the rows on screen from the cache. */
  render(): void {
    const total = this._cache.total ?? 0;
    if (total !== this._count) {
      this._count = total;
      this._virtualizer.setOptions({ ...this._virtualizer.options, count: total });
      this._virtualizer._willUpdate();
      this._viewport.setAttribute('aria-rowcount', String(total + 1));
      if (this._selectedIndex >= total) this._select(total - 1, false);
    }
    const height = `${this._virtualizer.getTotalSize()}px`;
    if (this._body.style.height !== height) this._body.style.height = height;
    if (this._restoreOffset !== undefined && total > 0) {
      const offset = this._restoreOffset;
      this._restoreOffset = undefined;
      this._virtualizer.scrollToOffset(offset);
    }
    const items = this._virtualizer.getVirtualItems();
    const keep = new Set(items.map((i) => i.index));
    const spare: RowElement[] = [];
    for (const [index, row] of this._rows) {
      if (keep.has(index)) continue;
      this._rows.delete(index);
      spare.push(row);
    }
    for (const item of items) {
      let rowEl = this._rows.get(item.index);
      if (!rowEl) {
        rowEl = spare.pop() ?? this._createRow();
        rowEl._row = undefined;
        this._rows.set(item.index, rowEl);
        if (!rowEl.isConnected) this._body.appendChild(rowEl);
      }
      this._fill(rowEl, item.index, item.start - HEADER_HEIGHT);
    }
    for (const r of spare) r.remove();
    if (this._adopted) {
      const row = this._adopted;
      this._adopted = undefined;
      for (const r of this._rows.values()) this._markSelected(r);
      this._events.onSelect(row);
    }
    if (items.length) this._cache.want(items[0].index, items[items.length - 1].index);
    else this._cache.want(0, 0);
    if (this._restoreOffset === undefined) this._events.onScroll(this._virtualizer.scrollOffset ?? 0);
  }

  private _createRow(): RowElement {
    const cells = COLUMNS.map((c) => el('span', { class: `ct-td ct-c-${c.key}`, attrs: { role: 'gridcell' }, testid: c.key === 'status' ? 'status' : undefined }));
    const row = el('div', { class: 'ct-row', attrs: { role: 'row' }, testid: 'row' }, ...cells) as RowElement;
    row._cells = cells;
    return row;
  }

  /** Writes only what changed: a scroll moves most rows by nothing, and unchanged writes still cost style work. */
  private _fill(rowEl: RowElement, index: number, top: number): void {
    if (rowEl._top !== top) {
      rowEl._top = top;
      rowEl.style.transform = `translateY(${top}px)`;
    }
    if (rowEl._index !== index) {
      rowEl._index = index;
      rowEl.dataset.index = String(index);
      rowEl.setAttribute('aria-rowindex', String(index + 2));
    }
    const row = this._cache.row(index) ?? null;
    if (row && row.id === this._selectedId && this._selectedIndex !== index) {
      // The selected exchange moved (new traffic above it) or came back (restored state): follow it.
      this._selectedIndex = index;
      this._adopted = row;
    }
    if (rowEl._row !== row) {
      rowEl._row = row;
      rowEl._selected = undefined;
      this._fillCells(rowEl, row);
    }
    this._markSelected(rowEl);
  }

  private _markSelected(rowEl: RowElement): void {
    const selected = rowEl._index === this._selectedIndex;
    if (rowEl._selected === selected) return;
    rowEl._selected = selected;
    rowEl.classList.toggle('ct-selected', selected);
    rowEl.setAttribute('aria-selected', String(selected));
  }

  private _fillCells(rowEl: RowElement, row: ExchangeRow | null): void {
    const cells = rowEl._cells!;
    if (!row) {
      delete rowEl.dataset.id;
      rowEl.className = 'ct-row ct-loading';
      for (const c of cells) {
        c.textContent = '';
        c.removeAttribute('title');
      }
      cells[URL_CELL].textContent = '…';
      return;
    }
    rowEl.dataset.id = String(row.id);
    rowEl.className = `ct-row ct-${statusKind(row.status)}`;
    COLUMNS.forEach((c, i) => {
      cells[i].textContent = c.cell(row);
      const title = c.title?.(row);
      if (title) cells[i].title = title;
      else cells[i].removeAttribute('title');
    });
  }

  private _indexOf(e: Event): number {
    const rowEl = (e.target as Element).closest<HTMLElement>('.ct-row');
    return rowEl?.dataset.index === undefined ? -1 : Number(rowEl.dataset.index);
  }

  private _onClick(e: Event): void {
    const index = this._indexOf(e);
    if (index >= 0) this._select(index, false);
  }

  private _onDoubleClick(e: Event): void {
    const index = this._indexOf(e);
    if (index < 0) return;
    this._select(index, false);
    const row = this._cache.row(index);
    if (row) this._events.onOpen(row);
  }

  private _onKey(e: KeyboardEvent): void {
    const visible = Math.max(1, Math.floor((this._viewport.clientHeight - HEADER_HEIGHT) / ROW_HEIGHT) - 1);
    const at = this._selectedIndex;
    const moves: Record<string, number> = {
      ArrowDown: at + 1, ArrowUp: at < 0 ? 0 : at - 1, PageDown: at + visible, PageUp: at - visible, Home: 0, End: this._count - 1,
    };
    if (e.key in moves) {
      e.preventDefault();
      if (this._count) this._select(Math.max(0, Math.min(this._count - 1, moves[e.key])), true);
    } else if (e.key === 'Enter') {
      const row = this.selectedRow;
      if (row) {
        e.preventDefault();
        this._events.onOpen(row);
      }
    }
  }

  private _select(index: number, scroll: boolean): void {
    this._selectedIndex = index;
    const row = index >= 0 ? this._cache.row(index) : undefined;
    this._selectedId = row?.id;
    if (scroll && index >= 0) this._virtualizer.scrollToIndex(index, { align: 'auto' });
    this.render();
    this._events.onSelect(row);
  }

  /** The cache delivered rows: a selected row without data yet may now have its id. */
  rowsArrived(): void {
    if (this._selectedIndex >= 0 && this._selectedId === undefined) {
      const row = this._cache.row(this._selectedIndex);
      if (row) {
        this._selectedId = row.id;
        this._events.onSelect(row);
      }
    }
    this.render();
  }
}
