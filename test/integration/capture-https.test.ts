/**
 * An HTTPS target with a self-signed certificate (made with the openssl CLI): refused by default (502, the
 * certificate named in the stored error), accepted with --insecure, and accepted with --ca when the certificate
 * is given as trusted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { openStore, request, requireTool, startObserve, tmpDir } from '../helpers';

interface Cert {
  dir: string;
  cert: string;
  key: string;
}

/** A self-signed certificate for 127.0.0.1 / localhost, valid for a day. */
function makeCert(t: TestContext): Cert {
  const dir = tmpDir(t, 'chaos-tls-');
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `openssl failed: ${r.stderr}`);
  return { dir, cert, key };
}

/** An HTTPS server on 127.0.0.1 that echoes the method, path and body; closed when the test ends. */
async function httpsBackend(t: TestContext, c: Cert): Promise<{ url: string; server: https.Server }> {
  const server = https.createServer({ cert: fs.readFileSync(c.cert), key: fs.readFileSync(c.key) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), host: req.headers.host }));
    });
  });
  // Every socket, WebSocket ones included, is destroyed at the end, or close() could wait forever.
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as { port: number };
  return { url: `https://127.0.0.1:${port}`, server };
}

for (const variant of ['--insecure', '--ca'] as const) {
  test(`an HTTPS target with a self-signed certificate works with ${variant}`, { timeout: 60_000 }, async (t) => {
    if (!requireTool(t, 'openssl', 'openssl')) return;
    const c = makeCert(t);
    const backend = await httpsBackend(t, c);
    const db = path.join(tmpDir(t), 'traffic.db');
    const flags = variant === '--insecure' ? ['--insecure'] : ['--ca', c.cert];
    const proxy = await startObserve(t, ['--target', backend.url, '--output', db, ...flags]);

    const get = await request(`${proxy.url}/secure/thing?x=1`);
    assert.equal(get.status, 200, get.body.toString());
    assert.equal(JSON.parse(get.body.toString()).url, '/secure/thing?x=1');
    const post = await request(`${proxy.url}/secure/items`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'over tls' });
    assert.equal(post.status, 200);
    assert.equal(JSON.parse(post.body.toString()).body, 'over tls');

    assert.equal(await proxy.stop(), 0);
    const store = await openStore(t, db);
    const rows = store.exchanges().map((e) => store.exchange(e.id)!);
    assert.deepEqual(rows.map((r) => [r.protocol, r.method, r.url, r.status, r.error]), [
      ['https', 'GET', `${backend.url}/secure/thing?x=1`, 200, null],
      ['https', 'POST', `${backend.url}/secure/items`, 200, null],
    ]);
    assert.equal(Buffer.from(rows[1].requestBody!.data).toString(), 'over tls');
    assert.equal(JSON.parse(Buffer.from(rows[1].responseBody!.data).toString()).body, 'over tls');
  });
}

test('an HTTPS target with a self-signed certificate and neither --insecure nor --ca: 502, error names the certificate', { timeout: 60_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const c = makeCert(t);
  const backend = await httpsBackend(t, c);
  let reached = 0;
  backend.server.on('request', () => reached++);
  const db = path.join(tmpDir(t), 'traffic.db');
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);

  const r = await request(`${proxy.url}/secure/thing`);
  assert.equal(r.status, 502);
  assert.match(r.body.toString(), /certificate/i);
  assert.equal(reached, 0, 'no request reached the server over an unverified connection');

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const [row] = store.exchanges();
  assert.ok(row, 'the failed exchange was stored');
  assert.equal(row.status, 502);
  assert.equal(row.protocol, 'https');
  assert.match(row.error ?? '', /certificate/i);
});

test('a --ca file that is not the signer still refuses the target', { timeout: 60_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const served = makeCert(t);
  const other = makeCert(t);
  const backend = await httpsBackend(t, served);
  const db = path.join(tmpDir(t), 'traffic.db');
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--ca', other.cert]);
  const r = await request(`${proxy.url}/x`);
  assert.equal(r.status, 502);
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  assert.match(store.exchanges()[0]?.error ?? '', /certificate/i);
});

for (const variant of ['--insecure', '--ca'] as const) {
  test(`a WebSocket to an HTTPS target (wss upstream) with ${variant} is stored as protocol wss`, { timeout: 60_000 }, async (t) => {
    if (!requireTool(t, 'openssl', 'openssl')) return;
    const c = makeCert(t);
    const backend = await httpsBackend(t, c);
    const wss = new WebSocketServer({ server: backend.server });
    t.after(() => wss.close());
    wss.on('connection', (sock) => sock.on('message', (d: Buffer) => sock.send(`tls echo: ${d.toString()}`)));
    const db = path.join(tmpDir(t), 'traffic.db');
    const flags = variant === '--insecure' ? ['--insecure'] : ['--ca', c.cert];
    const proxy = await startObserve(t, ['--target', backend.url, '--output', db, ...flags]);

    const client = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/tls-socket`);
    t.after(() => client.terminate());
    await new Promise<void>((resolve, reject) => {
      client.once('open', () => resolve());
      client.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => client.once('message', (d: Buffer) => resolve(d.toString())));
    client.send('ping over tls');
    assert.equal(await reply, 'tls echo: ping over tls');
    await new Promise<void>((resolve) => {
      client.once('close', () => resolve());
      client.close();
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await proxy.stop(), 0);

    const store = await openStore(t, db);
    const [row] = store.exchanges();
    assert.ok(row);
    const ex = store.exchange(row.id)!;
    assert.equal(ex.protocol, 'wss');
    assert.equal(ex.status, 101);
    const texts = ex.messages.filter((m) => m.opcode === 1).map((m) => [m.direction, Buffer.from(m.data!).toString()]);
    assert.deepEqual(texts, [['client', 'ping over tls'], ['server', 'tls echo: ping over tls']]);
  });
}
