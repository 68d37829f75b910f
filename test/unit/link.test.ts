import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { ensureLinked, linkChanges, planLinks, type LinkRow } from '../../src/core/store/link';
import { StoreWriter } from '../../src/core/store/writer';
import { openStore, tmpDir } from '../helpers';
import { T0, captured, dbWithRows, httpRow, parents, sampleApiRows, wireRow } from '../helpers/wireTraffic';

const http = (id: number, at: number, duration: number, host = 'api:80'): LinkRow => ({ id, protocol: 'http', host, connectionId: id, startedAt: at, durationMs: duration });
const pg = (id: number, at: number, duration: number, conn = 1): LinkRow => ({ id, protocol: 'postgres', host: 'db:5432', connectionId: conn, startedAt: at, durationMs: duration });

test('a call inside one request is linked to it; calls outside any request stay unlinked', () => {
  const plan = planLinks([http(1, 100, 50), pg(2, 110, 5), pg(3, 10, 5), pg(4, 160, 5), pg(5, 149, 2)]);
  assert.equal(plan.parents.get(2), 1);
  assert.equal(plan.parents.get(3), null, 'before the request (a migration at startup)');
  assert.equal(plan.parents.get(4), null, 'after the request ended');
  assert.equal(plan.parents.get(5), 1, 'ending 1 ms after the request: within the tolerance for clock rounding');
  assert.deepEqual({ linked: plan.linked, outside: plan.outside, ambiguous: plan.ambiguous }, { linked: 2, outside: 2, ambiguous: 0 });
  assert.ok(!plan.parents.has(1), 'HTTP exchanges get no parent');
});

test('the tolerance is for rounding only: a request containing the call exactly wins over the next one, begun just after it', () => {
  // Sequential requests to one backend over one cache connection (sub-millisecond calls, as the demo makes them):
  // request 3 begins 0.8 ms after call 2 ended, inside the tolerance of call 2's start.
  const redis = (id: number, at: number, duration: number): LinkRow => ({ id, protocol: 'redis', host: 'cache:6379', connectionId: 1, startedAt: at, durationMs: duration });
  const plan = planLinks([http(1, 691.583, 0.718), redis(2, 691.922, 0.169), http(3, 692.888, 1.603), redis(4, 694.111, 0.119)]);
  assert.equal(plan.parents.get(2), 1);
  assert.equal(plan.parents.get(4), 3);
});

test('no HTTP traffic at all: every call stays unlinked, nothing is written', async () => {
  const plan = planLinks([pg(1, 0, 1), pg(2, 5, 1)]);
  assert.deepEqual([...plan.parents.values()], [null, null]);
  const db = await dbWithRows([wireRow(1, { protocol: 'postgres', method: 'QUERY', statement: 'SELECT 1', at: 0, duration: 1, conn: 1 })]);
  assert.deepEqual(linkChanges(db).changes, []);
  db.close();
});

test('nested requests across hosts: the innermost (started last) made the call', () => {
  // The API (api:80) calls the users service (users:80) through the proxy; the users service queries.
  const plan = planLinks([http(1, 0, 100, 'api:80'), http(2, 20, 50, 'users:80'), pg(3, 30, 5)]);
  assert.equal(plan.parents.get(3), 2);
});

test('concurrent requests to one backend: connection affinity decides, or the call is ambiguous', () => {
  // Request 1 [0, 100] holds connection 1 (its first query, before request 2 began, says so); request 2 [20, 80]
  // holds connection 2. A later query on connection 1 inside both windows belongs to request 1.
  const rows = [http(1, 0, 100), http(2, 20, 60), pg(3, 5, 5, 1), pg(4, 25, 5, 2), pg(5, 50, 5, 1), pg(6, 60, 5, 9)];
  const plan = planLinks(rows);
  assert.equal(plan.parents.get(3), 1);
  assert.equal(plan.parents.get(5), 1, 'the connection request 1 holds');
  assert.equal(plan.parents.get(4), null, 'connection 2 has no call only one request contains: ambiguous');
  assert.equal(plan.parents.get(6), null, 'a connection nobody holds: ambiguous');
  assert.equal(plan.ambiguous, 2);
  // Innermost alone would have said request 2 for every one of them: the rule is not "latest wins" on one host.
  assert.notEqual(plan.parents.get(5), 2);
});

test('linking is idempotent: a second pass changes nothing, and ensureLinked writes the plan once', async () => {
  const db = await dbWithRows(sampleApiRows());
  const first = linkChanges(db);
  assert.ok(first.changes.length > 0);
  ensureLinked(db);
  assert.deepEqual(linkChanges(db).changes, [], 'linked: nothing left to change');
  const before = parents(db);
  ensureLinked(db);
  assert.deepEqual(parents(db), before);
  // Rows: 1 migration, 2 GET /users/1, 3-5 its calls, 6 GET /users/2, 7-9, 10 POST /users, 11-13.
  assert.deepEqual([...before.entries()].filter(([, p]) => p !== null), [[3, 2], [4, 2], [5, 2], [7, 6], [8, 6], [9, 6], [11, 10], [12, 10], [13, 10]]);
  assert.equal(before.get(1), null);
  db.close();
});

test('a capture stop writes the links into the file (journaled), through the real store worker', async (t) => {
  const file = path.join(tmpDir(t), 'traffic.db');
  const writer = await StoreWriter.open(file, { flushMs: 5 });
  await writer.startSession({ kind: 'reverse', target: 'http://127.0.0.1:9000', listen: '127.0.0.1:0', startedAt: T0 });
  // Calls reach the store before the request they belong to (they finish first), as on the wire.
  const rows = [
    wireRow(1, { protocol: 'postgres', method: 'EXECUTE', statement: 'SELECT id FROM users WHERE id = $1', at: 5, duration: 3, conn: 1, request: { params: ['1'] } }),
    httpRow(2, { method: 'GET', path: '/users/1', at: 0, duration: 20 }),
    wireRow(3, { protocol: 'redis', method: 'GET', statement: 'GET user:1', at: 500, duration: 1, conn: 2 }),
  ];
  for (const r of rows) assert.ok(writer.enqueueExchange(captured(r)));
  await writer.close();
  const db = await openStore(t, file);
  const stored = db.query('SELECT id, protocol, host, path, url, parent_id FROM exchanges ORDER BY id');
  assert.deepEqual(stored.map((r) => [r.id, r.protocol, r.host, r.path, r.parent_id]), [
    [1, 'postgres', '127.0.0.1:5432', 'SELECT id FROM users WHERE id = $1', 2],
    [2, 'http', '127.0.0.1:9000', '/users/1', null],
    [3, 'redis', '127.0.0.1:6379', 'GET user:{id}', null],
  ]);
  assert.equal(stored[0].url, 'SELECT id FROM users WHERE id = $1', 'the statement is kept whole (no URL parsing cut it at ?)');
});
