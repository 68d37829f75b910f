/**
 * The PostgreSQL wire parser between real clients (pg, psql, a raw socket for pipelines) and a real server started
 * by the test, through the loopback relay: each query, Execute and COPY becomes one call with its result summary.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { after, test, type TestContext } from 'node:test';
import pg from 'pg';
import { definition } from '../../src/core/protocols/postgres';
import { MAX_KEPT_BODY } from '../../src/core/protocols/postgres/frames';
import type { PostgresSession } from '../../src/core/protocols/postgres/session';
import type { WireCall, WireProtocolDefinition } from '../../src/core/protocols/types';
import { requireReady, requireTool } from '../helpers';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../helpers/postgresServer';
import { connectRawPg, pgMessages } from '../helpers/postgresWire';
import { startWireRelay, type WireRelay } from '../helpers/wireRelay';

let shared: Promise<PostgresServer> | undefined;
after(async () => (await shared)?.stop());

/** One server for the file, started by the first test that needs it; null when skipped. */
async function server(t: TestContext): Promise<PostgresServer | null> {
  if (!requireReady(t, postgresUnavailable())) return null;
  shared ??= startPostgres();
  return shared;
}

async function relayFor(t: TestContext, s: PostgresServer, def: WireProtocolDefinition = definition): Promise<WireRelay> {
  return startWireRelay(t, def, { port: s.port });
}

async function pgClient(t: TestContext, relay: WireRelay, s: PostgresServer, login: { user: string; password?: string } = { user: s.user }): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: relay.port, database: s.database, application_name: 'wire-test', ...login });
  // The relay's own cleanup may close the socket first.
  client.on('error', () => undefined);
  await client.connect();
  t.after(() => client.end().catch(() => undefined));
  return client;
}

const byMethod = (relay: WireRelay, method: string): WireCall[] => relay.calls.filter((c) => c.method === method);
const response = (c: WireCall): Record<string, unknown> => c.response as Record<string, unknown>;
const request = (c: WireCall): Record<string, unknown> => (c.request ?? {}) as Record<string, unknown>;

function psql(port: number, user: string, args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'postgres', '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

test('simple queries: the CONNECT call, rows returned, rows affected, columns', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const client = await pgClient(t, relay, s);
  await client.query('CREATE TABLE simple_items (id int PRIMARY KEY, name text)');
  await client.query("INSERT INTO simple_items VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  await client.query('SELECT id, name FROM simple_items ORDER BY id');
  await client.query("UPDATE simple_items SET name = 'z' WHERE id > 1");
  await client.query('DELETE FROM simple_items WHERE id = 3');

  const [connect] = byMethod(relay, 'CONNECT');
  assert.equal(connect.statement, `CONNECT user=${s.user} database=${s.database}`);
  assert.deepEqual(request(connect), { protocol: '3.0', user: s.user, database: s.database, application_name: 'wire-test' });
  assert.equal(response(connect).authentication, 'trust');
  assert.match(String(response(connect).serverVersion), /^\d+/);
  assert.equal(response(connect).transaction, 'idle');
  assert.equal(connect.error, null);

  const queries = byMethod(relay, 'QUERY');
  assert.deepEqual(queries.map((c) => c.statement), [
    'CREATE TABLE simple_items (id int PRIMARY KEY, name text)',
    "INSERT INTO simple_items VALUES (1, 'a'), (2, 'b'), (3, 'c')",
    'SELECT id, name FROM simple_items ORDER BY id',
    "UPDATE simple_items SET name = 'z' WHERE id > 1",
    'DELETE FROM simple_items WHERE id = 3',
  ]);
  const [create, insert, select, update, del] = queries.map(response);
  assert.equal(create.tag, 'CREATE TABLE');
  assert.equal(insert.tag, 'INSERT 0 3');
  assert.equal(insert.rowsAffected, 3);
  assert.equal(select.tag, 'SELECT 3');
  assert.equal(select.rows, 3);
  assert.deepEqual(select.columns, [{ name: 'id', type: 'int4' }, { name: 'name', type: 'text' }]);
  assert.equal(update.rowsAffected, 2);
  assert.equal(del.rowsAffected, 1);
  for (const c of queries) {
    assert.equal(c.error, null);
    assert.ok(c.durationMs !== null && c.durationMs >= 0 && c.ttfbMs !== null && c.ttfbMs <= c.durationMs);
  }
  assert.deepEqual(relay.failures, []);
});

test('extended protocol through pg: bound parameters, a named prepared statement reused', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const client = await pgClient(t, relay, s);
  const sum = await client.query('SELECT $1::int + $2::int AS sum, $3::text AS label', [40, 2, 'forty-two']);
  assert.equal(sum.rows[0].sum, 42);
  const named = { name: 'item-by-id', text: 'SELECT g AS id FROM generate_series(1, 10) g WHERE g <= $1' };
  await client.query({ ...named, values: [3] });
  await client.query({ ...named, values: [7] });
  await client.query('SELECT $1::text IS NULL AS missing', [null]);

  const executes = byMethod(relay, 'EXECUTE');
  assert.equal(executes.length, 4);
  assert.equal(executes[0].statement, 'SELECT $1::int + $2::int AS sum, $3::text AS label');
  assert.deepEqual(request(executes[0]).params, ['40', '2', 'forty-two']);
  assert.equal(response(executes[0]).rows, 1);
  assert.deepEqual(response(executes[0]).columns, [{ name: 'sum', type: 'int4' }, { name: 'label', type: 'text' }]);
  // The second use of the named statement sends no Parse: its SQL comes from the first.
  for (const [i, rows] of [[1, 3], [2, 7]]) {
    assert.equal(executes[i].statement, named.text);
    assert.equal(request(executes[i]).name, 'item-by-id');
    assert.equal(response(executes[i]).rows, rows);
    assert.equal(response(executes[i]).tag, `SELECT ${rows}`);
    assert.equal(response(executes[i]).transaction, 'idle');
  }
  assert.deepEqual(request(executes[1]).params, ['3']);
  assert.deepEqual(request(executes[2]).params, ['7']);
  assert.deepEqual(request(executes[3]).params, [null]);
  assert.deepEqual(relay.failures, []);
});

