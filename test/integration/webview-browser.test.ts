/**
 * The two panels in a real Chromium, against the real host classes (TrafficBrowserPanel, ExchangePanel, RpcHost)
 * on a fake `vscode`, over a real TrafficDb of 100,000 exchanges answered by the store's own SQL: the page
 * loads under the CSP the host builds, and nothing may violate it or log an error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ExchangePanel } from '../../src/extension/panels/exchangePanel';
import { TrafficBrowserPanel } from '../../src/extension/panels/trafficBrowserPanel';
import { waitFor } from '../helpers';
import { SAMPLE_JSON, appendSpecialExchanges, dbBackend, methodOf, statusOf, syntheticDb, urlOf } from '../helpers/trafficData';
import { webviewHarness } from '../helpers/webviewPage';

const N = 100_000;
const THEME = { '--vscode-editor-background': 'rgb(10, 20, 30)', '--vscode-foreground': 'rgb(200, 201, 202)' };

const count = (keep: (i: number) => boolean): number => {
  let n = 0;
  for (let i = 1; i <= N; i++) if (keep(i)) n++;
  return n;
};

const total = (page: Page): Promise<number> => page.$eval('[data-testid=total]', (e) => Number((e as HTMLElement).dataset.total ?? -1));
const rowCount = (page: Page): Promise<number> => page.locator('[data-testid=row]').count();
/** Ids and status cells of the rows on screen, top to bottom. */
const visibleRows = (page: Page): Promise<Array<{ index: number; id: number; status: string; url: string }>> =>
  page.$$eval('[data-testid=row][data-id]', (rows) => rows
    .map((r) => ({ index: Number((r as HTMLElement).dataset.index), id: Number((r as HTMLElement).dataset.id), status: r.querySelector('[data-testid=status]')!.textContent ?? '', url: r.children[3].textContent ?? '' }))
    .sort((a, b) => a.index - b.index));

/**
 * Smoothness: scrolls a frame at a time, wheel-like (12 rows a frame) and fling-like (68 rows a frame), and times
 * the frames; rows of pages not fetched yet show as placeholders meanwhile. Source text, not a function: tsx
 * would add helpers (__name) the page does not have.
 */
const SCROLL_FRAMES = `(async () => {
  const v = document.querySelector('[data-testid=traffic-viewport]');
  const run = async (step, count) => {
    v.scrollTop = step * 1000;
    await new Promise(requestAnimationFrame);
    const times = [];
    let last = performance.now();
    for (let f = 0; f < count; f++) {
      v.scrollTop += step;
      await new Promise(requestAnimationFrame);
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    times.sort((a, b) => a - b);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
    return 'p50 ' + at(0.5) + ' ms, p95 ' + at(0.95) + ' ms, max ' + at(1) + ' ms';
  };
  return { wheel: await run(264, 60), fling: await run(1500, 60), rows: document.querySelectorAll('[data-testid=row]').length };
})()`;

async function waitTotal(page: Page, expected: number, what: string): Promise<number> {
  const t0 = Date.now();
  await waitFor(async () => (await total(page)) === expected, 15_000, `${what}: total ${expected} (shows ${await total(page)})`);
  return Date.now() - t0;
}

