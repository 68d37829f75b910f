/**
 * 1,000 concurrent client connections, one request each: every one gets its 200, every one is stored, and once
 * they are done the proxy's file descriptors and the backend's connections fall back (nothing leaks).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { TrafficDb } from '../../src/core/store/database';
import { fdCount, listen, request, startObserve, tmpDir, trackConnections, waitFor } from '../helpers';

const CLIENTS = 1_000;

test('1,000 concurrent connections all get 200, are all stored, and leave no sockets behind', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${req.url} ${Buffer.concat(chunks).length}`);
    });
  });
  // Idle upstream connections are closed by the backend after a second: a leak is a connection that stays.
  server.keepAliveTimeout = 1_000;
  const backend = await listen(t, server);
  const conns = trackConnections(server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const pid = proxy.proc.pid!;

  // Warm up (worker, agent, first snapshot), then take the baseline.
  for (let i = 0; i < 5; i++) assert.equal((await request(`${proxy.url}/warmup/${i}`)).status, 200);
  await waitFor(() => conns.open() === 0, 10_000, 'warm-up connections to close');
  const fdBefore = fdCount(pid)!;
  assert.ok(fdBefore > 0);

  // Each client its own connection, all at once; half of them POST a small body. Half close their connection after
  // the response; the other half (a keep-alive agent with no socket limit) leave it open and idle, for the proxy's
  // keep-alive timeout to close.
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  t.after(() => keepAlive.destroy());
  const t0 = Date.now();
  const results = await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
    try {
      const post = i % 2 === 1;
      const agent = i % 4 < 2 ? keepAlive : false;
      const r = await request(`${proxy.url}/c/${i}`, post ? { agent, method: 'POST', headers: { 'content-type': 'text/plain' }, body: `payload-${i}` } : { agent });
      return { i, status: r.status, body: r.body.toString() };
    } catch (e) {
      return { i, status: 0, body: String(e) };
    }
  }));
  const elapsed = Date.now() - t0;
  const failed = results.filter((r) => r.status !== 200);
  assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${CLIENTS} failed (in ${elapsed} ms)`);
  for (const r of results) assert.equal(r.body, `/c/${r.i} ${r.i % 2 === 1 ? `payload-${r.i}`.length : 0}`);

  const idleClientSockets = Object.values(keepAlive.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);
  assert.ok(idleClientSockets >= CLIENTS / 4, `expected idle keep-alive client sockets, found ${idleClientSockets}`);

  // No leak: idle client connections are closed by the proxy (keep-alive timeout, 5 s), the backend's by the
  // backend (1 s), and the proxy's descriptors return to the baseline.
  await waitFor(() => Object.keys(keepAlive.freeSockets).length === 0, 20_000, 'the proxy to close idle client connections');
  await waitFor(() => conns.open() <= 2, 20_000, `backend connections to close (open: ${conns.open()})`);
  await waitFor(() => (fdCount(pid) ?? Infinity) <= fdBefore + 5, 20_000, 'the proxy to close its sockets').catch(() => {
    throw new Error(`proxy fds: ${fdBefore} before, ${fdCount(pid)} after; backend open ${conns.open()}`);
  });
  assert.ok(conns.accepted() >= 1, 'the backend was reached');

  assert.equal(await proxy.stop(), 0);
  const store = await TrafficDb.open(db);
  t.after(() => store.close());
  const stored = store.exchanges().filter((e) => e.path?.startsWith('/c/'));
  assert.equal(stored.length, CLIENTS);
  assert.equal(new Set(stored.map((e) => e.path)).size, CLIENTS, 'each exchange once');
  assert.ok(stored.every((e) => e.status === 200 && e.error === null));
  assert.equal(store.sessions()[0].dropped, 0);
  const sample = store.exchange(stored.find((e) => e.path === '/c/7')!.id)!;
  assert.equal(Buffer.from(sample.requestBody!.data).toString(), 'payload-7');
  assert.equal(Buffer.from(sample.responseBody!.data).toString(), `/c/7 ${'payload-7'.length}`);
});

test("the backend's Keep-Alive hint is not passed on: clients go by the proxy's own idle timeout", { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const server = http.createServer((_req, res) => res.end('x'));
  server.keepAliveTimeout = 1_000; // the backend says "Keep-Alive: timeout=1"
  const backend = await listen(t, server);
  const directAgent = new http.Agent({ keepAlive: true });
  t.after(() => directAgent.destroy());
  const direct = await request(`${backend.url}/`, { agent: directAgent });
  assert.equal(direct.headers['keep-alive'], 'timeout=1');
  const proxy = await startObserve(t, ['--target', backend.url, '--output', path.join(dir, 'traffic.db')]);
  const agent = new http.Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  const r = await request(`${proxy.url}/`, { agent });
  assert.equal(r.status, 200);
  assert.equal(r.headers.connection, 'keep-alive');
  assert.notEqual(r.headers['keep-alive'], 'timeout=1', "the backend's hop-by-hop Keep-Alive header reached the client");
  // The connection is kept for reuse (a 1 s hint would have made the agent drop it at once).
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(Object.values(agent.freeSockets).reduce((n, l) => n + (l?.length ?? 0), 0), 1);
  const again = await request(`${proxy.url}/again`, { agent });
  assert.equal(again.status, 200);
  assert.equal(await proxy.stop(), 0);
  // What the backend said is still what is stored.
  const store = await TrafficDb.open(path.join(dir, 'traffic.db'));
  t.after(() => store.close());
  const stored = store.exchange(store.exchanges()[0].id)!;
  assert.ok(stored.responseHeaders!.some(([k, v]) => k.toLowerCase() === 'keep-alive' && v === 'timeout=1'));
});