test('errors carry severity and SQLSTATE, in simple and extended queries, and parsing goes on after', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const client = await pgClient(t, relay, s);
  await assert.rejects(client.query('SELECT * FROM no_such_table'), /does not exist/);
  await assert.rejects(client.query('SELECT * FROM no_such_table WHERE id = $1', [1]), /does not exist/);
  await client.query('SELECT 1 AS one');

  const [simple, after] = byMethod(relay, 'QUERY');
  assert.equal(simple.error, 'ERROR 42P01: relation "no_such_table" does not exist');
  assert.deepEqual(response(simple).error, { severity: 'ERROR', code: '42P01', message: 'relation "no_such_table" does not exist' });
  const [extended] = byMethod(relay, 'EXECUTE');
  assert.equal(extended.statement, 'SELECT * FROM no_such_table WHERE id = $1');
  assert.equal(extended.error, 'ERROR 42P01: relation "no_such_table" does not exist');
  assert.deepEqual(request(extended).params, ['1']);
  assert.equal(after.error, null);
  assert.equal(response(after).rows, 1);
});

test('transaction state from ReadyForQuery: BEGIN, a failed transaction, ROLLBACK, COMMIT', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const client = await pgClient(t, relay, s);
  await client.query('BEGIN');
  await client.query('SELECT 1');
  await assert.rejects(client.query('SELECT 1 / 0'), /division by zero/);
  await assert.rejects(client.query('SELECT 2'), /current transaction is aborted/);
  await client.query('ROLLBACK');
  await client.query('BEGIN');
  await client.query('SELECT $1::int', [5]);
  await client.query('COMMIT');

  const states = relay.calls.filter((c) => c.method !== 'CONNECT').map((c) => [c.statement, response(c).transaction, c.error?.split(':')[0] ?? null]);
  assert.deepEqual(states, [
    ['BEGIN', 'in transaction', null],
    ['SELECT 1', 'in transaction', null],
    ['SELECT 1 / 0', 'failed transaction', 'ERROR 22012'],
    ['SELECT 2', 'failed transaction', 'ERROR 25P02'],
    ['ROLLBACK', 'idle', null],
    ['BEGIN', 'in transaction', null],
    ['SELECT $1::int', 'in transaction', null],
    ['COMMIT', 'idle', null],
  ]);
});

