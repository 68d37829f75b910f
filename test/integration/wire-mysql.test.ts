/**
 * The MySQL/MariaDB wire parser against a real MariaDB server and the real mysql2 client (and the mariadb command
 * line client), through the loopback relay: every query, prepared statement and login becomes one call with its
 * result summary, and the password never appears in any call.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import * as mysql from 'mysql2/promise';
import { definition } from '../../src/core/protocols/mysql';
import * as fc from 'fast-check';
import { MAX_PACKET_KEPT, MysqlConnectionParser } from '../../src/core/protocols/mysql/connection';
import type { WireCall, WireProtocolDefinition } from '../../src/core/protocols/types';
import { requireTool } from '../helpers';
import { startMariadb, type MariadbServer } from '../helpers/mariadbServer';
import { startWireRelay, type WireRelay } from '../helpers/wireRelay';

async function connect(t: TestContext, server: MariadbServer, extra: mysql.ConnectionOptions = {}): Promise<{ relay: WireRelay; conn: mysql.Connection }> {
  const relay = await startWireRelay(t, definition, { port: server.port });
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: relay.port, user: server.user, password: server.password, database: server.database, ...extra });
  t.after(() => conn.destroy());
  return { relay, conn };
}

/** The calls so far, once the last one for `statement` is in. */
async function callFor(relay: WireRelay, method: string, statement: string | RegExp): Promise<WireCall> {
  const matches = (c: WireCall): boolean => c.method === method && (typeof statement === 'string' ? c.statement === statement : statement.test(c.statement));
  const end = Date.now() + 10_000;
  for (;;) {
    const found = relay.calls.filter(matches).at(-1);
    if (found) return found;
    if (Date.now() > end) throw new Error(`no ${method} call for ${statement}; calls: ${relay.calls.map((c) => `${c.method} ${c.statement.slice(0, 100)}`).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const response = (c: WireCall): Record<string, unknown> => c.response as Record<string, unknown>;

function assertNoSecret(relay: WireRelay, server: MariadbServer): void {
  assert.deepEqual(relay.failures, []);
  assert.ok(!JSON.stringify(relay.calls).includes(server.password), 'the password appears in a call');
}

test('MySQL wire parser with MariaDB and mysql2', { timeout: 180_000 }, async (t) => {
  const server = await startMariadb(t);
  if (!server) return;

  await t.test('login, CREATE/INSERT/SELECT/UPDATE/DELETE, an error and QUIT', async (t) => {
    const { relay, conn } = await connect(t, server);
    await conn.query('CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)');
    await conn.query("INSERT INTO users (name) VALUES ('ada'), ('bob'), ('cy')");
    const [rows] = await conn.query('SELECT id, name FROM users ORDER BY id');
    assert.equal((rows as unknown[]).length, 3);
    await conn.query("UPDATE users SET name = 'eve' WHERE id >= 2");
    await conn.query('DELETE FROM users WHERE id = 1');
    await assert.rejects(conn.query('SELECT * FROM missing_table'), /doesn't exist/);
    await conn.end();

    const login = await callFor(relay, 'CONNECT', `CONNECT ${server.user}@${server.database}`);
    assert.equal(login.error, null);
    const loginRequest = login.request as Record<string, unknown>;
    assert.equal(loginRequest.user, server.user);
    assert.equal(loginRequest.database, server.database);
    assert.match(String(loginRequest.serverVersion), /MariaDB/);
    assert.equal(typeof loginRequest.connectionId, 'number');
    assert.equal(loginRequest.authPlugin, 'mysql_native_password');
    assert.ok(login.durationMs !== null && login.ttfbMs !== null && login.durationMs >= login.ttfbMs);

    const create = await callFor(relay, 'COM_QUERY', /^CREATE TABLE users/);
    assert.equal(response(create).type, 'ok');
    const insert = await callFor(relay, 'COM_QUERY', /^INSERT INTO users/);
    assert.deepEqual([response(insert).affectedRows, response(insert).lastInsertId, response(insert).inTransaction], [3, 1, false]);
    const select = await callFor(relay, 'COM_QUERY', 'SELECT id, name FROM users ORDER BY id');
    assert.deepEqual(select.response, { type: 'rows', columnCount: 2, columns: ['id', 'name'], rows: 3, warnings: 0, inTransaction: false });
    assert.equal(select.error, null);
    assert.ok(select.durationMs !== null && select.durationMs >= 0);
    const update = await callFor(relay, 'COM_QUERY', /^UPDATE users/);
    assert.equal(response(update).affectedRows, 2);
    assert.match(String(response(update).info), /Rows matched: 2/);
    assert.equal(response(await callFor(relay, 'COM_QUERY', /^DELETE FROM users/)).affectedRows, 1);
    const missing = await callFor(relay, 'COM_QUERY', 'SELECT * FROM missing_table');
    assert.equal(missing.error, "ERROR 1146 (42S02): Table 'chaos.missing_table' doesn't exist");
    assert.deepEqual(missing.response, { type: 'error', code: 1146, sqlState: '42S02', message: "Table 'chaos.missing_table' doesn't exist" });
    await callFor(relay, 'COM_QUIT', 'QUIT');
    assertNoSecret(relay, server);
  });

  await t.test('prepared statements: PREPARE, EXECUTE with typed parameters, CLOSE', async (t) => {
    const { relay, conn } = await connect(t, server, { timezone: 'Z' });
    await conn.query('CREATE TABLE things (id INT PRIMARY KEY, score DOUBLE, label VARCHAR(300), note TEXT NULL, seen DATETIME, raw BLOB)');
    const insertSql = 'INSERT INTO things (id, score, label, note, seen, raw) VALUES (?, ?, ?, ?, ?, ?)';
    await conn.execute(insertSql, [7, 2.5, 'seven', null, new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), Buffer.from([0, 1, 2, 255])]);
    await conn.execute(insertSql, [-8, -0.25, 'x'.repeat(300), 'n', new Date(Date.UTC(2023, 11, 31, 23, 59, 59)), Buffer.from('hi')]);
    const selectSql = 'SELECT id, label FROM things WHERE id > ? ORDER BY id';
    const [rows] = await conn.execute(selectSql, [-100]);
    assert.equal((rows as unknown[]).length, 2);
    await conn.unprepare(selectSql);

    const prepare = await callFor(relay, 'COM_STMT_PREPARE', insertSql);
    assert.equal(prepare.error, null);
    assert.equal(response(prepare).params, 6);
    const executes = relay.calls.filter((c) => c.method === 'COM_STMT_EXECUTE' && c.statement === insertSql);
    assert.equal(executes.length, 2);
    assert.deepEqual((executes[0].request as { params: unknown[] }).params, [7, 2.5, 'seven', null, '2024-01-02 03:04:05', '<4 bytes>']);
    assert.deepEqual((executes[1].request as { params: unknown[] }).params, [-8, -0.25, '<300 bytes>', 'n', '2023-12-31 23:59:59', 'hi']);
    assert.equal(response(executes[0]).affectedRows, 1);

    const select = await callFor(relay, 'COM_STMT_EXECUTE', selectSql);
    assert.deepEqual((select.request as { params: unknown[] }).params, [-100]);
    assert.deepEqual(select.response, { type: 'rows', columnCount: 2, columns: ['id', 'label'], rows: 2, warnings: 0, inTransaction: false });
    assert.deepEqual(response(await callFor(relay, 'COM_STMT_PREPARE', selectSql)).columns, ['id', 'label']);
    await callFor(relay, 'COM_STMT_CLOSE', selectSql);

    await assert.rejects(conn.execute('SELECT * FROM nowhere WHERE id = ?', [1]), /doesn't exist/);
    assert.match(String((await callFor(relay, 'COM_STMT_PREPARE', /nowhere/)).error), /^ERROR 1146 \(42S02\)/);
    assertNoSecret(relay, server);
  });

  await t.test('transactions: the in-transaction flag follows BEGIN, COMMIT and ROLLBACK', async (t) => {
    const { relay, conn } = await connect(t, server);
    await conn.query('CREATE TABLE ledger (id INT PRIMARY KEY)');
    await conn.query('BEGIN');
    await conn.query('INSERT INTO ledger VALUES (1)');
    await conn.query('COMMIT');
    await conn.query('START TRANSACTION');
    await conn.query('INSERT INTO ledger VALUES (2)');
    await conn.query('ROLLBACK');
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM ledger');
    assert.equal((rows as Array<{ n: number }>)[0].n, 1);
    await conn.ping();

    const flags = await Promise.all(
      ['BEGIN', 'INSERT INTO ledger VALUES (1)', 'COMMIT', 'START TRANSACTION', 'INSERT INTO ledger VALUES (2)', 'ROLLBACK'].map(async (sql) => response(await callFor(relay, 'COM_QUERY', sql)).inTransaction),
    );
    assert.deepEqual(flags, [true, true, false, true, true, false]);
    assert.equal((await callFor(relay, 'COM_PING', 'PING')).error, null);
    assertNoSecret(relay, server);
  });

  await t.test('multiple statements in one COM_QUERY: every result set summarized', async (t) => {
    const { relay, conn } = await connect(t, server, { multipleStatements: true });
    const sql = "SELECT 1 AS a; SELECT 2 AS b, 'x' AS c UNION SELECT 3, 'y'; CREATE TEMPORARY TABLE t1 (v INT); INSERT INTO t1 VALUES (1), (2)";
    const [results] = await conn.query(sql);
    assert.equal((results as unknown[]).length, 4);
    const call = await callFor(relay, 'COM_QUERY', sql);
    const summary = response(call);
    assert.equal(summary.type, 'multi');
    assert.equal(summary.resultCount, 4);
    const parts = summary.results as Array<Record<string, unknown>>;
    assert.deepEqual(parts.map((r) => [r.type, r.rows ?? r.affectedRows]), [['rows', 1], ['rows', 2], ['ok', 0], ['ok', 2]]);
    assert.deepEqual(parts[1].columns, ['b', 'c']);
    await assert.rejects(conn.query('SELECT 1; SELECT * FROM nope_multi; SELECT 3'), /doesn't exist/);
    const failed = await callFor(relay, 'COM_QUERY', 'SELECT 1; SELECT * FROM nope_multi; SELECT 3');
    assert.match(String(failed.error), /^ERROR 1146/);
    assert.equal(response(failed).resultCount, 2);
    assertNoSecret(relay, server);
  });

  await t.test('large: 10,000 rows counted; a row and a query split over 16 MiB packets', async (t) => {
    const { relay, conn } = await connect(t, server, { multipleStatements: true });
    await conn.query('CREATE TABLE big (n INT PRIMARY KEY, pad VARCHAR(40))');
    await conn.query("INSERT INTO big SELECT seq, CONCAT('row-', seq) FROM seq_1_to_10000");
    const [rows] = await conn.query('SELECT n, pad FROM big');
    assert.equal((rows as unknown[]).length, 10_000);
    const [binaryRows] = await conn.execute('SELECT n FROM big WHERE n > ?', [0]);
    assert.equal((binaryRows as unknown[]).length, 10_000);
    // Larger than one 16 MiB packet: split in two by the server (the row) and by the client (the INSERT).
    const [wide] = await conn.query("SELECT REPEAT('w', 17000000) AS w, 'after' AS tail");
    assert.equal((wide as Array<{ w: string }>)[0].w.length, 17_000_000);
    const bigValue = 'v'.repeat(17_000_000);
    await conn.query('CREATE TABLE blobs (b LONGTEXT)');
    await conn.query(`INSERT INTO blobs VALUES ('${bigValue}')`);
    const [after] = await conn.query('SELECT COUNT(*) AS n FROM blobs');
    assert.equal((after as Array<{ n: number }>)[0].n, 1);

    assert.equal(response(await callFor(relay, 'COM_QUERY', 'SELECT n, pad FROM big')).rows, 10_000);
    assert.equal(response(await callFor(relay, 'COM_QUERY', /^INSERT INTO big/)).affectedRows, 10_000);
    assert.equal(response(await callFor(relay, 'COM_STMT_EXECUTE', 'SELECT n FROM big WHERE n > ?')).rows, 10_000);
    assert.deepEqual(response(await callFor(relay, 'COM_QUERY', /REPEAT/)).columns, ['w', 'tail']);
    const insert = await callFor(relay, 'COM_QUERY', /^INSERT INTO blobs/);
    assert.ok(insert.statement.length < 5_000, `statement kept at ${insert.statement.length} characters`);
    assert.match(insert.statement, /… <17,000,029 bytes>$/);
    assert.equal(response(insert).affectedRows, 1);
    assert.equal(response(await callFor(relay, 'COM_QUERY', 'SELECT COUNT(*) AS n FROM blobs')).rows, 1);
    assertNoSecret(relay, server);
  });

  await t.test('LOAD DATA LOCAL INFILE: the file is skipped and the next queries still parse', async (t) => {
    const { relay, conn } = await connect(t, server);
    await conn.query('CREATE TABLE imported (a INT, b VARCHAR(10))');
    const csv = Array.from({ length: 2000 }, (_, i) => `${i},name${i}`).join('\n') + '\n';
    await conn.query({ sql: "LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE imported FIELDS TERMINATED BY ','", infileStreamFactory: () => Readable.from([Buffer.from(csv)]) });
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM imported');
    assert.equal((rows as Array<{ n: number }>)[0].n, 2000);
    assert.equal(response(await callFor(relay, 'COM_QUERY', /^LOAD DATA LOCAL INFILE/)).affectedRows, 2000);
    assert.equal(response(await callFor(relay, 'COM_QUERY', 'SELECT COUNT(*) AS n FROM imported')).rows, 1);
    assertNoSecret(relay, server);
  });

  await t.test('a wrong password: the login call has the error, and no password', async (t) => {
    const relay = await startWireRelay(t, definition, { port: server.port });
    const wrong = 'not-the-password-42';
    await assert.rejects(mysql.createConnection({ host: '127.0.0.1', port: relay.port, user: server.user, password: wrong, database: server.database }), /Access denied/);
    const login = await callFor(relay, 'CONNECT', /^CONNECT chaos/);
    assert.match(String(login.error), /^ERROR 1045 \(28000\): Access denied for user 'chaos'/);
    assert.ok(!JSON.stringify(relay.calls).includes(wrong));
    assertNoSecret(relay, server);
  });

  await t.test('the compressed protocol: noted, then not parsed, and the bytes still flow', async (t) => {
    const { relay, conn } = await connect(t, server, { compress: true });
    const [rows] = await conn.query('SELECT 41 + 1 AS answer');
    assert.equal((rows as Array<{ answer: number }>)[0].answer, 42);
    await callFor(relay, 'CONNECT', /^CONNECT chaos/);
    assert.match((await callFor(relay, 'COMPRESS', /^COMPRESS:/)).statement, /not parsed/);
    assert.ok(!relay.calls.some((c) => c.method === 'COM_QUERY'));
    assertNoSecret(relay, server);
  });

  await t.test('the mariadb command line client (libmariadb): its queries and result sets', async (t) => {
    if (!requireTool(t, 'mariadb', 'mariadb-client')) return;
    const relay = await startWireRelay(t, definition, { port: server.port });
    const sql = "SELECT seq, 'r' FROM seq_1_to_5; SELECT * FROM nothing_here";
    const run = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      // spawnSync would block the event loop that runs the relay; the client runs as a child and is awaited.
      const child = spawn('mariadb', ['--no-defaults', '-h127.0.0.1', `-P${relay.port}`, `-u${server.user}`, server.database, '-e', sql], {
        env: { ...process.env, MYSQL_PWD: server.password },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('error', (e: Error) => resolve({ status: -1, stderr: e.message }));
      child.on('close', (status: number | null) => resolve({ status, stderr }));
    });
    assert.notEqual(run.status, -1, run.stderr);
    assert.match(run.stderr, /ERROR 1146/);
    const rows = await callFor(relay, 'COM_QUERY', "SELECT seq, 'r' FROM seq_1_to_5");
    assert.equal(response(rows).rows, 5);
    assert.match(String((await callFor(relay, 'COM_QUERY', 'SELECT * FROM nothing_here')).error), /^ERROR 1146/);
    const login = await callFor(relay, 'CONNECT', /^CONNECT chaos/);
    t.diagnostic(`libmariadb negotiated CLIENT_DEPRECATE_EOF: ${(login.request as Record<string, unknown>).deprecateEof}`);
    assertNoSecret(relay, server);
  });
});

test('MySQL wire parser: a TLS connection is noted and left alone', { timeout: 120_000 }, async (t) => {
  const server = await startMariadb(t, { tls: true });
  if (!server) return;
  const { relay, conn } = await connect(t, server, { ssl: { rejectUnauthorized: false } });
  const [rows] = await conn.query('SELECT 6 * 7 AS answer');
  assert.equal((rows as Array<{ answer: number }>)[0].answer, 42);
  const note = await callFor(relay, 'TLS', /^TLS:/);
  assert.match(note.statement, /encrypted and not parsed/);
  await conn.end();
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(relay.calls.map((c) => c.method), ['TLS']);
  assertNoSecret(relay, server);
});

type Event = ['client' | 'server', Buffer];

/** A definition that records both directions' bytes, in the order the relay saw them, besides parsing them. */
function recording(events: Event[]): WireProtocolDefinition {
  return {
    ...definition,
    createParser(context) {
      const inner = definition.createParser(context);
      return {
        client: (c) => (events.push(['client', Buffer.from(c)]), inner.client(c)),
        server: (c) => (events.push(['server', Buffer.from(c)]), inner.server(c)),
        end: () => inner.end(),
      };
    },
  };
}

/** Feeds events to a fresh parser; the calls without their timings, and the most bytes it held at any point. */
function replay(events: Event[]): { calls: unknown[]; maxBuffered: number } {
  const calls: WireCall[] = [];
  const parser = new MysqlConnectionParser({ now: () => 0, emit: (c) => calls.push(c) });
  let maxBuffered = 0;
  for (const [side, bytes] of events) {
    parser[side](bytes);
    maxBuffered = Math.max(maxBuffered, parser.bufferedBytes);
  }
  parser.end();
  return { calls: calls.map(({ startedAt: _s, ttfbMs: _t, durationMs: _d, ...rest }) => rest), maxBuffered };
}

/** The same bytes, each direction's runs joined, then cut at the given points. */
function resplit(events: Event[], cuts: number[]): Event[] {
  const runs: Event[] = [];
  for (const [side, bytes] of events) {
    const last = runs.at(-1);
    if (last && last[0] === side) last[1] = Buffer.concat([last[1], bytes]);
    else runs.push([side, bytes]);
  }
  const out: Event[] = [];
  let k = 0;
  for (const [side, bytes] of runs) {
    let at = 0;
    while (at < bytes.length) {
      const size = 1 + (cuts[k++ % cuts.length] % Math.max(1, bytes.length - at));
      out.push([side, bytes.subarray(at, at + size)]);
      at += size;
    }
  }
  return out;
}

test('MySQL wire parser fuzz: real streams split, truncated and corrupted', { timeout: 120_000 }, async (t) => {
  const server = await startMariadb(t);
  if (!server) return;
  const events: Event[] = [];
  const relay = await startWireRelay(t, recording(events), { port: server.port });
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: relay.port, user: server.user, password: server.password, database: server.database, multipleStatements: true });
  await conn.query('CREATE TABLE f (id INT PRIMARY KEY, v VARCHAR(20))');
  await conn.query('BEGIN; INSERT INTO f VALUES (1, \'a\'), (2, \'b\'); COMMIT');
  await conn.query('SELECT * FROM f; SELECT COUNT(*) FROM f');
  await conn.execute('SELECT v FROM f WHERE id = ? OR v = ?', [1, 'b']);
  await assert.rejects(conn.query('SELECT * FROM no_such_table'));
  await conn.query({ sql: "LOAD DATA LOCAL INFILE 'x.csv' INTO TABLE f FIELDS TERMINATED BY ','", infileStreamFactory: () => Readable.from([Buffer.from('3,c\n4,d\n')]) });
  await conn.ping();
  await conn.end();
  await relay.waitForCalls(10);
  await new Promise((r) => setTimeout(r, 100));

  const whole = replay(events);
  assert.ok(whole.calls.length >= 10, `the recorded session has ${whole.calls.length} calls`);
  assert.deepEqual(whole.calls, relay.calls.map(({ startedAt: _s, ttfbMs: _t, durationMs: _d, ...rest }) => rest));
  const total = events.reduce((n, [, b]) => n + b.length, 0);
  const bound = 2 * (MAX_PACKET_KEPT + 4) + total;
  const started = Date.now();

  fc.assert(
    fc.property(fc.array(fc.nat(64), { minLength: 1, maxLength: 50 }), (cuts) => {
      assert.deepEqual(replay(resplit(events, cuts)).calls, whole.calls);
    }),
    { numRuns: 150 },
  );
  fc.assert(
    fc.property(fc.nat(total), fc.array(fc.nat(64), { minLength: 1, maxLength: 20 }), (keep, cuts) => {
      const truncated: Event[] = [];
      let left = keep;
      for (const [side, bytes] of events) {
        if (left <= 0) break;
        truncated.push([side, bytes.subarray(0, left)]);
        left -= bytes.length;
      }
      const { maxBuffered } = replay(resplit(truncated, cuts));
      assert.ok(maxBuffered <= bound);
    }),
    { numRuns: 150 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(total - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 20 }), fc.array(fc.nat(64), { minLength: 1, maxLength: 20 }), (flips, cuts) => {
      const corrupted: Event[] = events.map(([side, bytes]) => [side, Buffer.from(bytes)]);
      for (const [position, value] of flips) {
        let at = position;
        for (const [, bytes] of corrupted) {
          if (at < bytes.length) {
            bytes[at] = value;
            break;
          }
          at -= bytes.length;
        }
      }
      const { maxBuffered } = replay(resplit(corrupted, cuts));
      assert.ok(maxBuffered <= bound);
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 })), { maxLength: 30 }), (noise) => {
      const { maxBuffered } = replay([...events.slice(0, 2), ...noise.map(([c, b]): Event => [c ? 'client' : 'server', Buffer.from(b)])]);
      assert.ok(maxBuffered <= bound);
    }),
    { numRuns: 200 },
  );
  t.diagnostic(`fuzzed ${total} bytes, ${whole.calls.length} calls, in ${Date.now() - started} ms`);
  assert.ok(Date.now() - started < 20_000, 'the fuzz runs stay under 20 s');
});
