/**
 * Fuzzing the PostgreSQL wire parser with real byte streams: a session against a real server (pg with SCRAM, simple
 * and extended queries, errors, a raw pipeline, COPY in and out, psql's SSLRequest) is recorded per connection and
 * direction, then replayed into fresh parsers: split into random chunks (same calls as unsplit), truncated and
 * corrupted (never throws, buffered state stays bounded).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { definition } from '../../src/core/protocols/postgres';
import { MAX_KEPT_BODY } from '../../src/core/protocols/postgres/frames';
import type { PostgresSession } from '../../src/core/protocols/postgres/session';
import type { WireCall, WireProtocolDefinition } from '../../src/core/protocols/types';
import { requireReady } from '../helpers';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../helpers/postgresServer';
import { connectRawPg, pgMessages } from '../helpers/postgresWire';
import { startWireRelay } from '../helpers/wireRelay';

type Side = 'client' | 'server';
interface Event {
  side: Side;
  bytes: Buffer;
}

const BOUND = 2 * (MAX_KEPT_BODY + 5);

function replay(events: Event[], onChunk?: (session: PostgresSession) => void): WireCall[] {
  const calls: WireCall[] = [];
  const session = definition.createParser({ now: () => 1_000, emit: (c) => calls.push(c) }) as PostgresSession;
  for (const e of events) {
    session[e.side](e.bytes);
    onChunk?.(session);
  }
  session.end();
  return calls;
}

/** Consecutive chunks of one direction joined (TCP may coalesce them), then cut by the cycle of `sizes`. */
function resplit(events: Event[], sizes: number[]): Event[] {
  const bursts: Event[] = [];
  for (const e of events) {
    const last = bursts[bursts.length - 1];
    if (last?.side === e.side) last.bytes = Buffer.concat([last.bytes, e.bytes]);
    else bursts.push({ side: e.side, bytes: e.bytes });
  }
  const out: Event[] = [];
  let k = 0;
  for (const b of bursts) {
    for (let at = 0; at < b.bytes.length; ) {
      const n = sizes[k++ % sizes.length];
      out.push({ side: b.side, bytes: b.bytes.subarray(at, at + n) });
      at += n;
    }
  }
  return out;
}

function truncate(events: Event[], keep: number): Event[] {
  const out: Event[] = [];
  let left = keep;
  for (const e of events) {
    if (left <= 0) break;
    out.push({ side: e.side, bytes: e.bytes.subarray(0, left) });
    left -= e.bytes.length;
  }
  return out;
}

function psqlCopyOut(port: number, user: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-X', '-q', '-c', 'COPY (SELECT g, md5(g::text) FROM generate_series(1, 30) g) TO STDOUT'], {
      env: { ...process.env, PGSSLMODE: 'prefer', PGCONNECT_TIMEOUT: '10' },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => (clearTimeout(timer), resolve(code)));
  });
}

/** A real session through the relay, recorded: one event list per connection. */
async function record(t: import('node:test').TestContext, s: PostgresServer): Promise<Event[][]> {
  const connections: Event[][] = [];
  const recording: WireProtocolDefinition = {
    ...definition,
    createParser(context) {
      const events: Event[] = [];
      connections.push(events);
      const inner = definition.createParser(context);
      return {
        client: (c) => (events.push({ side: 'client', bytes: Buffer.from(c) }), inner.client(c)),
        server: (c) => (events.push({ side: 'server', bytes: Buffer.from(c) }), inner.server(c)),
        end: () => inner.end(),
      };
    },
  };
  const relay = await startWireRelay(t, recording, { port: s.port });
  const client = new pg.Client({ host: '127.0.0.1', port: relay.port, database: s.database, ...s.scram });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('CREATE TEMP TABLE fuzz_items (id int PRIMARY KEY, name text, blob text)');
  await client.query("INSERT INTO fuzz_items SELECT g, 'item-' || g, repeat('b', g * 100) FROM generate_series(1, 40) g");
  await client.query('SELECT * FROM fuzz_items WHERE id <= $1', [25]);
  for (const id of [1, 2, 3]) await client.query({ name: 'by-id', text: 'SELECT name FROM fuzz_items WHERE id = $1', values: [id] });
  await client.query('BEGIN; UPDATE fuzz_items SET name = upper(name) WHERE id < 10; SELECT count(*) FROM fuzz_items');
  await client.query('SELECT * FROM no_such_table').catch(() => undefined);
  await client.query('ROLLBACK');
  await client.query("LISTEN fuzz; NOTIFY fuzz, 'payload'");
  await client.end();

  const raw = await connectRawPg(relay.port, s.user, s.database);
  raw.send(
    pgMessages.parse('', 'SELECT $1::int8 + 1 AS n, $2::bool AS b', [20, 16]),
    pgMessages.bind('', '', [Buffer.from([0, 0, 0, 0, 0, 0, 0, 41]), Buffer.from([1])]),
    pgMessages.execute(''),
    pgMessages.parse('', 'SELECT 1 / $1::int'),
    pgMessages.bind('', '', ['0']),
    pgMessages.execute(''),
    pgMessages.sync(),
  );
  await raw.readyFor(1);
  raw.send(pgMessages.query('CREATE TEMP TABLE fuzz_copy (n int, s text); COPY fuzz_copy FROM STDIN'));
  await raw.next('G');
  for (let i = 0; i < 20; i++) raw.send(pgMessages.copyData(`${i}\trow-${i}\n`));
  raw.send(pgMessages.copyDone());
  await raw.readyFor(1);
  await raw.close();

  assert.equal(await psqlCopyOut(relay.port, s.user), 0);
  await relay.waitForCalls(17);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(relay.failures, []);
  return connections;
}