test('a multi-statement simple query is one call with every tag; notifications do not break parsing', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const client = await pgClient(t, relay, s);
  await client.query('CREATE TEMP TABLE multi (n int); INSERT INTO multi SELECT generate_series(1, 4); SELECT * FROM multi; UPDATE multi SET n = n + 1 WHERE n > 2');
  await client.query("LISTEN wire_channel; NOTIFY wire_channel, 'hello'");
  await client.query('');
  await client.query('SELECT 2 AS two');

  const [multi, notify, empty, last] = byMethod(relay, 'QUERY');
  assert.deepEqual(response(multi).tags, ['CREATE TABLE', 'INSERT 0 4', 'SELECT 4', 'UPDATE 2']);
  assert.equal(response(multi).rows, 4);
  assert.equal(response(multi).rowsAffected, 6);
  assert.deepEqual(response(notify).tags, ['LISTEN', 'NOTIFY']);
  assert.equal(response(notify).notifications, 1);
  assert.equal(response(empty).empty, true);
  assert.equal(response(last).rows, 1);
  assert.deepEqual(relay.failures, []);
});

test('a pipeline of Parse/Bind/Execute x3 and one Sync, the middle one failing: the server skips to Sync', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const raw = await connectRawPg(relay.port, s.user, s.database);
  t.after(() => raw.close());
  const int4 = Buffer.alloc(4);
  int4.writeInt32BE(7);
  raw.send(
    pgMessages.parse('', 'SELECT $1::int4 * 6 AS answer', [23]),
    pgMessages.bind('', '', [int4]),
    pgMessages.describePortal(''),
    pgMessages.execute(''),
    pgMessages.parse('', 'SELECT 1 / $1::int AS boom'),
    pgMessages.bind('', '', ['0']),
    pgMessages.execute(''),
    pgMessages.parse('', 'SELECT 3 AS never'),
    pgMessages.bind('', '', []),
    pgMessages.execute(''),
    pgMessages.sync(),
  );
  const replies = await raw.readyFor(1);
  // 1 / 0 fails when the unnamed statement is planned, at Bind.
  assert.equal(replies.join(''), '12TDC1EZ');
  raw.send(pgMessages.parse('ok', 'SELECT $1::text AS word'), pgMessages.bind('', 'ok', ['again']), pgMessages.execute(''), pgMessages.sync());
  await raw.readyFor(1);

  const executes = byMethod(relay, 'EXECUTE');
  assert.deepEqual(executes.map((c) => c.statement), ['SELECT $1::int4 * 6 AS answer', 'SELECT 1 / $1::int AS boom', 'SELECT 3 AS never', 'SELECT $1::text AS word']);
  assert.deepEqual(request(executes[0]).params, [7], 'a binary int4 is decoded');
  assert.deepEqual(request(executes[0]).paramTypes, ['int4']);
  assert.equal(response(executes[0]).tag, 'SELECT 1');
  assert.equal(executes[0].error, null);
  assert.equal(executes[1].error, 'ERROR 22012: division by zero');
  assert.match(String(executes[2].error), /^not run: the server skipped it after an earlier error before Sync \(ERROR 22012/);
  assert.equal(executes[3].error, null, 'the next batch parses normally');
  assert.deepEqual(request(executes[3]).params, ['again']);
  assert.equal(request(executes[3]).name, 'ok');
});

test('COPY through the extended protocol: the Sync pipelined before the copy is ignored by the server, and so by the parser', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const raw = await connectRawPg(relay.port, s.user, s.database);
  t.after(() => raw.close());
  raw.send(pgMessages.query('CREATE TEMP TABLE ext_copy (n int)'));
  await raw.readyFor(1);
  raw.send(pgMessages.parse('', 'COPY ext_copy FROM STDIN'), pgMessages.bind('', '', []), pgMessages.execute(''), pgMessages.sync());
  await raw.next('G');
  raw.send(pgMessages.copyData('1\n2\n'), pgMessages.copyData('3\n'), pgMessages.copyDone(), pgMessages.sync());
  await raw.readyFor(1);
  raw.send(pgMessages.query('SELECT n FROM ext_copy'));
  await raw.readyFor(1);

  const [copy] = byMethod(relay, 'EXECUTE');
  assert.equal(copy.statement, 'COPY ext_copy FROM STDIN');
  assert.equal(response(copy).tag, 'COPY 3');
  assert.deepEqual(response(copy).copy, { direction: 'in', messages: 2, bytes: 6 });
  assert.equal(response(copy).transaction, 'idle');
  const select = byMethod(relay, 'QUERY').find((c) => c.statement === 'SELECT n FROM ext_copy');
  assert.ok(select);
  assert.equal(response(select).rows, 3, 'the query after the copy is matched to its own reply');
  assert.equal(response(select).tag, 'SELECT 3');
});

