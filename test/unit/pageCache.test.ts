import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PageCache, type TableQuery } from '../../webview/pageCache';
import type { ExchangeRow, PageQuery, PageResult } from '../../webview/protocol';

const Q: TableQuery = { text: '', sort: 'id', descending: false };

interface Call {
  query: PageQuery;
  resolve(total: number): void;
  reject(e: Error): void;
}

/** A page source whose answers the test releases by hand. */
function source(): { fetch: (q: PageQuery) => Promise<PageResult>; calls: Call[] } {
  const calls: Call[] = [];
  const fetch = (query: PageQuery): Promise<PageResult> => new Promise((resolve, reject) => {
    calls.push({
      query,
      reject,
      resolve: (total) => {
        const rows: ExchangeRow[] = [];
        for (let i = query.offset; i < Math.min(total, query.offset + query.limit); i++) {
          rows.push({ id: i + 1, protocol: 'http', startedAt: 0, method: 'GET', url: `${query.text ?? ''}/${i + 1}`, host: null, status: 200, durationMs: 1, responseBodySize: 0, error: null });
        }
        resolve({ total, offset: query.offset, rows });
      },
    });
  });
  return { fetch, calls };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('fetches only the pages on screen, nearest first, a bounded number at a time', async () => {
  const { fetch, calls } = source();
  let updates = 0;
  const cache = new PageCache(fetch, () => updates++, Q, { pageSize: 100, concurrency: 2 });
  cache.want(0, 30);
  assert.equal(calls.length, 1, 'the total is unknown: one page first');
  calls[0].resolve(100_000);
  await settle();
  assert.equal(cache.total, 100_000);
  assert.equal(cache.row(5)?.id, 6);
  assert.equal(updates, 1);
  cache.want(50_050, 50_350);
  assert.deepEqual(calls.slice(1).map((c) => c.query.offset), [50_000, 50_100], 'two in flight');
  calls[1].resolve(100_000);
  await settle();
  assert.deepEqual(calls.slice(3).map((c) => c.query.offset), [50_200]);
  calls[2].resolve(100_000);
  calls[3].resolve(100_000);
  await settle();
  assert.equal(calls.length, 5, 'page 503 (rows 50300..50350) follows');
  calls[4].resolve(100_000);
  await settle();
  assert.equal(cache.row(50_349)?.id, 50_350);
  cache.want(50_050, 50_350);
  assert.equal(calls.length, 5, 'cached pages are not fetched again');
});

test('a new query drops rows, total and late answers of the old one', async () => {
  const { fetch, calls } = source();
  const cache = new PageCache(fetch, () => undefined, Q, { pageSize: 100 });
  cache.want(0, 10);
  calls[0].resolve(1000);
  await settle();
  cache.want(500, 510);
  cache.setQuery({ ...Q, text: 'orders' });
  assert.equal(cache.total, undefined);
  assert.equal(cache.row(0), undefined);
  assert.equal(calls.at(-1)!.query.text, 'orders');
  calls[1].resolve(1000); // the old query's page 5 arrives late
  await settle();
  assert.equal(cache.row(500), undefined);
  calls.at(-1)!.resolve(700);
  await settle();
  assert.equal(cache.total, 700);
  assert.equal(cache.row(500)?.url, 'orders/501');
});

test('refresh keeps showing rows while it refetches the visible pages', async () => {
  const { fetch, calls } = source();
  const cache = new PageCache(fetch, () => undefined, Q, { pageSize: 100 });
  cache.want(0, 10);
  calls[0].resolve(10);
  await settle();
  cache.refresh();
  assert.equal(calls.length, 2);
  assert.equal(cache.row(3)?.id, 4, 'old rows stay on screen');
  calls[1].resolve(12);
  await settle();
  assert.equal(cache.total, 12);
  assert.equal(cache.row(11)?.id, 12);
});

test('keeps a bounded number of pages, dropping the farthest', async () => {
  const { fetch, calls } = source();
  const cache = new PageCache(fetch, () => undefined, Q, { pageSize: 10, maxPages: 3, concurrency: 1 });
  for (let p = 0; p < 8; p++) {
    cache.want(p * 10, p * 10 + 5);
    calls.at(-1)!.resolve(1000);
    await settle();
  }
  assert.equal(cache.cachedPages, 3);
  assert.ok(cache.row(75));
  assert.equal(cache.row(5), undefined);
});

test('no status class chosen: nothing matches, nothing is fetched', async () => {
  const { fetch, calls } = source();
  let updates = 0;
  const cache = new PageCache(fetch, () => updates++, { ...Q, statuses: [] });
  cache.want(0, 20);
  assert.equal(cache.total, 0);
  assert.equal(calls.length, 0);
  assert.equal(updates, 1);
});

test('a failed page is reported, not retried in a loop; refresh retries it', async () => {
  const { fetch, calls } = source();
  const cache = new PageCache(fetch, () => undefined, Q, { pageSize: 100 });
  cache.want(0, 10);
  calls[0].reject(new Error('database is locked'));
  await settle();
  assert.equal(cache.error, 'database is locked');
  cache.want(0, 10);
  assert.equal(calls.length, 1);
  cache.refresh();
  assert.equal(calls.length, 2);
  calls[1].resolve(3);
  await settle();
  assert.equal(cache.error, undefined);
  assert.equal(cache.total, 3);
});

test('sends filter and sort with each page', () => {
  const { fetch, calls } = source();
  const cache = new PageCache(fetch, () => undefined, { text: 'x', statuses: ['4xx', 'error'], sort: 'status', descending: true }, { pageSize: 50 });
  cache.want(120, 130);
  assert.deepEqual(calls[0].query, { offset: 100, limit: 50, text: 'x', statuses: ['4xx', 'error'], sort: 'status', descending: true });
});
