/**
 * Wire calls handed to the StoreWriter as they are (enqueueWireCall: flat fields, the exchange made in the worker)
 * are stored exactly as the same calls made into exchanges on the proxy's thread (toCapturedExchange), through the
 * real store worker: every column with its SQLite type, the bodies, and the order among HTTP exchanges.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import type { WireCall } from '../../src/core/protocols/types';
import { toCapturedExchange, type WireRecordContext } from '../../src/core/protocols/wireRecord';
import { StoreWriter } from '../../src/core/store/writer';
import { queryStore, tmpDir } from '../helpers';
import { T0, captured, httpRow } from '../helpers/wireTraffic';

const call = (i: number, c: Partial<WireCall>): WireCall => ({
  startedAt: T0 + i + 0.25, ttfbMs: 0.125, durationMs: 0.5, method: 'GET', statement: `GET user:${i}`, status: null, error: null, ...c,
});

const CALLS: Array<[WireRecordContext, WireCall]> = [
  [{ protocol: 'redis', target: '127.0.0.1:6379', connectionId: 1, seq: 0, bodyCap: 1024 }, call(1, { request: { args: ['user:1'] }, response: { type: 'bulk', value: 'Zoë ✓' } })],
  [{ protocol: 'redis', target: '127.0.0.1:6379', connectionId: 1, seq: 0, bodyCap: 1024 }, call(2, { request: { args: ['user:1'] }, response: { type: 'bulk', value: 'Zoë ✓' } })],
  [{ protocol: 'postgres', target: '127.0.0.1:5432', connectionId: 2, seq: 0, bodyCap: 1024 }, call(3, { method: 'QUERY', statement: 'SELECT * FROM users WHERE id = 42', response: { rows: 1, password: 'hunter2' } })],
  [{ protocol: 'postgres', target: '127.0.0.1:5432', connectionId: 2, seq: 0, bodyCap: 16 }, call(4, { method: 'QUERY', statement: 'SELECT repeat(\'x\', 100)', response: { rows: 1, value: 'x'.repeat(100) } })],
  [{ protocol: 'redis', target: '127.0.0.1:6379', connectionId: 3, seq: 0, bodyCap: 1024 }, call(5, { ttfbMs: null, durationMs: null, error: 'connection closed before the reply', request: { args: [] } })],
  [{ protocol: 'redis', target: '127.0.0.1:6379', connectionId: 3, seq: 0, bodyCap: 1024 }, call(6, { request: { big: 10n }, response: { type: 'integer', value: 1 } })],
  [{ protocol: 'mysql', target: '127.0.0.1:3306', connectionId: 4, seq: 0, bodyCap: 1024 }, call(7, { method: 'COM_QUERY', statement: 'SELECT 1', status: 7 })],
];

/**
 * Every column of one session's exchanges with its SQLite type, and their bodies, as the saved file holds them.
 * Both ways write into one file (one salt, so redacted values compare), each its own session.
 */
async function contents(file: string, sessionId: number): Promise<{ rows: Array<Record<string, unknown>>; bodies: unknown[] }> {
  const columns = (await queryStore(file, 'SELECT name FROM pragma_table_info(\'exchanges\')')).map((r) => String(r.name)).filter((c) => c !== 'id' && c !== 'session_id');
  const rows = await queryStore(file, `SELECT ${columns.map((c) => `${c}, typeof(${c}) AS "${c}:type"`).join(', ')} FROM exchanges WHERE session_id = ? ORDER BY id`, [sessionId]);
  const bodies = await queryStore(
    file,
    `SELECT hash, hex(data) AS data FROM bodies WHERE hash IN (SELECT request_body_hash FROM exchanges WHERE session_id = ?1
      UNION SELECT response_body_hash FROM exchanges WHERE session_id = ?1) ORDER BY hash`,
    [sessionId],
  );
  return { rows, bodies };
}

async function store(file: string, enqueue: (writer: StoreWriter) => void): Promise<number> {
  const writer = await StoreWriter.open(file, { flushMs: 5 });
  const id = await writer.startSession({ kind: 'reverse', target: 'http://127.0.0.1:9000', listen: '127.0.0.1:0', startedAt: T0 });
  try {
    enqueue(writer);
  } finally {
    await writer.close();
  }
  return id;
}

test('a wire call queued as it is is stored exactly as its exchange would be, in the order queued', async (t) => {
  const dir = tmpDir(t);
  const http = (seq: number) => captured(httpRow(seq, { method: 'GET', path: `/users/${seq}`, at: seq, duration: 5 }));
  // HTTP exchanges between the calls: the order of arrival must survive the calls' separate path to the worker.
  const plan = (writer: StoreWriter, viaFields: boolean): void => {
    let seq = 0;
    assert.ok(writer.enqueueExchange(http(++seq)));
    CALLS.forEach(([context, c], i) => {
      const ctx = { ...context, seq: ++seq };
      assert.ok(viaFields ? writer.enqueueWireCall(c, ctx) : writer.enqueueExchange(toCapturedExchange(c, ctx)));
      if (i % 3 === 1) assert.ok(writer.enqueueExchange(http(++seq)));
    });
  };
  const file = path.join(dir, 'traffic.db');
  const reference = await store(file, (w) => plan(w, false));
  const fields = await store(file, (w) => plan(w, true));
  const expected = await contents(file, reference);
  assert.equal(expected.rows.length, CALLS.length + 3);
  assert.equal(expected.bodies.length, 8);
  assert.deepEqual(await contents(file, fields), expected);
  // The reference itself holds what the calls say (so the comparison is not between two empty files).
  const pg = expected.rows.find((r) => r.seq === 5)!;
  assert.deepEqual([pg.protocol, pg['protocol:type'], pg.path, pg.redacted], ['postgres', 'text', 'SELECT * FROM users WHERE id = ?', 1]);
  const cut = expected.rows.find((r) => r.seq === 6)!;
  assert.deepEqual([cut.response_body_truncated, cut.response_body_size], [1, JSON.stringify(CALLS[3][1].response).length]);
  assert.deepEqual(expected.rows.map((r) => r.protocol), ['http', 'redis', 'redis', 'http', 'postgres', 'postgres', 'redis', 'http', 'redis', 'mysql']);
});

test('wire calls past four times the pending limit (their headroom) are dropped and counted, the rest stored', async (t) => {
  const file = path.join(tmpDir(t), 'traffic.db');
  const writer = await StoreWriter.open(file, { flushMs: 60_000, maxPendingRecords: 1 });
  await writer.startSession({ kind: 'reverse', target: 'http://127.0.0.1:9000', listen: '127.0.0.1:0', startedAt: T0 });
  let accepted: boolean[];
  try {
    accepted = CALLS.map(([context, c], i) => writer.enqueueWireCall(c, { ...context, seq: i + 1 }));
  } finally {
    await writer.close();
  }
  assert.deepEqual(accepted, [true, true, true, true, false, false, false]);
  assert.equal(writer.stats.dropped, 3);
  const rows = await queryStore(file, 'SELECT seq FROM exchanges ORDER BY id');
  assert.deepEqual(rows.map((r) => r.seq), [1, 2, 3, 4]);
});
