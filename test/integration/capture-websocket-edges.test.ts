/**
 * Upgrade requests that do not end in a clean WebSocket session: an upstream that resets after the handshake, one
 * that never answers (--upstream-timeout), one that answers with an ordinary chunked response, and a client that
 * leaves before the upstream answers. No HTTP ever lands inside a WebSocket stream, every response the client gets
 * parses, and each exchange is recorded with what happened.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { listen, listenCounting, openStore, rawHttp, startObserve, tmpDir, waitFor } from '../helpers';

const UPGRADE = (port: number): string => 'GET /socket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
  + `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Port: ${port}\r\n\r\n`;

/** A raw upstream: `onRequest` gets each connection once its first head has arrived. */
async function rawUpstream(t: TestContext, onRequest: (s: net.Socket, head: string) => void, counter = { connections: 0 }): Promise<number> {
  return listenCounting(t, net.createServer((s) => {
    let head = '';
    s.on('error', () => undefined);
    s.on('data', (c: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) onRequest(s, head);
    });
  }), 'connection', counter);
}

test('an upstream that resets after the handshake: the client sees the connection end, never an HTTP 502 inside the WebSocket', { timeout: 30_000 }, async (t) => {
  const upstream = await rawUpstream(t, (s, head) => {
    const key = /sec-websocket-key: (\S+)/i.exec(head)![1];
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    s.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // text "hi"
    setTimeout(() => s.resetAndDestroy(), 100);
  });
  const proxy = await startObserve(t, ['--target', `http://127.0.0.1:${upstream}`, '--output', path.join(tmpDir(t), 'traffic.db')]);
  const client = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/socket`);
  const errors: string[] = [];
  const messages: string[] = [];
  client.on('error', (e) => errors.push(e.message));
  client.on('message', (d: Buffer) => messages.push(d.toString()));
  const code = await new Promise<number>((resolve) => client.on('close', (c) => resolve(c)));
  assert.deepEqual(messages, ['hi']);
  assert.equal(code, 1006, 'an abnormal close, as when talking to the upstream directly');
  assert.deepEqual(errors, [], 'no invalid frame (an HTTP response written into the stream would be one)');
});

test('an upgrade the upstream never answers gets 504 after --upstream-timeout and is recorded so', { timeout: 30_000 }, async (t) => {
  const upstream = await rawUpstream(t, () => undefined); // reads, never answers
  const db = path.join(tmpDir(t), 'traffic.db');
  const proxy = await startObserve(t, ['--target', `http://127.0.0.1:${upstream}`, '--output', db, '--upstream-timeout', '500']);
  const reply = await rawHttp(proxy.port, UPGRADE(upstream), 5_000);
  assert.match(reply.text, /^HTTP\/1\.1 504 /);
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const [row] = store.exchanges();
  const ex = store.exchange(row.id)!;
  assert.equal(ex.status, 504);
  assert.match(ex.error ?? '', /timed out/);
});

test('a client that leaves before the upstream answers its upgrade: the upstream request is dropped and the exchange recorded', { timeout: 30_000 }, async (t) => {
  const counter = { connections: 0 };
  let upstreamClosed = false;
  const upstream = await rawUpstream(t, (s) => s.once('close', () => (upstreamClosed = true)), counter);
  const db = path.join(tmpDir(t), 'traffic.db');
  const proxy = await startObserve(t, ['--target', `http://127.0.0.1:${upstream}`, '--output', db]);
  const client = net.connect(proxy.port, '127.0.0.1');
  client.on('error', () => undefined);
  client.write(UPGRADE(upstream));
  await waitFor(() => counter.connections === 1, 5_000, 'the upgrade reached the upstream');
  await new Promise((r) => setTimeout(r, 100));
  client.destroy();
  await waitFor(() => upstreamClosed, 5_000, 'the proxy closed its upstream connection');
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const [row] = store.exchanges();
  assert.equal(store.exchange(row.id)!.error, 'client closed the connection before the response completed');
});

test('an upgrade answered by an ordinary chunked response reaches the client as a response that parses', { timeout: 30_000 }, async (t) => {
  const backend = await listen(t, http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('not a ');
    res.end('websocket');
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', path.join(tmpDir(t), 'traffic.db')]);
  const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${proxy.url}/socket`, { headers: { connection: 'Upgrade', upgrade: 'websocket' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('upgrade', () => reject(new Error('no upgrade was offered')));
    req.on('error', reject); // a chunked header over a decoded body fails here: "Parse Error"
    req.end();
  });
  assert.deepEqual(status, { status: 200, body: 'not a websocket' });
});

test('a close frame without a status code is stored as the wire had it: an empty payload', { timeout: 30_000 }, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  t.after(() => wss.close());
  wss.on('connection', (sock) => sock.on('error', () => undefined));
  const backend = await listen(t, server);
  const db = path.join(tmpDir(t), 'traffic.db');
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const client = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/socket`);
  await new Promise<void>((resolve, reject) => client.once('open', () => resolve()).once('error', reject));
  client.close(); // no code: an empty close payload
  await new Promise<void>((resolve) => client.once('close', () => resolve()));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const ex = store.exchange(store.exchanges()[0].id)!;
  const close = ex.messages.find((m) => m.direction === 'client' && m.opcode === 8);
  assert.ok(close, 'the client close frame is stored');
  assert.equal(close.size, 0);
});

test('forward mode: an upgrade reaches the host its URL names, without the client\'s proxy credentials', { timeout: 30_000 }, async (t) => {
  let seen = '';
  const upstream = await rawUpstream(t, (s, head) => {
    seen = head;
    s.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  const proxy = await startObserve(t, ['--mode', 'forward', '--output', path.join(tmpDir(t), 'traffic.db')]);
  const upgrade = UPGRADE(upstream).replace('GET /socket', `GET http://127.0.0.1:${upstream}/socket`).replace('Host: 127.0.0.1\r\n', 'Host: evil.example\r\nProxy-Authorization: Basic eDp5\r\nProxy-Connection: keep-alive\r\n');
  const reply = await rawHttp(proxy.port, upgrade, 5_000);
  assert.match(reply.text, /^HTTP\/1\.1 403 /);
  assert.match(seen, new RegExp(`\\r\\nhost: 127\\.0\\.0\\.1:${upstream}\\r\\n`, 'i'));
  assert.doesNotMatch(seen, /evil\.example|proxy-authorization|proxy-connection/i);
});
