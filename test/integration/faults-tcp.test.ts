/**
 * The TCP proxy with toxics, on loopback against a real echo server. Timing checks assert behaviour with a lower
 * bound and a generous upper bound, not speed.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test, type TestContext } from 'node:test';
import { InputError } from '../../src/core/errors';
import { TcpProxy, parseHostPort } from '../../src/core/faults/tcpProxy';
import { createToxicTransform, parseToxic } from '../../src/core/faults/toxics';
import { closedPort, echoServer, waitFor } from '../helpers';

async function startProxy(t: TestContext, upstreamPort: number): Promise<TcpProxy> {
  const proxy = new TcpProxy({ name: 'test', listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: upstreamPort } });
  await proxy.start();
  t.after(() => proxy.close());
  return proxy;
}

interface Exchange {
  data: Buffer;
  chunks: number;
  error?: NodeJS.ErrnoException;
  ms: number;
  ended: boolean;
}

/** Connects, sends `payload`, collects what comes back until `bytes` arrived, the socket ends, or `waitMs` passes. */
function exchange(port: number, payload: Buffer, options: { bytes?: number; waitMs?: number; end?: boolean } = {}): Promise<Exchange> {
  const want = options.bytes ?? payload.length;
  return new Promise((resolve) => {
    const started = Date.now();
    const parts: Buffer[] = [];
    let got = 0;
    let ended = false;
    const socket = net.connect(port, '127.0.0.1');
    const finish = (error?: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(parts), chunks: parts.length, error, ms: Date.now() - started, ended });
    };
    const timer = setTimeout(() => finish(), options.waitMs ?? 5000);
    socket.on('data', (c: Buffer) => {
      parts.push(c);
      got += c.length;
      if (got >= want && !options.waitMs) finish();
    });
    socket.on('end', () => {
      ended = true;
      finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e));
    socket.on('connect', () => (options.end ? socket.end(payload) : socket.write(payload)));
  });
}

const noConnections = (proxy: TcpProxy) => () => waitFor(() => proxy.connectionCount === 0, 3000, 'connections to close');

test('without toxics the proxy echoes the bytes through and closes its connections', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  const r = await exchange(proxy.listen.port, Buffer.from('hello'));
  assert.equal(r.data.toString(), 'hello');
  await noConnections(proxy)();
});

test('latency 200 ms upstream adds at least 200 ms to a round trip', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ name: 'lat', type: 'latency', stream: 'upstream', attributes: { latency: 200, jitter: 0 } });
  const r = await exchange(proxy.listen.port, Buffer.from('ping'));
  assert.equal(r.data.toString(), 'ping');
  assert.ok(r.ms >= 195 && r.ms < 1500, `round trip ${r.ms} ms`);
  await noConnections(proxy)();
});

test('latency on a stream of many chunks delays it once, not once per chunk, and keeps the order under jitter', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 100, jitter: 50 } });
  // 4 MB comes back in dozens of chunks: 100 ms per chunk, one after the other, would take several seconds.
  const payload = Buffer.from(Array.from({ length: 4_000_000 }, (_, i) => i % 251));
  const r = await exchange(proxy.listen.port, payload, { end: true });
  assert.equal(r.data.length, payload.length);
  assert.ok(r.data.equals(payload), 'bytes intact and in order');
  assert.ok(r.chunks >= 10, `arrived in ${r.chunks} chunks`);
  assert.ok(r.ms >= 45 && r.ms < 2500, `took ${r.ms} ms`);
  await noConnections(proxy)();
});

test('latency 0 passes a chunk through at once, without a timer', () => {
  const toxic = createToxicTransform(parseToxic({ type: 'latency', attributes: { latency: 0 } }), { reset: () => undefined, close: () => undefined });
  toxic.write(Buffer.from('now'));
  assert.equal(String(toxic.read()), 'now');
  toxic.destroy();
});

