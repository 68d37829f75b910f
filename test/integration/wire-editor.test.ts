/**
 * Database and cache calls in the editor: the Traffic tree (fake editor API, real store queries) and the exchange
 * panel in a real Chromium (the host classes on a fake `vscode`, the page under its CSP).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answer, type ExchangeRow, type TrafficOverview } from '../../src/core/store/queries';
import { ExchangePanel, exchangeTitle } from '../../src/extension/panels/exchangePanel';
import type { TrafficBackend } from '../../src/extension/panels/backend';
import { TrafficTreeProvider, type TrafficNode, type TrafficSource } from '../../src/extension/trafficTree';
import { fakeVscode } from '../helpers/fakeVscode';
import { webviewHarness } from '../helpers/webviewPage';
import { dbWithRows, httpRow, sampleApiRows, wireRow } from '../helpers/wireTraffic';
import type { TrafficDb } from '../../src/core/store/database';
import type { ExchangeView } from '../../src/core/store/queries';

function source(db: TrafficDb): TrafficSource {
  return {
    overview: async (filter) => answer(db, { kind: 'overview', filter }) as TrafficOverview,
    endpoint: async (host, e, filter, limit) => answer(db, { kind: 'endpoint', host, method: e.method, template: e.template, filter, limit }) as { total: number; rows: ExchangeRow[] },
    calls: async (id) => answer(db, { kind: 'calls', id }) as ExchangeRow[],
  };
}

async function withFailedCall(): Promise<TrafficDb> {
  const rows = sampleApiRows();
  rows.push(httpRow(rows.length + 1, { method: 'GET', path: '/reports', at: 900, duration: 10, status: 500 }));
  rows.push(wireRow(rows.length + 1, { protocol: 'postgres', method: 'QUERY', statement: "SELECT * FROM reports WHERE owner = 'ada' -- latest", at: 902, duration: 2, conn: 1,
    response: { code: '42P01', transaction: 'idle' }, error: 'ERROR 42P01: relation "reports" does not exist' }));
  return dbWithRows(rows);
}

test('Traffic tree: wire hosts and templated calls with protocol icons; linked calls under HTTP exchanges', async (t) => {
  const db = await withFailedCall();
  t.after(() => db.close());
  const fake = fakeVscode();
  const tree = new TrafficTreeProvider(fake.api, source(db), 0);
  t.after(() => tree.dispose());
  const item = (n: TrafficNode) => tree.getTreeItem(n);
  const icon = (n: TrafficNode) => (item(n).iconPath as { id: string; color?: { id: string } });
  const label = (n: TrafficNode) => `${String(item(n).label)}${item(n).description ? ` | ${String(item(n).description)}` : ''}`;

  const hosts = await tree.getChildren();
  assert.deepEqual(hosts.map(label), ['postgres 127.0.0.1:5432 | 7', 'redis 127.0.0.1:6379 | 4', '127.0.0.1:9000 | 4']);
  assert.deepEqual(hosts.map((h) => icon(h).id), ['database', 'symbol-key', 'server']);

  const pgCalls = await tree.getChildren(hosts[0]);
  assert.deepEqual(pgCalls.map(label), [
    'QUERY BEGIN | 1',
    'QUERY COMMIT | 1',
    'QUERY CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY, name text) | 1',
    'EXECUTE INSERT INTO users (name) VALUES (?) RETURNING id | 1',
    'QUERY SELECT * FROM reports WHERE owner = ? | 1 · 1 failed',
    'EXECUTE SELECT id, name FROM users WHERE id = $1 | 2',
  ]);
  const failing = pgCalls[4];
  assert.deepEqual([icon(failing).id, icon(failing).color?.id], ['database', 'list.errorForeground']);
  assert.equal(icon(pgCalls[5]).color, undefined, 'calls without errors are not red');
  const redis = await tree.getChildren(hosts[1]);
  assert.deepEqual(redis.map(label), ['GET GET user:{id} | 2', 'SET SET user:{id} ? | 2']);
  const gets = await tree.getChildren(redis[0]);
  assert.equal(gets.length, 2);
  assert.match(String(item(gets[0]).label), /ok$/);
  assert.equal(item(gets[0]).command?.command, 'chaosTesting.showExchange');

  const endpoints = await tree.getChildren(hosts[2]);
  const users = endpoints.find((e) => String(item(e).label) === 'GET /users/{userId}')!;
  const exchanges = await tree.getChildren(users);
  assert.equal(exchanges.length, 2);
  assert.match(String(item(exchanges[0]).description), /· 3 calls$/);
  assert.equal(item(exchanges[0]).collapsibleState, fake.api.TreeItemCollapsibleState.Collapsed);
  const calls = await tree.getChildren(exchanges[0]);
  assert.deepEqual(calls.map((c) => String(item(c).label)), ['GET GET user:2', 'EXECUTE SELECT id, name FROM users WHERE id = $1', 'SET SET user:2 <24 bytes>']);
  assert.deepEqual(calls.map((c) => icon(c).id), ['symbol-key', 'database', 'symbol-key']);
  assert.deepEqual(item(calls[1]).command?.arguments, [8], 'a click opens the call');
});

test('exchange panel in Chromium: a SQL call highlighted with its parameters and result; an HTTP exchange lists its calls', { timeout: 120_000 }, async (t) => {
  const h = await webviewHarness(t);
  if (!h) return;
  const db = await withFailedCall();
  const backend: TrafficBackend = {
    page: async (q) => answer(db, { kind: 'page', query: q }) as never,
    exchange: async (id) => answer(db, { kind: 'exchange', id }) as ExchangeView | null,
    copyCurl: async () => undefined,
    resend: async () => undefined,
    onDidChange: () => () => undefined,
  };
  t.after(() => {
    ExchangePanel.current?.dispose();
    db.close();
  });
  ExchangePanel.show(h.vscode, h.extensionUri, backend, 4); // EXECUTE SELECT … WHERE id = $1 of GET /users/1
  const ex = await h.open(h.panels[0], {});
  const p = ex.page;
  await p.waitForSelector('[data-testid=exchange][data-id="4"]');
  assert.equal(await p.textContent('[data-testid=status]'), 'ok');
  assert.equal(await p.locator('[data-testid=copy-curl]').count(), 0, 'no curl for a database call');
  assert.equal(await p.textContent('[data-testid=call-statement]'), 'SELECT id, name FROM users WHERE id = $1');
  const spans = await p.$$eval('[data-testid=call-statement] span', (s) => s.map((x) => `${x.className}:${x.textContent}`));
  assert.deepEqual(spans, ['ct-sql-keyword:SELECT', 'ct-sql-keyword:FROM', 'ct-sql-keyword:WHERE', 'ct-sql-param:$1']);
  const keywordColour = await p.$eval('.ct-sql-keyword', (e) => getComputedStyle(e).fontWeight);
  assert.equal(keywordColour, '600', 'the highlight stylesheet applies');
  const facts = (id: string) => p.$$eval(`[data-testid=${id}] tr`, (trs) => trs.map((tr) => `${tr.querySelector('th')?.textContent}=${tr.querySelector('td')?.textContent}`));
  assert.deepEqual(await facts('call-params'), ['$1=1']);
  assert.deepEqual(await facts('call-result'), ['rows=1', 'tag=SELECT 1', 'transaction=idle']);
  assert.equal(await p.textContent('[data-testid=call-parent]'), 'Made while serving HTTP exchange #2.');
  assert.equal(h.panels[0].title, 'EXECUTE SELECT id, name FROM users WHERE id = $1');

  // A failed query: the error, string literal and comment highlighted.
  ExchangePanel.show(h.vscode, h.extensionUri, backend, 15);
  await p.waitForSelector('[data-testid=exchange][data-id="15"]');
  assert.equal(await p.textContent('[data-testid=call-error]'), 'ERROR 42P01: relation "reports" does not exist');
  assert.deepEqual(await p.$$eval('[data-testid=call-statement] .ct-sql-string, [data-testid=call-statement] .ct-sql-comment', (s) => s.map((x) => x.textContent)), ["'ada'", '-- latest']);
  assert.deepEqual(await facts('call-result'), ['code=42P01', 'transaction=idle']);

  // The HTTP exchange: a Calls tab lists its calls; a click opens one in the same panel.
  ExchangePanel.show(h.vscode, h.extensionUri, backend, 2);
  await p.waitForSelector('[data-testid=exchange][data-id="2"]');
  await p.click('[data-testid=tab-calls]');
  const linked = await p.$$eval('[data-testid=linked-call]', (rows) => rows.map((r) => `${(r as HTMLElement).dataset.id} ${r.children[1].textContent}`));
  assert.deepEqual(linked, ['3 GET GET user:1', '4 EXECUTE SELECT id, name FROM users WHERE id = $1', '5 SET SET user:1 <24 bytes>']);
  await p.click('[data-testid=linked-call][data-id="3"] a');
  await p.waitForSelector('[data-testid=exchange][data-id="3"]');
  assert.equal(ExchangePanel.current?.exchangeId, 3);
  assert.equal(await p.textContent('[data-testid=call-statement]'), 'GET user:1', 'Redis shows as plain text');
  assert.deepEqual(await ex.problems(), [], 'no CSP violation or error');
});

test('tab titles of calls stay short', () => {
  assert.equal(exchangeTitle({ protocol: 'postgres', method: 'QUERY', url: 'SELECT a, b, c, d, e, f, g FROM a_rather_long_table_name WHERE x = 1', status: null, error: null }), 'QUERY SELECT a, b, c, d, e, f, g FROM a_rathe…');
  assert.equal(exchangeTitle({ protocol: 'redis', method: 'GET', url: 'GET k', status: null, error: 'WRONGTYPE' }), 'GET GET k → error');
});
