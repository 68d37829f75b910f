/**
 * --include / --exclude globs decide what is stored, never what is forwarded: an excluded request still reaches
 * the backend and its response reaches the client.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { listen, openStore, request, startObserve, tmpDir } from '../helpers';

/** A backend that answers every request with its method, path and body, and counts what it saw. */
async function echoBackend(t: Parameters<typeof listen>[0]): Promise<{ url: string; seen: string[]; server: http.Server }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`.trim());
    });
  });
  const b = await listen(t, server);
  return { url: b.url, seen, server };
}

test('--exclude: excluded paths are forwarded and answered but not stored', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await echoBackend(t);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--exclude', '/health', '--exclude', '**/*.js']);

  const calls: Array<[string, string, string?]> = [
    ['GET', '/health'],
    ['GET', '/static/app.js'],
    ['GET', '/deep/er/lib.js?v=3'],
    ['POST', '/health', 'probe body'],
    ['GET', '/api/users?limit=2'],
    ['GET', '/healthz'],
    ['POST', '/api/users', 'new user'],
  ];
  for (const [method, p, body] of calls) {
    const r = await request(`${proxy.url}${p}`, { method, headers: body ? { 'content-type': 'text/plain' } : {}, body });
    assert.equal(r.status, 200, `${method} ${p}`);
    assert.equal(r.body.toString(), `${method} ${p}${body ? ` ${body}` : ''}`);
  }
  assert.deepEqual(backend.seen, calls.map(([m, p]) => `${m} ${p}`), 'every request, stored or not, reached the backend');

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const rows = store.exchanges().map((e) => store.exchange(e.id)!);
  assert.deepEqual(rows.map((r) => [r.method, r.path]), [['GET', '/api/users'], ['GET', '/healthz'], ['POST', '/api/users']]);
  assert.equal(Buffer.from(rows[2].requestBody!.data).toString(), 'new user');
  // Sequence numbers count stored exchanges only; the excluded ones left no gaps or rows.
  assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3]);
});

test('--include stores only matching paths, and --exclude wins over --include', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await echoBackend(t);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--include', '/api/**', '--exclude', '/api/internal/**']);

  const paths = ['/api/users', '/api/orders/7?full=1', '/other', '/', '/api/internal/metrics', '/apix'];
  for (const p of paths) {
    const r = await request(`${proxy.url}${p}`);
    assert.equal(r.status, 200, p);
    assert.equal(r.body.toString(), `GET ${p}`);
  }
  assert.equal(backend.seen.length, paths.length);

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  assert.deepEqual(store.exchanges().map((e) => e.url), [`${backend.url}/api/users`, `${backend.url}/api/orders/7?full=1`]);
});

test('an excluded WebSocket path is proxied but neither the handshake nor its messages are stored', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const server = http.createServer((req, res) => res.end(`plain ${req.url}`));
  const wss = new WebSocketServer({ server });
  t.after(() => wss.close());
  wss.on('connection', (sock) => sock.on('message', (d: Buffer) => sock.send(`echo ${d.toString()}`)));
  const backend = await listen(t, server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--exclude', '/live/**']);

  const client = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/live/feed`);
  t.after(() => client.terminate());
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  const reply = new Promise<string>((resolve) => client.once('message', (d: Buffer) => resolve(d.toString())));
  client.send('x');
  assert.equal(await reply, 'echo x');
  await new Promise<void>((resolve) => {
    client.once('close', () => resolve());
    client.close();
  });
  assert.equal((await request(`${proxy.url}/kept`)).body.toString(), 'plain /kept');

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const rows = store.exchanges();
  assert.deepEqual(rows.map((r) => [r.protocol, r.path]), [['http', '/kept']]);
  assert.deepEqual(store.exchange(rows[0].id)!.messages, []);
});

test('filters apply to the path of absolute-URL requests in forward mode', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await echoBackend(t);
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', db, '--exclude', '/health']);
  const host = new URL(backend.url).host;
  const health = await request(proxy.url, { path: `${backend.url}/health`, headers: { host } });
  assert.equal(health.body.toString(), 'GET /health');
  const api = await request(proxy.url, { path: `${backend.url}/api?x=1`, headers: { host } });
  assert.equal(api.body.toString(), 'GET /api?x=1');
  assert.deepEqual(backend.seen, ['GET /health', 'GET /api?x=1']);
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  assert.deepEqual(store.exchanges().map((e) => e.url), [`${backend.url}/api?x=1`]);
});
