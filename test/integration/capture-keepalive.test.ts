/**
 * Keep-alive and chunked transfer through the capture proxy: requests that share a client connection share a
 * connection_id (and keep their own bodies); chunked bodies arrive whole and are stored whole.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { listen, openStore, request, startObserve, tmpDir } from '../helpers';

/** One request on a given agent; resolves with status, headers, body and the local port of the socket used. */
function call(url: string, agent: http.Agent, options: http.RequestOptions & { body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), localPort: req.socket!.localPort! }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('requests on one keep-alive connection share a connection_id; another connection gets another', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${req.method} ${req.url} <${Buffer.concat(chunks).toString()}>`);
    });
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);

  const a = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const b = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  const a1 = await call(`${proxy.url}/a/1`, a);
  const a2 = await call(`${proxy.url}/a/2`, a, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'second' });
  const b1 = await call(`${proxy.url}/b/1`, b, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'other' });
  const a3 = await call(`${proxy.url}/a/3`, a, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'third' });
  assert.deepEqual([a1.body, a2.body, b1.body, a3.body], ['GET /a/1 <>', 'POST /a/2 <second>', 'POST /b/1 <other>', 'PUT /a/3 <third>']);
  // The client really did reuse its socket: the test is about the proxy, not the agent.
  assert.equal(a1.localPort, a2.localPort);
  assert.equal(a1.localPort, a3.localPort);
  assert.notEqual(a1.localPort, b1.localPort);

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const rows = store.exchanges().map((e) => store.exchange(e.id)!);
  assert.deepEqual(rows.map((r) => r.path), ['/a/1', '/a/2', '/b/1', '/a/3']);
  const [r1, r2, rb, r3] = rows;
  assert.ok(r1.connectionId && r1.connectionId > 0);
  assert.equal(r2.connectionId, r1.connectionId);
  assert.equal(r3.connectionId, r1.connectionId);
  assert.notEqual(rb.connectionId, r1.connectionId);
  // Bodies on a shared connection stay with their own exchange.
  assert.equal(r1.requestBody, null);
  assert.equal(Buffer.from(r2.requestBody!.data).toString(), 'second');
  assert.equal(Buffer.from(rb.requestBody!.data).toString(), 'other');
  assert.equal(Buffer.from(r3.requestBody!.data).toString(), 'third');
  assert.equal(Buffer.from(r3.responseBody!.data).toString(), 'PUT /a/3 <third>');
  assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3, 4]);
});

test('a chunked response arrives whole and is stored whole; so is a chunked request body', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const parts = ['alpha-', 'beta-', 'x'.repeat(70_000), '-gamma', '-delta'];
  const expected = parts.join('');
  const backend = await listen(t, http.createServer((req, res) => {
    if (req.url === '/stream') {
      // No content-length: node sends Transfer-Encoding: chunked. Pieces are written with pauses between them.
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const next = (): void => {
        if (i === parts.length) {
          res.end();
          return;
        }
        res.write(parts[i++]);
        setTimeout(next, 20);
      };
      next();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ te: req.headers['transfer-encoding'] ?? null, length: Buffer.concat(chunks).length }));
    });
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const streamed = await call(`${proxy.url}/stream`, agent);
  assert.equal(streamed.status, 200);
  assert.equal(streamed.headers['transfer-encoding'], 'chunked');
  assert.equal(streamed.headers['content-length'], undefined);
  assert.equal(streamed.body, expected);

  // A chunked request body (no content-length), on the same connection.
  const upload = await new Promise<{ status: number; body: string; localPort: number }>((resolve, reject) => {
    const req = http.request(`${proxy.url}/upload`, { method: 'POST', agent, headers: { 'content-type': 'text/plain' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), localPort: req.socket!.localPort! }));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
  assert.equal(upload.status, 200);
  assert.deepEqual(JSON.parse(upload.body), { te: 'chunked', length: expected.length });
  assert.equal(upload.localPort, streamed.localPort);

  // A plain request afterwards on a fresh connection still works (the chunked ones left nothing behind).
  assert.equal((await request(`${proxy.url}/after`, { method: 'POST', body: 'x' })).status, 200);

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const rows = store.exchanges().map((e) => store.exchange(e.id)!);
  assert.deepEqual(rows.map((r) => r.path), ['/stream', '/upload', '/after']);
  const [s, u] = rows;
  assert.equal(s.responseBody!.size, expected.length);
  assert.equal(s.responseBody!.truncated, false);
  assert.equal(Buffer.from(s.responseBody!.data).toString(), expected);
  assert.ok(s.responseHeaders!.some(([k, v]) => k.toLowerCase() === 'transfer-encoding' && v === 'chunked'));
  // Four pauses of 20 ms between the pieces: the duration covers the whole streamed body, not just the headers.
  assert.ok(s.durationMs! - s.ttfbMs! >= 60, `duration ${s.durationMs} ms, ttfb ${s.ttfbMs} ms`);
  assert.equal(u.requestBody!.size, expected.length);
  assert.equal(Buffer.from(u.requestBody!.data).toString(), expected);
  assert.equal(u.connectionId, s.connectionId);
  assert.notEqual(rows[2].connectionId, s.connectionId);
});