test('bandwidth 10 KB/s makes 6 KB take about 0.6 s', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'bandwidth', stream: 'downstream', attributes: { rate: 10 } });
  const payload = Buffer.alloc(6000, 'x');
  const r = await exchange(proxy.listen.port, payload);
  assert.equal(r.data.length, 6000);
  assert.ok(r.ms >= 500 && r.ms < 3000, `took ${r.ms} ms`);
});

test('bandwidth makes up for a late timer instead of adding the delay to the transfer', async () => {
  const toxic = createToxicTransform(parseToxic({ type: 'bandwidth', attributes: { rate: 100 } }), { reset: () => undefined, close: () => undefined });
  let got = 0;
  toxic.on('data', (c: Buffer) => (got += c.length));
  const ended = new Promise<void>((resolve) => toxic.on('end', () => resolve()));
  const started = performance.now();
  toxic.end(Buffer.alloc(100_000)); // 1 s at 100 KB/s
  // Hold the event loop for 800 ms: the first 100 ms piece's timer fires 700 ms late.
  while (performance.now() - started < 800) {
    // busy
  }
  await ended;
  const ms = performance.now() - started;
  assert.equal(got, 100_000);
  // Added up, the lateness would make it about 1.7 s.
  assert.ok(ms >= 950 && ms < 1450, `took ${Math.round(ms)} ms`);
});

test('reset_peer: the client sees ECONNRESET', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 50 } });
  const r = await exchange(proxy.listen.port, Buffer.from('x'), { bytes: 1_000_000 });
  assert.equal(r.error?.code, 'ECONNRESET');
  await noConnections(proxy)();
});

test('timeout 0 holds the connection: no data in 500 ms, and closing the proxy cleans up', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
  const r = await exchange(proxy.listen.port, Buffer.from('anyone?'), { waitMs: 500 });
  assert.equal(r.data.length, 0);
  assert.equal(r.error, undefined);
  assert.equal(r.ended, false);
  // The client gave up; open a second one and let the proxy close under it.
  const held = net.connect(proxy.listen.port, '127.0.0.1');
  held.on('error', () => undefined);
  await waitFor(() => proxy.connectionCount >= 1, 3000, 'held connection');
  const closed = new Promise<void>((resolve) => held.on('close', () => resolve()));
  await proxy.close();
  assert.equal(proxy.connectionCount, 0);
  await closed;
});

test('timeout > 0 closes the connection after that time', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'timeout', attributes: { timeout: 150 } });
  const r = await exchange(proxy.listen.port, Buffer.from('x'), { bytes: 10 });
  assert.equal(r.data.length, 0);
  assert.ok(r.ms >= 140 && r.ms < 2000, `closed after ${r.ms} ms`);
  await noConnections(proxy)();
});

test('limit_data: exactly N bytes arrive, then the connection closes', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'limit_data', stream: 'downstream', attributes: { bytes: 1000 } });
  const r = await exchange(proxy.listen.port, Buffer.alloc(5000, 'y'), { bytes: 1_000_000 });
  assert.equal(r.data.length, 1000);
  assert.equal(r.ended, true);
  await noConnections(proxy)();
});

test('slicer delivers every byte intact, in many chunks', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'slicer', stream: 'downstream', attributes: { average_size: 100, size_variation: 50, delay: 2000 } });
  const payload = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
  const r = await exchange(proxy.listen.port, payload);
  assert.ok(r.data.equals(payload), 'bytes intact and in order');
  assert.ok(r.chunks >= 5, `arrived in ${r.chunks} chunks`);
  await noConnections(proxy)();
});

