/**
 * Rows of the traffic table, fetched lazily a page at a time. The table says which rows are on screen
 * (`want`); the cache fetches the pages it lacks (at most `concurrency` at once, nearest first), keeps a bounded
 * number of pages, and calls `onUpdate` when rows or the total arrive. A new query (filter, sort) drops
 * everything; `refresh()` (the traffic changed) keeps showing what it has while it refetches.
 */
import type { ExchangeRow, PageQuery, PageResult, SortColumn, StatusClass } from './protocol';

export interface TableQuery {
  text: string;
  /** Status classes to keep; undefined keeps all. */
  statuses?: StatusClass[];
  sort: SortColumn;
  descending: boolean;
}

export interface PageCacheOptions {
  pageSize?: number;
  /** Pages kept in memory; the farthest from the visible rows go first. */
  maxPages?: number;
  /** Page requests in flight at once. */
  concurrency?: number;
}

interface Page {
  rows: ExchangeRow[];
  /** The refresh epoch the rows were fetched in. */
  epoch: number;
}

export class PageCache {
  readonly pageSize: number;
  private readonly _maxPages: number;
  private readonly _concurrency: number;
  private _query: TableQuery;
  private _generation = 0;
  private _epoch = 0;
  private _pages = new Map<number, Page>();
  /** Page index → epoch of the request in flight. */
  private _inflight = new Map<number, number>();
  private _failed = new Set<number>();
  private _range = { start: 0, end: -1 };
  private _total: number | undefined;
  private _error: string | undefined;
  private _fetches = 0;

  constructor(
    private readonly _fetch: (query: PageQuery) => Promise<PageResult>,
    private readonly _onUpdate: () => void,
    query: TableQuery,
    options: PageCacheOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 200;
    this._maxPages = options.maxPages ?? 50;
    this._concurrency = options.concurrency ?? 2;
    this._query = query;
  }

  get query(): TableQuery {
    return this._query;
  }

  /** Rows matching the query; undefined until the first page arrives. */
  get total(): number | undefined {
    return this._total;
  }

  /** The last failed request's message, cleared by the next success. */
  get error(): string | undefined {
    return this._error;
  }

  /** Page requests made so far (for tests and diagnostics). */
  get fetches(): number {
    return this._fetches;
  }

  get cachedPages(): number {
    return this._pages.size;
  }

  row(index: number): ExchangeRow | undefined {
    return this._pages.get(Math.floor(index / this.pageSize))?.rows[index % this.pageSize];
  }

  /** A new filter or sort: forget every row and the total, and fetch again. */
  setQuery(query: TableQuery): void {
    this._query = query;
    this._generation++;
    this._pages.clear();
    this._inflight.clear();
    this._failed.clear();
    this._total = undefined;
    this._error = undefined;
    this._pump();
  }

  /** The traffic changed: keep the rows for display, but fetch every visible page again. */
  refresh(): void {
    this._epoch++;
    this._failed.clear();
    this._pump();
  }

  /** Rows `start..end` (inclusive) are on screen. */
  want(start: number, end: number): void {
    this._range = { start: Math.max(0, start), end };
    this._pump();
  }

  private _wantedPages(): number[] {
    const first = Math.floor(this._range.start / this.pageSize);
    const end = this._total === undefined ? this._range.start : Math.min(this._range.end, this._total - 1);
    const last = Math.max(first, Math.floor(end / this.pageSize));
    const pages: number[] = [];
    for (let p = first; p <= last; p++) pages.push(p);
    return pages;
  }

  private _pump(): void {
    if (this._query.statuses?.length === 0) {
      // No status class chosen: nothing matches (the store reads an empty list as "every class").
      if (this._total !== 0) {
        this._total = 0;
        this._onUpdate();
      }
      return;
    }
    for (const p of this._wantedPages()) {
      if (this._inflight.size >= this._concurrency) return;
      if (this._inflight.has(p) || this._failed.has(p)) continue;
      const page = this._pages.get(p);
      if (page && page.epoch >= this._epoch) continue;
      void this._load(p);
    }
  }

  private async _load(p: number): Promise<void> {
    const generation = this._generation;
    const epoch = this._epoch;
    this._inflight.set(p, epoch);
    this._fetches++;
    const q = this._query;
    const query: PageQuery = { offset: p * this.pageSize, limit: this.pageSize, text: q.text, sort: q.sort, descending: q.descending };
    if (q.statuses) query.statuses = q.statuses;
    try {
      const result = await this._fetch(query);
      if (generation !== this._generation) return;
      this._pages.set(p, { rows: result.rows, epoch });
      this._total = result.total;
      this._error = undefined;
      this._evict();
    } catch (e) {
      if (generation !== this._generation) return;
      this._failed.add(p);
      this._error = e instanceof Error ? e.message : String(e);
    } finally {
      if (generation === this._generation) this._inflight.delete(p);
    }
    this._onUpdate();
    this._pump();
  }

  private _evict(): void {
    if (this._pages.size <= this._maxPages) return;
    const center = (this._range.start + this._range.end) / 2 / this.pageSize;
    const far = [...this._pages.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center));
    for (const p of far.slice(0, this._pages.size - this._maxPages)) this._pages.delete(p);
  }
}
