/**
 * WebSocket through the capture proxy: the handshake is stored as a `ws` exchange with status 101, and every
 * message in both directions lands in `messages` with its direction, opcode and payload.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { listen, openStore, startObserve, tmpDir, waitFor } from '../helpers';

const SERVER_BINARY = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
const CLIENT_BINARY = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);

test('a WebSocket session is stored: handshake as ws/101, text and binary messages both ways', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const server = http.createServer((_req, res) => res.end('plain http'));
  const wss = new WebSocketServer({ server });
  t.after(() => wss.close());
  let upstreamExtensions: string | undefined;
  const serverGot: Array<{ data: Buffer; isBinary: boolean }> = [];
  const socketErrors: string[] = [];
  wss.on('connection', (sock, req) => {
    upstreamExtensions = req.headers['sec-websocket-extensions'];
    // A corrupted frame (say, the proxy changing bytes) is an assertion failure below, not an uncaught error.
    sock.on('error', (e) => socketErrors.push(`server: ${e.message}`));
    sock.on('message', (data: Buffer, isBinary) => {
      serverGot.push({ data, isBinary });
      if (!isBinary) sock.send(`echo: ${data.toString()}`);
      else sock.send(SERVER_BINARY, { binary: true });
    });
    sock.send('welcome');
  });
  const backend = await listen(t, server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);

  const wsUrl = `${proxy.url.replace('http:', 'ws:')}/socket?room=1`;
  const client = new WebSocket(wsUrl);
  t.after(() => client.terminate());
  client.on('error', (e) => socketErrors.push(`client: ${e.message}`));
  const clientGot: Array<{ data: Buffer; isBinary: boolean }> = [];
  client.on('message', (data: Buffer, isBinary) => clientGot.push({ data, isBinary }));
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  const step = async (n: number, what: string): Promise<void> => {
    await waitFor(() => clientGot.length >= n || socketErrors.length > 0, 5_000, what);
    assert.deepEqual(socketErrors, []);
  };
  await step(1, 'welcome');
  client.send('hello server');
  await step(2, 'text echo');
  client.send(CLIENT_BINARY, { binary: true });
  await step(3, 'binary reply');
  await new Promise<void>((resolve) => {
    client.once('close', () => resolve());
    client.close(1000, 'bye');
  });
  assert.deepEqual(socketErrors, []);

  // What went through, unchanged.
  assert.deepEqual(clientGot.map((m) => [m.isBinary, m.data.toString('hex')]), [
    [false, Buffer.from('welcome').toString('hex')],
    [false, Buffer.from('echo: hello server').toString('hex')],
    [true, SERVER_BINARY.toString('hex')],
  ]);
  assert.deepEqual(serverGot.map((m) => [m.isBinary, m.data.toString('hex')]), [
    [false, Buffer.from('hello server').toString('hex')],
    [true, CLIENT_BINARY.toString('hex')],
  ]);
  // The proxy strips permessage-deflate so that frames stay readable.
  assert.equal(upstreamExtensions, undefined);

  // Let the close frames pass through the tap before the store is flushed.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const all = store.exchanges();
  assert.equal(all.length, 1);
  const ex = store.exchange(all[0].id)!;
  assert.equal(ex.protocol, 'ws');
  assert.equal(ex.status, 101);
  assert.equal(ex.method, 'GET');
  assert.equal(ex.path, '/socket');
  assert.equal(ex.url, `${backend.url}/socket?room=1`);
  assert.equal(ex.error, null);
  assert.ok(ex.requestHeaders.some(([k, v]) => k.toLowerCase() === 'upgrade' && v.toLowerCase() === 'websocket'));
  assert.ok(ex.responseHeaders!.some(([k]) => k.toLowerCase() === 'sec-websocket-accept'));

  const msgs = ex.messages.map((m) => ({ direction: m.direction, opcode: m.opcode, size: m.size, data: Buffer.from(m.data ?? []).toString('hex'), truncated: m.truncated }));
  const dataMsgs = msgs.filter((m) => m.opcode === 1 || m.opcode === 2);
  const hex = (s: string): string => Buffer.from(s).toString('hex');
  assert.deepEqual(dataMsgs.filter((m) => m.direction === 'server'), [
    { direction: 'server', opcode: 1, size: 7, data: hex('welcome'), truncated: false },
    { direction: 'server', opcode: 1, size: 18, data: hex('echo: hello server'), truncated: false },
    { direction: 'server', opcode: 2, size: SERVER_BINARY.length, data: SERVER_BINARY.toString('hex'), truncated: false },
  ]);
  assert.deepEqual(dataMsgs.filter((m) => m.direction === 'client'), [
    { direction: 'client', opcode: 1, size: 12, data: hex('hello server'), truncated: false },
    { direction: 'client', opcode: 2, size: CLIENT_BINARY.length, data: CLIENT_BINARY.toString('hex'), truncated: false },
  ]);
  // The client's close frame (1000, 'bye') is recorded as opcode 8 with its code and reason.
  const clientClose = msgs.find((m) => m.direction === 'client' && m.opcode === 8);
  assert.ok(clientClose, `no client close frame among ${JSON.stringify(msgs)}`);
  const closePayload = Buffer.from(clientClose.data, 'hex');
  assert.equal(closePayload.readUInt16BE(0), 1000);
  assert.equal(closePayload.subarray(2).toString(), 'bye');
  // Messages are stored in the order they were seen, none before the handshake.
  const ats = ex.messages.map((m) => m.at);
  assert.ok(ats.every((a, i) => a >= ex.startedAt && (i === 0 || a >= ats[i - 1])), `times ${ats.join(', ')}`);
});

test('a message larger than --body-cap is stored truncated with its full size, and still delivered whole', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  t.after(() => wss.close());
  const big = Buffer.alloc(50_000, 0x61);
  wss.on('connection', (sock) => sock.on('message', (data: Buffer) => sock.send(data, { binary: true })));
  const backend = await listen(t, server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--body-cap', '1KiB']);

  const client = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/big`);
  t.after(() => client.terminate());
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  const echoed = new Promise<Buffer>((resolve) => client.once('message', (d: Buffer) => resolve(d)));
  client.send(big, { binary: true });
  assert.ok((await echoed).equals(big));
  client.close();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await proxy.stop(), 0);

  const store = await openStore(t, db);
  const ex = store.exchange(store.exchanges()[0].id)!;
  const data = ex.messages.filter((m) => m.opcode === 2);
  assert.deepEqual(data.map((m) => [m.direction, m.size, m.truncated, m.data?.length]), [
    ['client', big.length, true, 1024],
    ['server', big.length, true, 1024],
  ]);
  assert.ok(Buffer.from(data[0].data!).equals(big.subarray(0, 1024)));
});

test('an upstream that refuses the upgrade with a plain response is stored as that response', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  // The upstream answers the upgrade request with an ordinary 403 instead of 101.
  const server = http.createServer((_req, res) => res.end('no'));
  server.on('upgrade', (_req, socket) => {
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 9\r\nconnection: close\r\n\r\nforbidden');
  });
  const backend = await listen(t, server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const client = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/denied`);
  t.after(() => client.terminate());
  const status = await new Promise<number>((resolve, reject) => {
    client.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    client.once('open', () => reject(new Error('upgrade should have been refused')));
    client.once('error', (e) => reject(e));
  });
  assert.equal(status, 403);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const [row] = store.exchanges();
  assert.ok(row, 'the refused handshake was stored');
  assert.equal(row.protocol, 'ws');
  assert.equal(row.status, 403);
  assert.equal(row.path, '/denied');
});

test('a frame sent in the same packet as the 101 reaches the client and the store exactly once', { timeout: 30_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const server = http.createServer((_req, res) => res.end('plain http'));
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const frame = Buffer.concat([Buffer.from([0x81, 5]), Buffer.from('hello')]);
    // One write: the handshake and the first frame arrive together, as the proxy's upgrade "head".
    socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`), frame]));
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
  const upstream = await listen(t, server);
  const proxy = await startObserve(t, ['--target', upstream.url, '--output', db]);
  const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/early`);
  const got = await new Promise<string>((resolve, reject) => {
    client.once('message', (data: Buffer) => resolve(data.toString()));
    client.once('error', reject);
    setTimeout(() => reject(new Error('no message within 5 s')), 5_000);
  });
  assert.equal(got, 'hello');
  client.terminate();
  await waitFor(() => client.readyState === WebSocket.CLOSED, 5_000, 'client closed');
  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const ws = store.exchanges().find((e) => e.protocol === 'ws')!;
  const messages = store.exchange(ws.id)!.messages.filter((m) => m.direction === 'server' && m.opcode === 1);
  assert.deepEqual(messages.map((m) => Buffer.from(m.data!).toString()), ['hello']);
});