test('slicer with delay 0 slices without a timer, at the speed of no toxic', async (t) => {
  const toxic = createToxicTransform(parseToxic({ type: 'slicer', attributes: { average_size: 100, delay: 0 } }), { reset: () => undefined, close: () => undefined });
  toxic.write(Buffer.alloc(1000, 's'));
  assert.equal(toxic.pendingTimers, 0);
  let got = 0;
  for (let chunk = toxic.read() as Buffer | null; chunk; chunk = toxic.read() as Buffer | null) got += chunk.length;
  assert.equal(got, 1000, 'every slice is out at once');
  toxic.destroy();

  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'slicer', stream: 'downstream', attributes: { average_size: 100, delay: 0 } });
  const payload = Buffer.alloc(100_000, 'x');
  const r = await exchange(proxy.listen.port, payload);
  assert.equal(r.data.length, payload.length);
  assert.ok(r.ms < 600, `100 KB in slices of 100 bytes took ${r.ms} ms (a timer per slice takes over a second)`);
  await noConnections(proxy)();
});

test('limit_data 0: nothing passes, then the connection closes', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'limit_data', stream: 'downstream', attributes: { bytes: 0 } });
  const r = await exchange(proxy.listen.port, Buffer.from('anything'), { bytes: 1_000_000, waitMs: 3000 });
  assert.equal(r.data.length, 0);
  assert.equal(r.ended, true, 'EOF, not a connection held until the client gives up');
  assert.ok(r.ms < 2000, `ended after ${r.ms} ms`);
});

test('slow_close delays the end of the stream', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'slow_close', stream: 'downstream', attributes: { delay: 300 } });
  const r = await exchange(proxy.listen.port, Buffer.from('bye'), { end: true, bytes: 1_000_000 });
  assert.equal(r.data.toString(), 'bye');
  assert.equal(r.ended, true);
  assert.ok(r.ms >= 290 && r.ms < 2000, `ended after ${r.ms} ms`);
  await noConnections(proxy)();
});

test('closing the proxy clears every toxic timer and socket', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 60_000 } });
  proxy.addToxic({ type: 'reset_peer', stream: 'downstream', attributes: { timeout: 60_000 } });
  const sockets = [0, 1, 2].map(() => net.connect(proxy.listen.port, '127.0.0.1').on('error', () => undefined));
  for (const s of sockets) s.write('held');
  await waitFor(() => proxy.connectionCount === 3 && timers() >= before + 6, 3000, 'timers pending');
  await proxy.close();
  assert.equal(proxy.connectionCount, 0);
  assert.equal(timers(), before);
  await waitFor(() => sockets.every((s) => s.destroyed), 3000, 'clients closed');
});

test('toxicity 0 never applies', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ type: 'timeout', toxicity: 0, attributes: { timeout: 0 } });
  for (let i = 0; i < 5; i++) {
    const r = await exchange(proxy.listen.port, Buffer.from(`n${i}`));
    assert.equal(r.data.toString(), `n${i}`);
  }
});

test('removing a toxic: new connections pass again', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ name: 'hold', type: 'timeout', attributes: { timeout: 0 } });
  assert.equal((await exchange(proxy.listen.port, Buffer.from('a'), { waitMs: 200 })).data.length, 0);
  assert.equal(proxy.removeToxic('hold'), true);
  assert.equal((await exchange(proxy.listen.port, Buffer.from('a'))).data.toString(), 'a');
});

test('removing a toxic heals live connections: what it holds is let go at once (latency, bandwidth, slow_close)', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ name: 'slow', type: 'latency', attributes: { latency: 2000 } });
  const delayed = exchange(proxy.listen.port, Buffer.from('in flight'));
  await waitFor(() => proxy.connectionCount === 1, 3000, 'the connection');
  await new Promise((r) => setTimeout(r, 100));
  proxy.removeToxic('slow');
  const r = await delayed;
  assert.equal(r.data.toString(), 'in flight');
  assert.ok(r.ms < 1000, `the held chunk came ${r.ms} ms after it was sent, not 2000`);

  proxy.addToxic({ name: 'thin', type: 'bandwidth', attributes: { rate: 1 } });
  const throttled = exchange(proxy.listen.port, Buffer.alloc(20_000, 'b'));
  await new Promise((r) => setTimeout(r, 150));
  proxy.removeAllToxics();
  const b = await throttled;
  assert.equal(b.data.length, 20_000);
  assert.ok(b.ms < 1000, `20 KB at 1 KB/s took ${b.ms} ms after the removal, not 20 s`);

  proxy.addToxic({ name: 'late', type: 'slow_close', attributes: { delay: 5000 } });
  const closing = exchange(proxy.listen.port, Buffer.from('bye'), { bytes: 1_000_000, end: true });
  await new Promise((r) => setTimeout(r, 150));
  proxy.removeToxic('late');
  const c = await closing;
  assert.equal(c.ended, true);
  assert.ok(c.ms < 1000, `the end came after ${c.ms} ms`);
  await noConnections(proxy)();
});