test('the parser on recorded real streams: random splits, truncation and corruption', { timeout: 60_000 }, async (t) => {
  if (!requireReady(t, postgresUnavailable())) return;
  const s = await startPostgres();
  t.after(() => s.stop());
  const connections = await record(t, s);
  assert.equal(connections.length, 3);
  const references = connections.map((events) => replay(events));
  const referenceCount = references.reduce((n, calls) => n + calls.length, 0);
  assert.equal(referenceCount, 17, `${referenceCount} calls recorded`);
  assert.ok(references.flat().some((c) => c.method === 'COPY'));
  assert.ok(references.flat().some((c) => c.error?.startsWith('ERROR 42P01')));
  const binary = references[1].find((c) => c.method === 'EXECUTE');
  assert.deepEqual((binary?.request as { params: unknown[] }).params, [41, true], 'binary int8 and bool are decoded');

  await t.test('split into random chunk sizes: the same calls as unsplit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: connections.length - 1 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }), (i, sizes) => {
        assert.deepEqual(replay(resplit(connections[i], sizes)), references[i]);
      }),
      { numRuns: 150 },
    );
  });

  await t.test('truncated anywhere, then closed: never throws, only calls the client really sent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: connections.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (i, fraction) => {
        const total = connections[i].reduce((n, e) => n + e.bytes.length, 0);
        const calls = replay(truncate(connections[i], Math.floor(total * fraction)));
        const statements = new Set(references[i].map((c) => c.statement));
        assert.ok(calls.length <= references[i].length);
        for (const c of calls) assert.ok(statements.has(c.statement), c.statement);
      }),
      { numRuns: 150 },
    );
  });

  await t.test('corrupted bytes: never throws, buffered state stays bounded', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: connections.length - 1 }),
        fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 5 }),
        (i, flips, sizes) => {
          const events = connections[i].map((e) => ({ side: e.side, bytes: Buffer.from(e.bytes) }));
          const total = events.reduce((n, e) => n + e.bytes.length, 0);
          for (const f of flips) {
            let at = Math.floor(f.at * (total - 1));
            const e = events.find((ev) => (at < ev.bytes.length ? true : ((at -= ev.bytes.length), false)));
            if (e) e.bytes[at] = f.byte;
          }
          let maxBuffered = 0;
          const calls = replay(resplit(events, sizes), (session) => (maxBuffered = Math.max(maxBuffered, session.bufferedBytes)));
          assert.ok(maxBuffered <= BOUND, `buffered ${maxBuffered}`);
          for (const c of calls) assert.equal(typeof c.statement, 'string');
        },
      ),
      { numRuns: 200 },
    );
  });

  await t.test('a length prefix claiming a gigabyte: skipped or capped, never buffered whole', () => {
    for (const type of ['Q', 'D', 'd']) {
      const head = Buffer.alloc(5);
      head.write(type, 0, 'latin1');
      head.writeInt32BE(0x3ffffff0, 1);
      const events: Event[] = [...connections[1].slice(0, 2), { side: type === 'D' ? 'server' : 'client', bytes: head }];
      for (let i = 0; i < 48; i++) events.push({ side: type === 'D' ? 'server' : 'client', bytes: Buffer.alloc(64 * 1024, 0x41) });
      let maxBuffered = 0;
      replay(events, (session) => (maxBuffered = Math.max(maxBuffered, session.bufferedBytes)));
      assert.ok(maxBuffered <= MAX_KEPT_BODY + 5, `${type}: buffered ${maxBuffered}`);
    }
  });
});