test('traffic browser and exchange panel in Chromium over 100,000 stored exchanges', { timeout: 180_000 }, async (t) => {
  const h = await webviewHarness(t);
  if (!h) return;
  const db = await syntheticDb(N);
  const backend = dbBackend(db);
  t.after(() => {
    TrafficBrowserPanel.current?.dispose();
    ExchangePanel.current?.dispose();
    db.close();
  });
  TrafficBrowserPanel.show(h.vscode, h.extensionUri, backend);
  const browserPanel = h.panels[0];
  const t0 = Date.now();
  const tb = await h.open(browserPanel, { theme: THEME });
  const page = tb.page;
  const viewport = page.locator('[data-testid=traffic-viewport]');

  await t.test('first page: the total, a bounded number of rows, the theme', async () => {
    await page.waitForSelector('[data-testid=row][data-id="1"]');
    const firstRowsMs = Date.now() - t0;
    const sinceNavigation = await page.evaluate(() => performance.now());
    const scriptsDone = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd);
    assert.equal(await total(page), N);
    assert.equal(await page.textContent('[data-testid=total]'), '100,000 exchanges');
    const rows = await rowCount(page);
    assert.ok(rows > 10 && rows < 200, `virtualised: ${rows} row elements for ${N} exchanges`);
    assert.equal(await page.$eval('body', (b) => getComputedStyle(b).backgroundColor), 'rgb(10, 20, 30)');
    assert.equal(await page.$eval('body', (b) => getComputedStyle(b).color), 'rgb(200, 201, 202)');
    t.diagnostic(`page script done ${Math.round(scriptsDone)} ms after navigation, first rows on screen at ${Math.round(sinceNavigation)} ms (${firstRowsMs} ms including opening the tab; the page → Playwright → host bridge is most of the gap); ${rows} row elements in the DOM`);
  });

  await t.test('scrolling to the bottom shows the last exchange; the DOM stays small', async () => {
    const s0 = Date.now();
    await viewport.evaluate((v) => (v.scrollTop = v.scrollHeight));
    await page.waitForSelector(`[data-testid=row][data-id="${N}"]`);
    const bottomMs = Date.now() - s0;
    const rows = await rowCount(page);
    assert.ok(rows < 200, `${rows} row elements at the bottom`);
    const frames = (await page.evaluate(SCROLL_FRAMES)) as { wheel: string; fling: string; rows: number };
    assert.ok(frames.rows < 200);
    t.diagnostic(`scroll to bottom → last row shown: ${bottomMs} ms; ${rows} row elements; frame times scrolling 264 px/frame: ${frames.wheel}; 1500 px/frame: ${frames.fling}; ${frames.rows} row elements after; page requests so far: ${backend.pageQueries}`);
  });

  await t.test('clicking the status header sorts by status, again reverses', async () => {
    await page.click('[data-testid=sort-status]');
    assert.equal(await page.getAttribute('[data-testid=sort-status]', 'aria-sort'), 'ascending');
    await page.waitForSelector('[data-testid=row][data-index="0"][data-id]');
    let rows = await visibleRows(page);
    assert.equal(rows[0].index, 0, 'a new sort starts at the top');
    assert.equal(rows[0].status, 'error', 'failed exchanges (no status) sort first');
    const statusNumber = (s: string): number => (s === 'error' ? -1 : Number(s));
    for (let i = 1; i < rows.length; i++) assert.ok(statusNumber(rows[i - 1].status) <= statusNumber(rows[i].status));
    await page.click('[data-testid=sort-status]');
    assert.equal(await page.getAttribute('[data-testid=sort-status]', 'aria-sort'), 'descending');
    await waitFor(async () => (await visibleRows(page))[0]?.status === '500', 10_000, 'descending status');
    rows = await visibleRows(page);
    for (let i = 1; i < rows.length; i++) assert.ok(statusNumber(rows[i - 1].status) >= statusNumber(rows[i].status));
    await page.click('[data-testid=sort-id]');
    await waitFor(async () => (await visibleRows(page))[0]?.id === 1, 10_000, 'back to id order');
  });

  await t.test('typing a search filters; status classes filter', async () => {
    const orders = count((i) => urlOf(i).includes('/orders/') || methodOf(i).toLowerCase() === '/orders/');
    await page.locator('[data-testid=search] input').fill('/orders/');
    const searchMs = await waitTotal(page, orders, 'search /orders/');
    for (const r of await visibleRows(page)) assert.match(r.url, /\/orders\//);
    const non2xx = count((i) => urlOf(i).includes('/orders/') && !((statusOf(i) ?? 0) >= 200 && (statusOf(i) ?? 0) < 300));
    await page.click('[data-testid=status-2xx]');
    await waitTotal(page, non2xx, 'without 2xx');
    for (const r of await visibleRows(page)) assert.doesNotMatch(r.status, /^2/);
    await page.click('[data-testid=status-2xx]');
    await page.locator('[data-testid=search] input').fill('');
    await waitTotal(page, N, 'cleared');
    t.diagnostic(`search typed → total ${orders}: ${searchMs} ms (200 ms of it is the debounce)`);
  });

  let specials = { binary: 0, truncated: 0, websocket: 0 };
  await t.test('a change in the traffic updates the total and the rows', async () => {
    specials = appendSpecialExchanges(db, N, 100);
    backend.fireChanged();
    await waitTotal(page, N + 3, 'after the change');
  });

  await t.test('keyboard: select, move, copy as curl, open with Enter', async () => {
    await page.locator('[data-testid=row][data-id="5"]').click();
    assert.equal(await page.getAttribute('[data-testid=row][data-id="5"]', 'aria-selected'), 'true');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getAttribute('[data-testid=row][data-id="6"]', 'aria-selected'), 'true');
    assert.equal(await page.getAttribute('[data-testid=row][data-id="5"]', 'aria-selected'), 'false');
    await page.click('[data-testid=copy-curl]');
    await waitFor(() => backend.copied.includes(6), 5_000, 'copy as curl of #6');
    await page.waitForSelector('[data-testid=message]:has-text("Copied as curl: #6")');
    await page.locator('[data-testid=traffic-viewport]').focus();
    await page.keyboard.press('Enter');
    await waitFor(() => h.panels.length === 2, 5_000, 'the exchange panel');
    assert.equal(ExchangePanel.current?.exchangeId, 6);
  });

  await t.test('exchange panel: summary, header table, pretty JSON body, redaction note', async () => {
    const ex = await h.open(h.panels[1], { theme: THEME });
    const p = ex.page;
    await p.waitForSelector('[data-testid=exchange][data-id="6"]');
    assert.equal(await p.textContent('[data-testid=method]'), 'POST');
    assert.equal(await p.textContent('[data-testid=url]'), 'http://api.test/v1/orders/6');
    assert.equal(await p.textContent('[data-testid=status]'), '201');
    assert.match(await p.textContent('[data-testid=meta]') ?? '', /^duration 223 ms · ttfb 7 ms · 2025-01-31 \d\d:00:00\.060 · connection #7 · http · session 1/);
    assert.ok(await p.isVisible('[data-testid=redacted]'));
    assert.equal(h.panels[1].title, 'POST /v1/orders/6 → 201');
    // The response tab is chosen: its header table and the body, pretty-printed.
    const headers = await p.$$eval('[data-testid=response-headers] tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    assert.deepEqual(headers, [['content-type', 'application/json; charset=utf-8'], ['x-request-id', 'r6']]);
    assert.ok(await p.isVisible('[data-testid=response-body-text]'));
    assert.equal(await p.textContent('[data-testid=response-body-text]'), JSON.stringify(SAMPLE_JSON, null, 2));
    await p.click('[data-testid=tab-request]');
    await p.waitForSelector('[data-testid=request-headers]', { state: 'visible' });
    const req = await p.$$eval('[data-testid=request-headers] tbody tr', (trs) => trs.map((tr) => tr.textContent));
    assert.deepEqual(req, ['acceptapplication/json', 'user-agentchaos-test', 'x-tracet6']);
    assert.ok(await p.isVisible('[data-testid=request-body-none]'));
    await p.click('[data-testid=copy-curl]');
    await waitFor(() => backend.copied.filter((id) => id === 6).length === 2, 5_000, 'copy as curl from the exchange panel');
    assert.deepEqual(await ex.problems(), []);

    // Another exchange from the browser: the same panel shows it (a 'show' event), keeping the chosen tab.
    // Side by side in the editor, both pages render; here they are tabs, and a background tab gets no frames.
    await page.bringToFront();
    await viewport.evaluate((v) => (v.scrollTop = 40 * 22));
    await page.locator('[data-testid=row][data-id="50"]').dblclick();
    await p.bringToFront();
    await p.waitForSelector('[data-testid=exchange][data-id="50"]');
    assert.equal(h.panels.length, 2);
    assert.equal(await p.textContent('[data-testid=status]'), 'error');
    assert.match(await p.textContent('[data-testid=error]') ?? '', /ECONNRESET/);
    assert.ok(await p.isVisible('[data-testid=request-headers]'), 'still on the Request tab');
    await p.click('[data-testid=tab-response]');
    assert.equal(await p.textContent('[data-testid=response-headers]'), 'No response headers.');

    // Binary, truncated and WebSocket exchanges.
    ExchangePanel.show(h.vscode, h.extensionUri, backend, specials.binary);
    await p.waitForSelector(`[data-testid=exchange][data-id="${specials.binary}"]`);
    assert.match(await p.textContent('[data-testid=response-body-binary]') ?? '', /Binary body \(16 B stored\), not shown as text/);
    ExchangePanel.show(h.vscode, h.extensionUri, backend, specials.truncated);
    await p.waitForSelector(`[data-testid=exchange][data-id="${specials.truncated}"]`);
    assert.equal(await p.textContent('[data-testid=response-body-truncated]'), 'Truncated: showing first 950 of 1,000,000 bytes.');
    ExchangePanel.show(h.vscode, h.extensionUri, backend, specials.websocket);
    await p.waitForSelector(`[data-testid=exchange][data-id="${specials.websocket}"]`);
    await p.click('[data-testid=tab-messages]');
    const messages = await p.$$eval('[data-testid=messages] tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    assert.deepEqual(messages.map((m) => [m[0], m[2], m[3], m[4]]), [['↑', 'text', '15 B', '{"subscribe":1}'], ['↓', 'binary', '4 B', 'binary, 4 B']]);
    assert.deepEqual(await ex.problems(), [], 'no CSP violation or error in the exchange panel');
  });

  await t.test('no CSP violation, console error or page error in the traffic browser', async () => {
    assert.deepEqual(await tb.problems(), []);
  });

  await t.test('a discarded page comes back with its filter, sort, scroll position and selection', async () => {
    await page.bringToFront();
    await page.locator('[data-testid=search] input').fill('/carts/');
    const carts = count((i) => urlOf(i).includes('/carts/')) + 0;
    await waitTotal(page, carts, 'search /carts/');
    await page.click('[data-testid=sort-durationMs]');
    await page.click('[data-testid=sort-durationMs]');
    await waitFor(async () => (await page.getAttribute('[data-testid=sort-durationMs]', 'aria-sort')) === 'descending', 5_000, 'descending');
    await viewport.evaluate((v) => (v.scrollTop = 3_000));
    await page.waitForSelector('[data-testid=row][data-index="140"][data-id]');
    const picked = Number(await page.getAttribute('[data-testid=row][data-index="140"]', 'data-id'));
    await page.click('[data-testid=row][data-index="140"]');
    await new Promise((r) => setTimeout(r, 300)); // the page saves its state on a short debounce
    const state = await tb.state();
    // VS Code hides the panel and discards the page (no retained context), then shows it again.
    browserPanel.setVisible(false);
    await page.close();
    browserPanel.setVisible(true);
    const again = await h.open(browserPanel, { theme: THEME, state });
    const p = again.page;
    await waitTotal(p, carts, 'restored search');
    assert.equal(await p.locator('[data-testid=search] input').inputValue(), '/carts/');
    assert.equal(await p.getAttribute('[data-testid=sort-durationMs]', 'aria-sort'), 'descending');
    await p.waitForSelector(`[data-testid=row][data-id="${picked}"][aria-selected=true]`);
    assert.equal(await p.locator('[data-testid=copy-curl]').evaluate((b) => b.hasAttribute('disabled')), false, 'actions act on the restored selection');
    const scrollTop = await p.locator('[data-testid=traffic-viewport]').evaluate((v) => v.scrollTop);
    assert.ok(Math.abs(scrollTop - 3_000) < 30, `scrollTop ${scrollTop}, was 3000; state ${JSON.stringify(state)}`);
    backend.fireChanged();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await again.problems(), []);
  });
});
