/**
 * The load mix drawn from a real capture (the items backend through the real capture proxy): endpoint weights,
 * the read/write rescale, chained values pointing at their producer, secrets, and the empty-store error.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { TrafficDb } from '../../src/core/store/database';
import { buildMix, parseReadWrite } from '../../src/core/load/mix';
import type { MixEntry, RequestMix } from '../../src/core/load/types';
import { tmpDir } from '../helpers';
import { ITEMS_PASSWORD, captureItemsSession, startItemsBackend } from '../helpers/replayBackend';
import { syntheticExchange } from '../helpers/trafficData';

const SECRETS = { CHAOS_SECRET_PASSWORD: ITEMS_PASSWORD };

function weightOf(mix: RequestMix, endpoint: string): number {
  return mix.entries.filter((e) => e.endpoint === endpoint).reduce((s, e) => s + e.weight, 0);
}

function only(mix: RequestMix, endpoint: string, pathPattern?: RegExp): MixEntry {
  const found = mix.entries.filter((e) => e.endpoint === endpoint && (!pathPattern || pathPattern.test(e.pathAndQuery)));
  assert.equal(found.length, 1, `one entry for ${endpoint} ${pathPattern ?? ''}: ${JSON.stringify(mix.entries.map((e) => e.pathAndQuery))}`);
  return found[0];
}

test('weights follow how often each endpoint was called; writes are marked; chained ids and tokens point at their producers', async (t) => {
  const backend = await startItemsBackend(t);
  const { db, createdId } = await captureItemsSession(t, backend);
  const mix = await buildMix({ database: db, target: 'http://127.0.0.1:9/base/', env: SECRETS });
  const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);
  close(mix.entries.reduce((s, e) => s + e.weight, 0), 1);
  // 7 calls: GET item ×3 (2 of item 1, 1 of the created one), POST item, DELETE item, login, me.
  close(weightOf(mix, 'GET /api/items/{itemId}'), 3 / 7);
  close(weightOf(mix, 'POST /api/items'), 1 / 7);
  close(weightOf(mix, 'DELETE /api/items/{itemId}'), 1 / 7);
  close(weightOf(mix, 'GET /api/me'), 1 / 7);
  // Two distinct recorded GETs, weighted by how often each was sent.
  close(only(mix, 'GET /api/items/{itemId}', /\/1$/).weight, 2 / 7);
  assert.deepEqual(mix.entries.filter((e) => e.write).map((e) => e.method).sort(), ['DELETE', 'POST', 'POST']);
  // The target's path prefixes every request.
  assert.ok(mix.entries.every((e) => e.pathAndQuery.startsWith('/base/api/')), JSON.stringify(mix.entries.map((e) => e.pathAndQuery)));

  const create = mix.entries.indexOf(only(mix, 'POST /api/items'));
  const get = only(mix, 'GET /api/items/{itemId}', new RegExp(`/${createdId}$`));
  assert.deepEqual(get.chain, [{ where: 'path', producer: create, pointer: '/id', recorded: String(createdId) }]);
  assert.deepEqual(only(mix, 'DELETE /api/items/{itemId}').chain, [{ where: 'path', producer: create, pointer: '/id', recorded: String(createdId) }]);
  const login = only(mix, 'POST /api/login');
  const me = only(mix, 'GET /api/me');
  assert.equal(me.chain?.length, 1);
  assert.equal(me.chain![0].producer, mix.entries.indexOf(login));
  assert.equal(me.chain![0].where, 'header:authorization');
  assert.equal(me.chain![0].pointer, '/token');
  // The redacted token header is kept (as recorded) for the chain to fill; the password comes from the environment.
  const auth = me.headers.find(([n]) => n.toLowerCase() === 'authorization');
  assert.ok(auth && auth[1].includes(me.chain![0].recorded), JSON.stringify(me.headers));
  assert.equal(JSON.parse(login.body!.toString('utf8')).password, ITEMS_PASSWORD);
  // Nothing that could confuse a server: no hop-by-hop headers, no host (the generator sets it).
  for (const e of mix.entries) for (const [n] of e.headers) assert.ok(!['host', 'content-length', 'connection', 'transfer-encoding'].includes(n.toLowerCase()), n);
  assert.match(mix.source, /^traffic .*traffic\.db \(7 exchanges, 5 endpoints\)$/);
});

test('read-write 0.8:0.2 rescales reads and writes to those shares, keeping proportions within each', async (t) => {
  const backend = await startItemsBackend(t);
  const { db } = await captureItemsSession(t, backend);
  const mix = await buildMix({ database: db, target: backend.url, readShare: parseReadWrite('0.8:0.2'), env: SECRETS });
  const share = (write: boolean): number => mix.entries.filter((e) => e.write === write).reduce((s, e) => s + e.weight, 0);
  assert.ok(Math.abs(share(false) - 0.8) < 1e-9);
  assert.ok(Math.abs(share(true) - 0.2) < 1e-9);
  // Reads were GET item ×3 and me ×1: 3/4 and 1/4 of the read share.
  assert.ok(Math.abs(weightOf(mix, 'GET /api/items/{itemId}') - 0.6) < 1e-9);
  assert.ok(Math.abs(weightOf(mix, 'GET /api/me') - 0.2) < 1e-9);
  assert.equal(parseReadWrite('80:20'), 0.8);
  assert.throws(() => parseReadWrite('eighty'), /read-write 'eighty' is not a ratio; write reads:writes/);
});

test('a store without HTTP traffic is refused with the reasons; failed and non-HTTP exchanges are skipped', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'traffic.db');
  const db = await TrafficDb.open(file, { create: true });
  db.apply({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: 'http://api.test', listen: '127.0.0.1:0', startedAt: 1 } });
  // A Redis call, an exchange without a response, and a 500: nothing to send.
  db.apply({ lsn: 2, op: 'exchanges', sessionId: 1, rows: [
    { ...syntheticExchange(1), protocol: 'redis', method: 'GET', url: 'redis://127.0.0.1:6379', status: null },
    { ...syntheticExchange(50) },
    { ...syntheticExchange(25), status: 500 },
  ] });
  db.save();
  db.close();
  await assert.rejects(buildMix({ database: file, target: 'http://127.0.0.1:1' }), (e: Error) => {
    assert.match(e.message, /has no HTTP exchanges to draw a request mix from \(skipped: .*redis exchanges.*exchanges recorded without a response.*endpoints that only answered errors/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  await assert.rejects(buildMix({ database: file, target: 'http://127.0.0.1:1', sessionId: 9 }), /has no session 9/);
});
