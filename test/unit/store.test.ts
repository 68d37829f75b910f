import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Redactor, defaultRedaction } from '../../src/core/capture/redact';
import type { CapturedExchange } from '../../src/core/capture/types';
import { TrafficDb } from '../../src/core/store/database';
import { JournalWriter, journalPath, readJournal } from '../../src/core/store/journal';
import { prepareExchange } from '../../src/core/store/prepare';
import { tmpDir } from '../helpers';

function exchange(seq: number, body = '{"ok":true}', headers: string[] = ['content-type', 'application/json']): CapturedExchange {
  return {
    seq, protocol: 'http', connectionId: 1, startedAt: 1_700_000_000_000 + seq, ttfbMs: 1, durationMs: 2,
    method: 'GET', url: `http://h/items/${seq}?q=1`, status: 200,
    requestHeaders: ['accept', '*/*'], responseHeaders: headers,
    requestBody: { data: null, size: 0, truncated: false },
    responseBody: { data: Buffer.from(body), size: Buffer.byteLength(body), truncated: false }, error: null,
  };
}

test('prepareExchange decodes gzip, splits host and path, hashes the body', () => {
  const redactor = new Redactor(defaultRedaction(), 's');
  const zipped = gzipSync(Buffer.from('{"a":1}'));
  const ex = exchange(1);
  ex.responseHeaders = ['content-type', 'application/json', 'content-encoding', 'gzip'];
  ex.responseBody = { data: zipped, size: zipped.length, truncated: false };
  const p = prepareExchange(ex, redactor);
  assert.equal(Buffer.from(p.responseBody!.data).toString(), '{"a":1}');
  assert.equal(p.responseBody!.size, zipped.length);
  assert.equal(p.host, 'h');
  assert.equal(p.path, '/items/1');
  assert.match(p.responseBody!.hash ?? '', /^[0-9a-f]{64}$/);
});

test('ops apply, bodies dedupe, save is atomic and reopens with the same rows', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'traffic.db');
  const db = await TrafficDb.open(file, { create: true });
  const redactor = new Redactor(defaultRedaction(), db.salt);
  db.apply({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: 'http://h', listen: '127.0.0.1:1', startedAt: 1 } });
  db.apply({ lsn: 2, op: 'exchanges', sessionId: 1, rows: [1, 2, 3].map((i) => prepareExchange(exchange(i), redactor)) });
  db.save();
  db.close();
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0);
  const again = await TrafficDb.open(file);
  t.after(() => again.close());
  assert.equal(again.countExchanges(), 3);
  assert.equal(again.appliedLsn, 2);
  const detail = again.exchange(2)!;
  assert.equal(Buffer.from(detail.responseBody!.data).toString(), '{"ok":true}');
  assert.equal(again.sessions()[0].exchanges, 3);
});

test('journal: replay skips applied frames and stops at a torn frame', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'traffic.db');
  const db = await TrafficDb.open(file, { create: true });
  const redactor = new Redactor(defaultRedaction(), db.salt);
  db.apply({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: null, listen: null, startedAt: 1 } });
  db.save();
  db.close();
  const j = new JournalWriter(journalPath(file));
  j.append({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: null, listen: null, startedAt: 1 } });
  j.append({ lsn: 2, op: 'exchanges', sessionId: 1, rows: [prepareExchange(exchange(1), redactor)] });
  j.append({ lsn: 3, op: 'exchanges', sessionId: 1, rows: [prepareExchange(exchange(2), redactor)] });
  j.close(false);
  // Tear the last frame as a kill -9 mid-write would.
  const size = fs.statSync(journalPath(file)).size;
  fs.truncateSync(journalPath(file), size - 5);
  assert.equal([...readJournal(journalPath(file))].length, 2);
  const reopened = await TrafficDb.open(file);
  t.after(() => reopened.close());
  assert.equal(reopened.countExchanges(), 1);
  assert.equal(reopened.sessions().length, 1);
});