test('COPY FROM STDIN and TO STDOUT through psql, with SSLRequest refused (the server has no TLS)', async (t) => {
  const s = await server(t);
  if (!s || !requireTool(t, 'psql', 'postgresql-client')) return;
  const relay = await relayFor(t, s);
  const rows = Array.from({ length: 50 }, (_, i) => `${i}\titem-${i}\n`).join('');
  const env = { PGSSLMODE: 'prefer' };
  const load = await psql(relay.port, s.user, ['-c', 'CREATE TABLE copy_items (id int, name text)', '-c', 'COPY copy_items FROM STDIN'], { stdin: rows, env });
  assert.equal(load.code, 0, load.stderr);
  const dump = await psql(relay.port, s.user, ['-c', 'COPY (SELECT * FROM copy_items WHERE id < 20) TO STDOUT'], { env });
  assert.equal(dump.code, 0, dump.stderr);
  assert.equal(dump.stdout.split('\n').filter(Boolean).length, 20);
  await relay.waitForCalls(5);

  const connects = byMethod(relay, 'CONNECT');
  assert.equal(connects.length, 2);
  for (const c of connects) assert.equal(request(c).ssl, 'refused by the server');
  const [copyIn, copyOut] = byMethod(relay, 'COPY');
  assert.equal(copyIn.statement, 'COPY copy_items FROM STDIN');
  assert.equal(response(copyIn).tag, 'COPY 50');
  assert.equal(response(copyIn).rowsAffected, 50);
  const inSummary = response(copyIn).copy as { direction: string; bytes: number; messages: number };
  assert.equal(inSummary.direction, 'in');
  assert.equal(inSummary.bytes, Buffer.byteLength(rows));
  assert.ok(inSummary.messages >= 1);
  assert.deepEqual(response(copyOut).copy, { direction: 'out', messages: 20, bytes: Buffer.byteLength(dump.stdout) });
  assert.equal(response(copyOut).tag, 'COPY 20');
  assert.deepEqual(relay.failures, []);
});

test('a server that accepts TLS: one call says the session is encrypted, and parsing stops there', async (t) => {
  if (!requireReady(t, postgresUnavailable()) || !requireTool(t, 'openssl', 'openssl')) return;
  const s = await startPostgres({ ssl: true });
  t.after(() => s.stop());
  const relay = await relayFor(t, s);
  const out = await psql(relay.port, s.user, ['-t', '-c', 'SELECT 40 + 2'], { env: { PGSSLMODE: 'require' } });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), '42');
  await relay.waitForCalls(1);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(relay.calls.length, 1);
  assert.equal(relay.calls[0].method, 'CONNECT');
  assert.equal(response(relay.calls[0]).encrypted, 'TLS');
  assert.equal(relay.calls[0].error, null);
});

test('passwords never appear in any call: SCRAM-SHA-256 and md5 users', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  for (const login of [s.scram, s.md5]) {
    const client = await pgClient(t, relay, s, login);
    await client.query('SELECT current_user AS me');
    await client.query('SELECT $1::text AS me', [login.user]);
  }
  const connects = byMethod(relay, 'CONNECT');
  assert.deepEqual(connects.map((c) => [request(c).user, response(c).authentication, c.error]), [
    [s.scram.user, 'SASL SCRAM-SHA-256', null],
    [s.md5.user, 'md5', null],
  ]);
  assert.equal(relay.calls.length, 6);
  const everything = JSON.stringify(relay.calls);
  for (const secret of [s.scram.password, s.md5.password]) assert.ok(!everything.includes(secret), 'a password leaked into a call');
  assert.ok(!/SCRAM|r=|p=/.test(JSON.stringify(relay.calls.filter((c) => c.method !== 'CONNECT'))));
});

