/**
 * A target that is not there: the client gets a 502 that says why, the exchange is stored with status 502 and
 * the cause, and the proxy keeps serving once the target comes back.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { closedPort, openStore, request, startObserve, tmpDir } from '../helpers';

test('target down: 502 to the client, stored with status 502 and ECONNREFUSED; works again once the target is up', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const port = await closedPort();
  const target = `http://127.0.0.1:${port}`;
  const proxy = await startObserve(t, ['--target', target, '--output', db]);

  const r = await request(`${proxy.url}/api/down?q=1`);
  assert.equal(r.status, 502);
  assert.match(r.body.toString(), /ECONNREFUSED/);
  const post = await request(`${proxy.url}/api/down`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'lost' });
  assert.equal(post.status, 502);

  // The target comes up on the same port: the same proxy now forwards.
  const server = http.createServer((_req, res) => res.end('back'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const ok = await request(`${proxy.url}/api/up`);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.toString(), 'back');

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const rows = store.exchanges().map((e) => store.exchange(e.id)!);
  assert.deepEqual(rows.map((e) => [e.method, e.url, e.status]), [
    ['GET', `${target}/api/down?q=1`, 502],
    ['POST', `${target}/api/down`, 502],
    ['GET', `${target}/api/up`, 200],
  ]);
  assert.match(rows[0].error ?? '', /ECONNREFUSED/);
  assert.match(rows[1].error ?? '', /ECONNREFUSED/);
  assert.equal(rows[1].responseHeaders, null, 'no upstream response headers for a refused connection');
  assert.equal(Buffer.from(rows[1].requestBody!.data).toString(), 'lost', 'the request body is kept even though it went nowhere');
  assert.equal(rows[2].error, null);
});

test('target down for a WebSocket upgrade: the client is refused and the handshake is stored with 502 and the cause', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const port = await closedPort();
  const proxy = await startObserve(t, ['--target', `http://127.0.0.1:${port}`, '--output', db]);
  const client = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/socket`);
  t.after(() => client.terminate());
  const outcome = await new Promise<string>((resolve) => {
    client.once('unexpected-response', (_req, res) => resolve(`status ${res.statusCode}`));
    client.once('open', () => resolve('open'));
    client.once('error', (e) => resolve(`error ${e.message}`));
  });
  assert.notEqual(outcome, 'open');
  assert.equal(outcome, 'status 502');
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const [row] = store.exchanges();
  assert.ok(row, 'the failed handshake was stored');
  assert.equal(row.protocol, 'ws');
  assert.equal(row.status, 502);
  assert.match(row.error ?? '', /ECONNREFUSED/);
});