/** A connection that sends one byte at a time and times its echo (ms); `ended` says whether its end came within 3 s. */
async function roundTripper(port: number): Promise<{ rt(): Promise<number>; ended(): Promise<boolean>; close(): void }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const end = new Promise<boolean>((resolve) => socket.once('end', () => resolve(true)));
  return {
    ended: () => Promise.race([end, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000).unref())]),
    rt: async () => {
      const started = performance.now();
      socket.write('x');
      await new Promise((resolve) => socket.once('data', resolve));
      return performance.now() - started;
    },
    close: () => socket.destroy(),
  };
}

test('updating a toxic in place reaches live connections (latency, limit_data) and new ones; its place and name stay', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ name: 'first', type: 'slicer', attributes: { average_size: 64 } });
  proxy.addToxic({ name: 'slow', type: 'latency', attributes: { latency: 20 } });
  const live = await roundTripper(proxy.listen.port);
  t.after(() => live.close());
  const before = await live.rt();
  // A held chunk is let go up to 1 ms early (a timer may fire a fraction early): lower bounds allow for it.
  assert.ok(before >= 18 && before < 250, `round trip ${before} ms with 20 ms of latency`);
  const changed = proxy.updateToxic('slow', { attributes: { latency: 300 } });
  assert.deepEqual(changed, { name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 300, jitter: 0 } });
  const after = await live.rt();
  assert.ok(after >= 290, `the live connection's round trip was ${after} ms after the update to 300 ms`);
  const fresh = await roundTripper(proxy.listen.port);
  t.after(() => fresh.close());
  assert.ok((await fresh.rt()) >= 290);
  assert.deepEqual(proxy.toxics.map((x) => x.name), ['first', 'slow'], 'the chain keeps its order');

  proxy.removeToxic('slow');
  assert.ok((await live.rt()) < 250, 'removed after an update, the toxic leaves the live connection too');

  proxy.addToxic({ name: 'cap', type: 'limit_data', attributes: { bytes: 1_000_000 } });
  const capped = await roundTripper(proxy.listen.port);
  t.after(() => capped.close());
  await capped.rt();
  await capped.rt();
  proxy.updateToxic('cap', { attributes: { bytes: 2 } });
  assert.equal(await capped.ended(), true, 'a limit under what already passed ends the stream now');
  assert.equal(proxy.updateToxic('nope', { attributes: {} }), undefined);
  await live.rt(); // untouched by the limit
});

test('timeout and reset_peer updated in place count their new time from the update', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ name: 'cut', type: 'reset_peer', attributes: { timeout: 60_000 } });
  const r = exchange(proxy.listen.port, Buffer.from('x'), { waitMs: 5000 });
  await waitFor(() => proxy.connectionCount === 1, 3000, 'the connection');
  const updatedAt = Date.now();
  proxy.updateToxic('cut', { attributes: { timeout: 200 } });
  const got = await r;
  assert.equal(got.error?.code, 'ECONNRESET');
  assert.ok(Date.now() - updatedAt >= 190, 'reset 200 ms after the update, not before');
});

