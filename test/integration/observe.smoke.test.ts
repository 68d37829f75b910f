import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { TrafficDb } from '../../src/core/store/database';
import { request, startObserve, startSampleBackend, tmpDir } from '../helpers';

test('observe records exchanges through the built CLI and flushes on SIGINT', async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await startSampleBackend(t);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const users = await request(`${proxy.url}/api/users`);
  assert.equal(users.status, 200);
  const created = await request(`${proxy.url}/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Edsger', email: 'e@example.com' }) });
  assert.equal(created.status, 201);
  assert.equal(await proxy.stop(), 0);

  const store = await TrafficDb.open(db);
  t.after(() => store.close());
  const exchanges = store.exchanges();
  assert.deepEqual(exchanges.map((e) => [e.method, e.path, e.status]), [['GET', '/api/users', 200], ['POST', '/api/users', 201]]);
  const post = store.exchange(exchanges[1].id)!;
  assert.equal(JSON.parse(Buffer.from(post.requestBody!.data).toString()).name, 'Edsger');
  assert.equal(JSON.parse(Buffer.from(post.responseBody!.data).toString()).email, 'e@example.com');
  assert.ok(post.ttfbMs! > 0 && post.durationMs! >= post.ttfbMs!);
  assert.equal(store.sessions()[0].exchanges, 2);
  assert.ok(store.sessions()[0].stoppedAt);
});
