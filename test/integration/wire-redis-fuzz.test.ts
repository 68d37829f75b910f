/**
 * Fuzz of the Redis parser over real byte streams (ioredis ↔ redis-server, recorded by a loopback relay): random
 * splits give the same calls as the whole stream; truncated and corrupted streams never throw and keep the parser's
 * buffered state bounded. Also: a parser that throws inside the capture proxy is dropped and the bytes still flow.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import test, { type TestContext } from 'node:test';
import fc from 'fast-check';
import Redis from 'ioredis';
import type { CapturedExchange } from '../../src/core/capture/types';
import { definition } from '../../src/core/protocols/redis';
import { RedisSession } from '../../src/core/protocols/redis/session';
import type { WireCall, WireProtocolDefinition } from '../../src/core/protocols/types';
import { WireCapture } from '../../src/core/protocols/wireCapture';
import { startRedisServer } from '../helpers/redisServer';

type Event = { side: 'client' | 'server'; chunk: Buffer };

/** Relays one client to redis and records every chunk of each connection in arrival order. */
async function recordingRelay(t: TestContext, port: number): Promise<{ port: number; streams: Event[][] }> {
  const streams: Event[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const events: Event[] = [];
    streams.push(events);
    const upstream = net.connect({ host: '127.0.0.1', port });
    sockets.add(client).add(upstream);
    client.on('data', (c: Buffer) => events.push({ side: 'client', chunk: Buffer.from(c) }));
    upstream.on('data', (c: Buffer) => events.push({ side: 'server', chunk: Buffer.from(c) }));
    client.pipe(upstream).on('error', () => undefined);
    upstream.pipe(client).on('error', () => undefined);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, streams };
}

/** Calls without their timings (which depend on when chunks arrive, not on how they are split). */
function replay(events: Event[]): { calls: unknown[]; maxBuffered: number } {
  const calls: WireCall[] = [];
  const parser = new RedisSession({ now: () => 0, emit: (c) => calls.push(c) });
  let maxBuffered = 0;
  for (const e of events) {
    parser[e.side](e.chunk);
    maxBuffered = Math.max(maxBuffered, parser.buffered);
  }
  parser.end();
  return { calls: calls.map((c) => ({ method: c.method, statement: c.statement, request: c.request, response: c.response, error: c.error })), maxBuffered };
}

function split(events: Event[], cuts: number[]): Event[] {
  const out: Event[] = [];
  let k = 0;
  for (const e of events) {
    let at = 0;
    while (at < e.chunk.length) {
      const size = 1 + (cuts[k++ % cuts.length] % Math.max(1, e.chunk.length - at));
      out.push({ side: e.side, chunk: e.chunk.subarray(at, at + size) });
      at += size;
    }
  }
  return out;
}

test('the Redis parser gives the same calls for any split of real streams, and survives truncation and corruption', async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const relay = await recordingRelay(t, redis.port);
  const client = new Redis({ host: '127.0.0.1', port: relay.port, lazyConnect: true });
  await client.connect();
  const sub = new Redis({ host: '127.0.0.1', port: relay.port, lazyConnect: true });
  await sub.connect();
  await sub.subscribe('c1', 'c2');
  await sub.psubscribe('p*');
  await client.set('k', 'v'.repeat(6000));
  await client.get('k');
  const pipe = client.pipeline();
  for (let i = 0; i < 50; i++) pipe.set(`key:${i}`, String(i)).get(`key:${i}`);
  await pipe.exec();
  await client.multi().incr('n').hset('h', { a: '1', b: '2' }).hgetall('h').exec();
  await client.call('NOPE').catch(() => undefined);
  await client.publish('c1', 'one');
  await client.publish('p1', 'two');
  await new Promise((r) => setTimeout(r, 100));
  client.disconnect();
  sub.disconnect();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(relay.streams.length, 2);

  const started = Date.now();
  for (const events of relay.streams) {
    const whole = replay(events);
    assert.ok(whole.calls.length > 2, 'the recorded stream has calls');
    const bytes = events.reduce((n, e) => n + e.chunk.length, 0);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4096 }), { minLength: 1, maxLength: 64 }), (cuts) => {
        assert.deepEqual(replay(split(events, cuts)).calls, whole.calls);
      }),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }), (keep, flips) => {
        // Truncate at `keep` bytes, then overwrite random bytes: the parser must neither throw nor grow.
        const cut: Event[] = [];
        let left = keep;
        for (const e of events) {
          if (left <= 0) break;
          const chunk = Buffer.from(e.chunk.subarray(0, left));
          left -= chunk.length;
          cut.push({ side: e.side, chunk });
        }
        for (const [at, value] of flips) {
          const e = cut.length ? cut[at % cut.length] : undefined;
          if (e && e.chunk.length) e.chunk[at % e.chunk.length] = value;
        }
        const r = replay(cut);
        assert.ok(r.maxBuffered <= 128 * 1024, `buffered ${r.maxBuffered} bytes`);
      }),
      { numRuns: 150 },
    );
  }
  assert.ok(Date.now() - started < 20_000, 'the fuzz stays within its time budget');
});

test('a parser that throws is dropped for its connection, with a note; the bytes keep flowing unchanged', async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const throwing: WireProtocolDefinition = {
    name: 'redis',
    defaultPort: 6379,
    createParser: () => ({
      client: () => {
        throw new Error('boom');
      },
      server: () => undefined,
      end: () => undefined,
    }),
  };
  const recorded: CapturedExchange[] = [];
  let seq = 0;
  const capture = new WireCapture(throwing, { name: 'r', listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: redis.port }, nextSeq: () => ++seq }, {
    enqueueExchange: (ex) => (recorded.push(ex), true),
    enqueueMessage: () => true,
  });
  const bound = await capture.listen();
  t.after(() => capture.close());
  const client = new Redis({ host: '127.0.0.1', port: bound.port, lazyConnect: true });
  await client.connect();
  const value = 'x'.repeat(100_000);
  await client.set('big', value);
  assert.equal(await client.get('big'), value);
  client.disconnect();
  assert.equal(recorded.length, 1);
  assert.equal(recorded[0].method, 'PARSER');
  assert.match(recorded[0].error!, /parser failed on the client side .*: boom/);
  assert.equal(capture.stats.parserFailures, 1);
  assert.ok(definition.createParser, 'the real definition loads');
});