test('bad updates are refused with one line and change nothing', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ name: 'slow', type: 'latency', attributes: { latency: 5, jitter: 1 } });
  const cases: Array<[unknown, RegExp]> = [
    [{ type: 'bandwidth' }, /^toxic 'slow': an update changes attributes, toxicity and match only, not its type; remove the toxic and add it again$/],
    [{ stream: 'upstream' }, /not its stream/],
    [{ name: 'other' }, /not its name/],
    [{ attributes: { rate: 1 } }, /latency has no attribute 'rate'; it takes: latency, jitter/],
    [{ attributes: { latency: -1 } }, /latency must be a number of milliseconds ≥ 0/],
    [{ toxicity: 1.5 }, /toxicity must be a number from 0 to 1/],
    [[1], /an update must be a JSON object/],
    [{ match: { path: '/api/**' } }, /^toxic 'slow': match \(method, path\) needs an HTTP proxy; proxy 'test' is a TCP proxy$/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => proxy.updateToxic('slow', input), (e: unknown) => e instanceof InputError && message.test(e.message), JSON.stringify(input));
  }
  assert.deepEqual(proxy.toxics, [{ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 5, jitter: 1 } }]);
  assert.deepEqual(proxy.updateToxic('slow', { toxicity: 0.5, type: 'latency', attributes: { jitter: 0 } })?.attributes, { latency: 5, jitter: 0 }, 'unchanged fields may be repeated');
});

test('down: connections are refused and live ones cut; enabled again it works', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  const live = net.connect(proxy.listen.port, '127.0.0.1');
  live.on('error', () => undefined);
  await waitFor(() => proxy.connectionCount === 1, 3000, 'live connection');
  const cut = new Promise<void>((resolve) => live.on('close', () => resolve()));
  await proxy.setEnabled(false);
  await cut;
  const r = await exchange(proxy.listen.port, Buffer.from('x'));
  assert.equal(r.error?.code, 'ECONNREFUSED');
  await proxy.setEnabled(true);
  assert.equal((await exchange(proxy.listen.port, Buffer.from('back'))).data.toString(), 'back');
  await noConnections(proxy)();
});

test('an unreachable upstream closes the client connection', async (t) => {
  const proxy = await startProxy(t, await closedPort());
  const r = await exchange(proxy.listen.port, Buffer.from('x'));
  assert.equal(r.data.length, 0);
  await noConnections(proxy)();
});

test('bad toxics are refused with one line naming the field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ name: 'lat', type: 'latency', attributes: { latency: -1 } }, /^toxic 'lat': latency must be a number of milliseconds ≥ 0$/],
    [{ name: 'lat', type: 'latency', attributes: { latency: '100' } }, /toxic 'lat': latency must be a number/],
    [{ type: 'latency', attributes: { delay: 1 } }, /latency has no attribute 'delay'; it takes: latency, jitter/],
    [{ type: 'latancy' }, /toxic type 'latancy' is unknown; types are: latency, bandwidth/],
    [{ name: 'x', type: 'latency', toxicity: 2 }, /toxic 'x': toxicity must be a number from 0 to 1/],
    [{ name: 'x', type: 'latency', stream: 'sideways' }, /toxic 'x': stream must be 'upstream' or 'downstream'/],
    [{ name: 'x', type: 'limit_data', attributes: { bytes: 1.5 } }, /bytes must be a whole number of bytes/],
    [{ name: 'x', type: 'slicer', attributes: { average_size: 10, size_variation: 10 } }, /size_variation must be smaller than average_size/],
    [{ name: 'bad name!', type: 'latency' }, /toxic name 'bad name!' must be/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseToxic(input), (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes('\n'), JSON.stringify(input));
  }
  const ok = parseToxic({ type: 'latency', attributes: { latency: 5 } });
  assert.deepEqual(ok, { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 5, jitter: 0 } });
  assert.throws(() => parseHostPort('6379', '--upstream'), /--upstream '6379' must be HOST:PORT/);
  assert.deepEqual(parseHostPort('127.0.0.1:6380', '--listen'), { host: '127.0.0.1', port: 6380 });
});

test('a duplicate toxic name is refused', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.addToxic({ name: 'a', type: 'latency' });
  assert.throws(() => proxy.addToxic({ name: 'a', type: 'bandwidth' }), /toxic 'a' already exists on proxy 'test'/);
});