test('a failed login is a CONNECT call with the FATAL error, and no password', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const wrong = 'not-the-Pa55word';
  await assert.rejects(pgClient(t, relay, s, { user: s.scram.user, password: wrong }), /password authentication failed/);
  const [connect] = await relay.waitForCalls(1);
  assert.equal(connect.error, `FATAL 28P01: password authentication failed for user "${s.scram.user}"`);
  assert.ok(!JSON.stringify(relay.calls).includes(wrong));
});

test('long SQL is cut with its size, megabyte rows are counted, and the parser buffers at most one capped frame', async (t) => {
  const s = await server(t);
  if (!s) return;
  const sessions: PostgresSession[] = [];
  let maxBuffered = 0;
  const watched: WireProtocolDefinition = {
    ...definition,
    createParser(context) {
      const session = definition.createParser(context) as PostgresSession;
      sessions.push(session);
      return {
        client: (c) => (session.client(c), (maxBuffered = Math.max(maxBuffered, session.bufferedBytes))),
        server: (c) => (session.server(c), (maxBuffered = Math.max(maxBuffered, session.bufferedBytes))),
        end: () => session.end(),
      };
    },
  };
  const relay = await relayFor(t, s, watched);
  const client = await pgClient(t, relay, s);
  const literal = 'x'.repeat(3 * 1024 * 1024);
  await client.query(`SELECT length('${literal}') AS n`);
  await client.query('SELECT length($1::text) AS n', [literal]);
  const big = await client.query("SELECT repeat('y', 4 * 1024 * 1024) AS blob FROM generate_series(1, 2)");
  assert.equal(big.rows.length, 2);

  const [long, rowsCall] = byMethod(relay, 'QUERY');
  const sqlBytes = Buffer.byteLength(`SELECT length('${literal}') AS n`);
  assert.ok(long.statement.startsWith("SELECT length('xxx"));
  assert.ok(long.statement.endsWith(`… <${sqlBytes.toLocaleString('en-US')} bytes>`), long.statement.slice(-40));
  assert.ok(long.statement.length < 4096);
  assert.equal(response(rowsCall).rows, 2);
  const [bound] = byMethod(relay, 'EXECUTE');
  assert.deepEqual(request(bound).params, [`<${literal.length.toLocaleString('en-US')} bytes>`]);
  assert.ok(maxBuffered <= 2 * (MAX_KEPT_BODY + 5), `buffered ${maxBuffered} bytes`);
  assert.ok(maxBuffered > 0);
  assert.deepEqual(relay.failures, []);
});

test('a CancelRequest is a CANCEL call naming the backend, without its secret key; the query fails with 57014', async (t) => {
  const s = await server(t);
  if (!s) return;
  const relay = await relayFor(t, s);
  const client = await pgClient(t, relay, s);
  const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
  const sleeping = client.query('SELECT pg_sleep(30)');
  // A cancel that reaches the server before the query runs is ignored: wait until the server shows it active.
  const watcher = new pg.Client({ host: '127.0.0.1', port: s.port, database: s.database, user: s.user });
  await watcher.connect();
  t.after(() => watcher.end().catch(() => undefined));
  for (let i = 0; i < 200; i++) {
    const { rowCount } = await watcher.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep%'", [processID]);
    if (rowCount) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const cancel = Buffer.alloc(16);
  cancel.writeInt32BE(16, 0);
  cancel.writeInt32BE(80877102, 4);
  cancel.writeInt32BE(processID, 8);
  cancel.writeInt32BE(secretKey, 12);
  const socket = net.connect({ host: '127.0.0.1', port: relay.port });
  socket.on('error', () => undefined);
  socket.end(cancel);
  await assert.rejects(sleeping, /canceling statement due to user request/);

  const [call] = byMethod(relay, 'CANCEL');
  assert.equal(call.statement, `CANCEL backend ${processID}`);
  assert.ok(!JSON.stringify(call).includes(String(secretKey)));
  const [query] = byMethod(relay, 'QUERY');
  assert.equal(query.error, 'ERROR 57014: canceling statement due to user request');
});