test('refuses foreign, corrupt, empty and non-SQLite files without touching them', async (t) => {
  const dir = tmpDir(t);
  const write = (name: string, data: Buffer): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, data);
    return f;
  };
  const good = await TrafficDb.memory();
  const bytes = Buffer.from(good.exportBytes());
  good.close();
  const corrupt = Buffer.from(bytes);
  corrupt.fill(0xab, 4096, 8192);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty.db', Buffer.alloc(0), /empty file/],
    ['text.db', Buffer.from('hello world, not a database at all '.repeat(10)), /not a SQLite database/],
    ['corrupt.db', corrupt, /corrupt/],
  ];
  for (const [name, data, message] of cases) {
    const f = write(name, data);
    await assert.rejects(TrafficDb.open(f), message, name);
    assert.deepEqual(fs.readFileSync(f), data, `${name} unchanged`);
  }
});

test('exchange rows bound through SQLite directly are stored as sql.js binds them: every column, its type, the bodies', async (t) => {
  const direct = await TrafficDb.memory();
  const viaSqlJs = await TrafficDb.memory({ bindViaSqlJs: true });
  t.after(() => {
    direct.close();
    viaSqlJs.close();
  });
  const redactor = new Redactor(defaultRedaction(), 'salt');
  const rows = [
    prepareExchange(exchange(1, '{"token":"s3cret","name":"Zoë ✓"}'), redactor),
    prepareExchange({ ...exchange(2), ttfbMs: null, durationMs: 2.5, status: null, error: 'upstream reset: ECONNRESET', httpVersion: '2' }, redactor),
    prepareExchange({ ...exchange(3, '{}'), protocol: 'ws', seq: 2 ** 33, connectionId: -7, startedAt: 1_700_000_000_000.25 }, redactor),
  ];
  // Rows whose headers repeat (the same arrays, so the same JSON strings): the direct binder shares their bytes.
  const repeated = exchange(4);
  rows.push(prepareExchange(repeated, redactor), prepareExchange({ ...repeated, seq: 5, url: 'http://h/other' }, redactor));
  assert.equal(rows[4].requestHeaders, rows[3].requestHeaders);
  for (const db of [direct, viaSqlJs]) {
    db.apply({ lsn: 1, op: 'session', id: 1, session: { kind: 'reverse', target: 'http://h', listen: '127.0.0.1:1', startedAt: 1 } });
    db.apply({ lsn: 2, op: 'exchanges', sessionId: 1, rows });
  }
  assert.equal(direct.lastInsertVia, 'direct');
  assert.equal(viaSqlJs.lastInsertVia, 'sql.js');
  const columns = direct.query("SELECT name FROM pragma_table_info('exchanges')").map((r) => String(r.name));
  const dump = (db: TrafficDb) => ({
    rows: db.query(`SELECT ${columns.map((c) => `${c}, typeof(${c}) AS "${c}:type"`).join(', ')} FROM exchanges ORDER BY id`),
    bodies: db.query('SELECT hash, hex(data) AS data, typeof(data) AS type FROM bodies ORDER BY hash'),
  });
  const expected = dump(viaSqlJs);
  assert.deepEqual(dump(direct), expected);
  // The comparison is of something: texts are text, the redacted body and the odd numbers are there.
  assert.equal(expected.rows.length, 5);
  assert.deepEqual([expected.rows[4].url, expected.rows[4].request_headers], ['http://h/other', expected.rows[3].request_headers]);
  assert.deepEqual([expected.rows[1].error, expected.rows[1]['error:type'], expected.rows[1]['ttfb_ms:type']], ['upstream reset: ECONNRESET', 'text', 'null']);
  assert.deepEqual([expected.rows[2].seq, expected.rows[2].connection_id, expected.rows[2]['started_at:type']], [2 ** 33, -7, 'real']);
  assert.equal(expected.rows[0].redacted, 1);
  assert.ok(expected.bodies.every((b) => b.type === 'blob'));
});
