/**
 * The gRPC parser on HTTP/2 features grpc-js rarely shows, produced by Node's own http2 (nghttp2) through the relay:
 * padded HEADERS and DATA, a header block split into CONTINUATION frames, a compressed message, a trailers-only
 * error response, and a stream reset by the server.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { definition } from '../../../src/core/protocols/grpc';
import { startWireRelay } from '../../helpers/wireRelay';

type Row = Record<string, unknown>;
const { PADDING_STRATEGY_MAX, NGHTTP2_CANCEL } = http2.constants;

function grpcMessage(body: Buffer, compressed = false): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

test('padding, CONTINUATION, compressed messages, trailers-only errors and RST_STREAM', async (t) => {
  const server = http2.createServer({ paddingStrategy: PADDING_STRATEGY_MAX });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const path = headers[':path'];
    if (path === '/x.Svc/Missing') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'not%20here' }, { endStream: true });
      return;
    }
    if (path === '/x.Svc/Reset') {
      stream.close(NGHTTP2_CANCEL);
      return;
    }
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(grpcMessage(Buffer.from('reply')));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // server.close waits for open sessions, which the client and relay close first.
  t.after(() => void server.close());
  const relay = await startWireRelay(t, definition, { port: (server.address() as AddressInfo).port });

  const session = http2.connect(`http://127.0.0.1:${relay.port}`, { paddingStrategy: PADDING_STRATEGY_MAX });
  t.after(() => session.destroy());
  const call = (path: string, extra: Record<string, string>, body: Buffer): Promise<void> =>
    new Promise((resolve) => {
      const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
      req.on('error', () => resolve()).on('close', () => resolve());
      req.resume();
      req.end(body);
    });
  await call('/x.Svc/Big', { 'x-big': 'a'.repeat(40_000), 'grpc-encoding': 'gzip' }, Buffer.concat([grpcMessage(Buffer.alloc(30, 7), true), grpcMessage(Buffer.from('plain'))]));
  await call('/x.Svc/Missing', {}, grpcMessage(Buffer.from('q')));
  await call('/x.Svc/Reset', {}, grpcMessage(Buffer.from('q')));
  const calls = await relay.waitForCalls(3);
  assert.deepEqual(relay.failures, []);

  const [big, missing, reset] = ['/x.Svc/Big', '/x.Svc/Missing', '/x.Svc/Reset'].map((p) => calls.find((c) => c.statement === p));
  assert.ok(big && missing && reset, calls.map((c) => c.statement).join(' | '));
  const req = big.request as Row;
  assert.match((req.metadata as Row)['x-big'] as string, /^a{256}…<40,000 bytes>$/);
  assert.deepEqual([req.messages, req.sizes, req.compressed], [2, [30, 5], 1]);
  assert.deepEqual([big.status, big.error, (big.response as Row).messages], [0, null, 1]);
  assert.deepEqual([missing.status, missing.error], [12, '12 UNIMPLEMENTED: not here']);
  assert.equal(reset.status, null);
  assert.equal(reset.error, 'RST_STREAM CANCEL from the server');
});

/** A server that holds each call until `release()`, then answers it with status 0 and one message. */
/** `maxSessionMemory` (MB, Node's default 10): more lets a client hold that much of open calls' data on it. */
async function holdingServer(t: TestContext, maxSessionMemory = 10): Promise<{ port: number; opened(): number; received(): number; release(): void }> {
  const held: (() => void)[] = [];
  let released = false;
  let received = 0;
  const server = http2.createServer({ maxSessionMemory });
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    const answer = (): void => {
      if (stream.destroyed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(grpcMessage(Buffer.from('slow')));
    };
    stream.on('data', (d: Buffer) => (received += d.length));
    if (released) answer();
    else held.push(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => void server.close());
  return {
    port: (server.address() as AddressInfo).port,
    opened: () => held.length,
    received: () => received,
    release() {
      released = true;
      for (const answer of held.splice(0)) answer();
    },
  };
}

test('300 calls open at once on one connection are all recorded', async (t) => {
  const server = await holdingServer(t);
  const relay = await startWireRelay(t, definition, { port: server.port });
  const session = http2.connect(`http://127.0.0.1:${relay.port}`);
  t.after(() => session.destroy());
  const done: Promise<number>[] = [];
  for (let i = 0; i < 300; i++) {
    done.push(
      new Promise((resolve) => {
        const req = session.request({ ':method': 'POST', ':path': '/review.T/Slow', 'content-type': 'application/grpc', te: 'trailers' });
        req.on('trailers', (h) => resolve(Number(h['grpc-status']))).on('error', () => resolve(-1));
        req.resume();
        req.end(grpcMessage(Buffer.from(`q${i}`)));
      }),
    );
  }
  for (let i = 0; i < 500 && server.opened() < 300; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.opened(), 300, 'all 300 calls reached the server before any answer');
  server.release();
  assert.deepEqual(new Set(await Promise.all(done)), new Set([0]));
  const calls = await relay.waitForCalls(300);
  assert.equal(calls.length, 300);
  assert.ok(calls.every((c) => c.statement === '/review.T/Slow' && c.status === 0 && c.error === null));
});

test('open calls keep at most 8 MB of messages between them: past it a message is counted, not kept, and a recorded call gives its share back', async (t) => {
  const server = await holdingServer(t, 64);
  const relay = await startWireRelay(t, definition, { port: server.port });
  const session = http2.connect(`http://127.0.0.1:${relay.port}`, { maxSessionMemory: 64 });
  t.after(() => session.destroy());
  const call = (i: number): Promise<number> =>
    new Promise((resolve) => {
      const req = session.request({ ':method': 'POST', ':path': `/review.T/Big${i}`, 'content-type': 'application/grpc', te: 'trailers' });
      req.on('trailers', (h) => resolve(Number(h['grpc-status']))).on('error', () => resolve(-1));
      req.resume();
      req.end(grpcMessage(Buffer.alloc(60_000, i % 256)));
    });
  const open = Array.from({ length: 200 }, (_, i) => call(i));
  for (let i = 0; i < 1000 && server.received() < 200 * 60_005; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.opened(), 200);
  assert.equal(server.received(), 200 * 60_005, 'all 200 calls open at once, their 12 MB of messages through the proxy');
  server.release();
  assert.deepEqual(new Set(await Promise.all(open)), new Set([0]));
  const calls = await relay.waitForCalls(200);
  const notKept = calls.filter((c) => (c.request as Row).notKept === 1).length;
  assert.equal(notKept, 200 - Math.floor((8 * 1024 * 1024) / 60_000), 'the calls past 8 MB kept nothing');
  assert.ok(calls.every((c) => (c.request as Row).messages === 1 && String((c.request as Row).sizes) === '60000'), 'every message is still counted and sized');
  // Recorded, those calls gave their share back: the next one keeps its message again.
  assert.equal(await call(999), 0);
  const [last] = (await relay.waitForCalls(201)).slice(200);
  assert.equal((last.request as Row).notKept, undefined);
});

test("the client's GOAWAY (a graceful close) leaves its open call to finish, recorded with its status", async (t) => {
  const server = await holdingServer(t);
  const relay = await startWireRelay(t, definition, { port: server.port });
  const session = http2.connect(`http://127.0.0.1:${relay.port}`);
  t.after(() => session.destroy());
  const status = new Promise<number>((resolve) => {
    const req = session.request({ ':method': 'POST', ':path': '/review.T/Slow', 'content-type': 'application/grpc', te: 'trailers' });
    req.on('trailers', (h) => resolve(Number(h['grpc-status']))).on('error', () => resolve(-1));
    req.resume();
    req.end(grpcMessage(Buffer.from('q')));
  });
  for (let i = 0; i < 300 && server.opened() < 1; i++) await new Promise((r) => setTimeout(r, 10));
  session.close(); // GOAWAY NO_ERROR, last-stream-id 0: about server-pushed streams, not this call
  await new Promise((r) => setTimeout(r, 100));
  server.release();
  assert.equal(await status, 0);
  const [call] = await relay.waitForCalls(1);
  assert.deepEqual([call.status, call.error], [0, null]);
});
