/**
 * Redis through the real capture proxy (`chaos-testing observe --protocol redis`, the built CLI) against a real
 * redis-server, with ioredis and raw sockets; the rows are read back from the traffic database after a clean stop.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import test, { type TestContext } from 'node:test';
import Redis from 'ioredis';
import { assertCliError, CLI, closedPort, queryStore, request, runCli, startSampleBackend, tmpDir, waitFor } from '../helpers';
import { startRedisServer } from '../helpers/redisServer';

interface Row {
  seq: number;
  protocol: string;
  method: string;
  url: string;
  host: string | null;
  path: string | null;
  error: string | null;
  connection_id: number;
  req: unknown;
  res: unknown;
}

interface Capture {
  /** Listen port by listener name. */
  ports: Record<string, number>;
  api?: string;
  /** Stops with SIGINT and resolves with the stored rows. */
  stop(): Promise<Row[]>;
}

async function observe(t: TestContext, args: string[], dir: string): Promise<Capture> {
  const db = path.join(dir, 'traffic.db');
  const proc = spawn(process.execPath, [CLI, 'observe', '--quiet', '--output', db, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  await waitFor(() => err.includes('recording to') || proc.exitCode !== null, 15_000, 'observe to start');
  assert.equal(proc.exitCode, null, err);
  const ports: Record<string, number> = {};
  for (const m of err.matchAll(/chaos-testing: (\S+) \(\w+\) listening on 127\.0\.0\.1:(\d+)/g)) ports[m[1]] = Number(m[2]);
  const api = /fault API (http:\/\/127\.0\.0\.1:\d+)/.exec(err)?.[1];
  return {
    ports,
    api,
    async stop() {
      proc.kill('SIGINT');
      assert.equal(await exited, 0, err);
      const rows = await queryStore(
        db,
        `SELECT e.seq, e.protocol, e.method, e.url, e.host, e.path, e.error, e.connection_id, CAST(rb.data AS TEXT) AS req, CAST(sb.data AS TEXT) AS res
         FROM exchanges e LEFT JOIN bodies rb ON rb.hash = e.request_body_hash LEFT JOIN bodies sb ON sb.hash = e.response_body_hash ORDER BY e.seq`,
      );
      return rows.map((r) => ({ ...r, req: r.req ? JSON.parse(String(r.req)) : null, res: r.res ? JSON.parse(String(r.res)) : null }) as unknown as Row);
    },
  };
}

/** Sends raw bytes on one connection; resolves with what came back once `until` matches (or the peer closed). */
function raw(port: number, data: string, until: RegExp, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no ${until} in ${JSON.stringify(got)}`));
    }, timeoutMs);
    s.on('connect', () => s.write(data));
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (until.test(got)) {
        clearTimeout(timer);
        s.end();
        resolve(got);
      }
    });
    s.on('error', reject);
  });
}

const byMethod = (rows: Row[], method: string): Row[] => rows.filter((r) => r.method === method);

test('redis commands, a pipeline of 100, MULTI/EXEC, pub/sub, errors, RESP2, RESP3 and inline commands are recorded', async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const dir = tmpDir(t);
  const cap = await observe(t, ['--protocol', 'redis', '--port', '0', '--target', `127.0.0.1:${redis.port}`], dir);
  const port = cap.ports.redis;
  assert.ok(port > 0);

  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  t.after(() => client.disconnect());
  await client.connect();
  await client.set('user:42', 'ada', 'EX', 60);
  assert.equal(await client.get('user:42'), 'ada');
  await client.set('big', 'x'.repeat(5000));
  const pipe = client.pipeline();
  for (let i = 0; i < 100; i++) pipe.incrby('counter', i);
  const results = await pipe.exec();
  assert.equal(results!.length, 100);
  const tx = await client.multi().set('tx:a', '1').incr('tx:a').lpush('tx:list', 'v').exec();
  assert.deepEqual(tx!.map(([, v]) => v), ['OK', 2, 1]);
  await assert.rejects(client.call('NOSUCHCOMMAND', 'x'), /unknown command/);
  await client.auth('secret-password').catch(() => undefined);

  const sub = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  t.after(() => sub.disconnect());
  await sub.connect();
  const got = new Promise<string>((resolve) => sub.on('message', (_c: string, m: string) => resolve(m)));
  await sub.subscribe('news', 'sport');
  assert.equal(await client.publish('news', 'hello'), 1);
  assert.equal(await got, 'hello');
  await sub.unsubscribe();

  // RESP2 on a raw socket (no HELLO), RESP3 after HELLO 3, and a telnet-style inline command.
  await client.hset('h', 'f', 'v');
  const resp2 = await raw(port, '*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n', /v\r\n$/);
  assert.match(resp2, /^\*2\r\n/);
  const resp3 = await raw(port, '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n', /%1\r\n\$1\r\nf\r\n\$1\r\nv\r\n$/);
  assert.match(resp3, /^%\d+\r\n/);
  assert.match(await raw(port, 'PING inline\r\n', /inline\r\n$/), /inline/);

  client.disconnect();
  sub.disconnect();
  const rows = await cap.stop();

  assert.ok(rows.every((r) => r.protocol === 'redis' && r.host === `127.0.0.1:${redis.port}`));
  const set = rows.find((r) => r.url === 'SET user:42 ada EX 60')!;
  assert.ok(set, rows.map((r) => r.url).join('\n'));
  assert.deepEqual(set.req, { args: ['user:42', 'ada', 'EX', '60'] });
  assert.deepEqual(set.res, { type: 'simple', value: 'OK' });
  assert.equal(rows.find((r) => r.url === 'GET user:42')!.path, 'GET user:{id}');
  assert.deepEqual(rows.find((r) => r.url === 'GET user:42')!.res, { type: 'bulk', value: 'ada' });
  assert.equal(rows.find((r) => r.method === 'SET' && r.url.startsWith('SET big'))!.url, 'SET big <5,000 bytes>');

  const incr = byMethod(rows, 'INCRBY');
  assert.equal(incr.length, 100);
  let total = 0;
  incr.forEach((r, i) => {
    total += i;
    assert.equal(r.url, `INCRBY counter ${i}`);
    assert.deepEqual(r.res, { type: 'integer', value: total }, `pipelined reply ${i} matched to its command`);
  });

  const multi = rows.findIndex((r) => r.method === 'MULTI');
  assert.deepEqual(rows.slice(multi, multi + 5).map((r) => r.method), ['MULTI', 'SET', 'INCR', 'LPUSH', 'EXEC']);
  const [m, s1, i1, l1, exec] = rows.slice(multi, multi + 5);
  for (const r of [m, s1, i1, l1, exec]) assert.equal((r.req as { transaction: number }).transaction, 1);
  assert.deepEqual(i1.res, { queued: true, result: { type: 'integer', value: 2 } });
  assert.deepEqual(exec.res, { type: 'array', count: 3, value: ['OK', 2, 1], commands: ['SET', 'INCR', 'LPUSH'] });

  const bad = byMethod(rows, 'NOSUCHCOMMAND')[0];
  assert.match(bad.error!, /^ERR unknown command/);
  const auth = byMethod(rows, 'AUTH')[0];
  assert.equal(auth.url, 'AUTH <hidden>');
  assert.ok(!JSON.stringify(rows).includes('secret-password'), 'the AUTH password is never stored');

  const subscribe = byMethod(rows, 'SUBSCRIBE')[0];
  assert.equal(subscribe.url, 'SUBSCRIBE news sport');
  assert.deepEqual(subscribe.res, { type: 'integer', value: 2 });
  const message = byMethod(rows, 'MESSAGE')[0];
  assert.equal(message.url, 'MESSAGE news hello');
  assert.deepEqual(message.req, { channel: 'news', kind: 'message' });
  assert.equal(byMethod(rows, 'UNSUBSCRIBE')[0].error, null);

  const hgetall = byMethod(rows, 'HGETALL');
  assert.deepEqual(hgetall.map((r) => (r.res as { type: string }).type), ['array', 'map'], 'RESP2 array, then a RESP3 map after HELLO 3');
  assert.deepEqual((hgetall[1].res as { value: unknown }).value, { f: 'v' });
  const ping = rows.find((r) => r.url === 'PING inline')!;
  assert.deepEqual(ping.req, { args: ['inline'], inline: true });
  assert.equal(rows.filter((r) => r.error === 'connection closed before the reply').length, 0);

  const db = path.join(dir, 'traffic.db');
  const list = runCli(['list', '--db', db, '--limit', '1000']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /SET user:42 ada EX 60/);
  const id = (await queryStore(db, "SELECT id FROM exchanges WHERE url = 'GET user:42'"))[0].id;
  const show = runCli(['show', String(id), '--db', db]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`> GET user:42  \\(127\\.0\\.0\\.1:${redis.port}\\)`));
  assert.match(show.stdout, /"value": "ada"/);
});

test('reset_peer in the middle of MULTI/EXEC: the client sees the reset, the calls say the connection ended, nothing ran', async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const dir = tmpDir(t);
  const cap = await observe(t, ['--protocol', 'redis', '--port', '0', '--target', `127.0.0.1:${redis.port}`, '--api', '127.0.0.1:0'], dir);
  assert.ok(cap.api);
  const toxic = async (body: unknown): Promise<void> => {
    const r = await request(`${cap.api}/proxies/redis/toxics`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 200, r.body.toString());
  };
  // Commands reach the server 1.5 s after they are sent; the connection is reset 2.5 s after it opens: the queued
  // replies arrive (≥ 1.5 s), EXEC, sent after them, would reach the server at ≥ 3 s — after the reset.
  await toxic({ name: 'slow', type: 'latency', stream: 'upstream', attributes: { latency: 1500 } });
  await toxic({ name: 'cut', type: 'reset_peer', stream: 'downstream', attributes: { timeout: 2500 } });

  const s = net.connect({ host: '127.0.0.1', port: cap.ports.redis });
  let got = '';
  const outcome = new Promise<string>((resolve) => {
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.on('close', () => resolve('closed'));
  });
  s.on('data', (c: Buffer) => {
    const before = got;
    got += c.toString('latin1');
    if (!before.includes('QUEUED\r\n+QUEUED') && got.includes('+QUEUED\r\n+QUEUED\r\n')) s.write('*1\r\n$4\r\nEXEC\r\n');
  });
  s.write('*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$4\r\ntx:k\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$4\r\ntx:n\r\n');
  assert.equal(await outcome, 'ECONNRESET', `the client sees the reset (got ${JSON.stringify(got)})`);
  assert.equal(got, '+OK\r\n+QUEUED\r\n+QUEUED\r\n', 'the queued replies came, EXEC never got one');
  assert.equal(await redis.command('EXISTS tx:k'), ':0\r\n', 'the transaction did not run');

  const rows = await cap.stop();
  assert.deepEqual(rows.map((r) => r.method), ['MULTI', 'SET', 'INCR', 'EXEC']);
  assert.equal(rows[0].error, null);
  for (const r of rows.slice(1)) assert.equal(r.error, 'connection closed before the reply', `${r.method} says the connection ended`);
  for (const r of rows) assert.equal((r.req as { transaction: number }).transaction, 1);
});

test('target down: the connection is recorded with the target refusing it, not as a server hanging up mid-call', async (t) => {
  const dir = tmpDir(t);
  const port = await closedPort();
  const cap = await observe(t, ['--protocol', 'redis', '--port', '0', '--target', `127.0.0.1:${port}`], dir);
  const s = net.connect({ host: '127.0.0.1', port: cap.ports.redis });
  const outcome = new Promise<string>((resolve) => {
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.on('close', () => resolve('closed'));
  });
  s.write('*1\r\n$4\r\nPING\r\n');
  assert.match(await outcome, /ECONNRESET|closed/);
  const rows = await cap.stop();
  const connect = rows.find((r) => r.method === 'CONNECT');
  assert.ok(connect, JSON.stringify(rows));
  assert.equal(connect.url, `connect to 127.0.0.1:${port}`);
  assert.equal(connect.error, `target 127.0.0.1:${port} refused the connection (ECONNREFUSED)`);
  assert.ok(rows.every((r) => r.connection_id === connect.connection_id), 'on the client connection it belongs to');
});

test('capture.yaml runs an HTTP and a Redis listener at once into one database and one session', async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const backend = await startSampleBackend(t);
  const dir = tmpDir(t);
  fs.mkdirSync(path.join(dir, '.chaos'));
  const config = path.join(dir, '.chaos', 'capture.yaml');
  fs.writeFileSync(config, `listeners:\n  - { protocol: http, port: 0, target: ${backend.url} }\n  - { protocol: redis, port: 0, target: "127.0.0.1:${redis.port}", name: cache }\n`);
  const cap = await observe(t, ['--config', config], dir);
  assert.ok(cap.ports.http > 0 && cap.ports.cache > 0, JSON.stringify(cap.ports));
  const res = await request(`http://127.0.0.1:${cap.ports.http}/users/7`);
  assert.ok(res.status > 0);
  const client = new Redis({ host: '127.0.0.1', port: cap.ports.cache, lazyConnect: true });
  await client.connect();
  await client.set('k', 'v');
  client.disconnect();
  await new Promise((r) => setTimeout(r, 200));
  const rows = await cap.stop();
  const http = rows.find((r) => r.protocol === 'http')!;
  assert.ok(http && http.url.endsWith('/users/7'));
  assert.ok(rows.some((r) => r.protocol === 'redis' && r.url === 'SET k v'));
  const seqs = rows.map((r) => r.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'one sequence for every listener of the session');
  const sessions = await queryStore(path.join(dir, 'traffic.db'), 'SELECT DISTINCT session_id FROM exchanges');
  assert.equal(sessions.length, 1);
});

test('bad capture.yaml, --protocol or --target: one line, exit 2', (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'capture.yaml');
  const cases: Array<[string[], string[], string?]> = [
    [['--protocol', 'smtp', '--target', '127.0.0.1:25'], ["unknown protocol 'smtp'", 'redis']],
    [['--protocol', 'redis', '--target', 'http://127.0.0.1:6379'], ['HOST:PORT']],
    [['--protocol', 'redis', '--target', '127.0.0.1'], ['HOST:PORT']],
    [['--protocol', 'redis'], ['--target HOST:PORT']],
    [['--config', file], ['capture.yaml', 'listener 2', "unknown field 'colour'"], 'listeners:\n  - {protocol: redis, port: 0, target: "127.0.0.1:1"}\n  - {protocol: redis, port: 0, target: "127.0.0.1:1", colour: red}\n'],
    [['--config', file], ['capture.yaml', 'listener 1', 'port'], 'listeners:\n  - {protocol: redis, port: 99999, target: "127.0.0.1:1"}\n'],
    [['--config', file], ['capture.yaml', 'listener 1', "unknown protocol 'ftp'"], 'listeners:\n  - {protocol: ftp, port: 0, target: "127.0.0.1:1"}\n'],
    [['--config', file], ['capture.yaml', 'not valid YAML'], 'listeners: [\n'],
    [['--config', path.join(dir, 'missing.yaml')], ['missing.yaml', 'no such file']],
  ];
  for (const [args, mentions, yaml] of cases) {
    if (yaml !== undefined) fs.writeFileSync(file, yaml);
    assertCliError(runCli(['observe', '--port', '0', '--output', path.join(dir, 'traffic.db'), ...args], { cwd: dir }), 2, mentions);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'traffic.db')), 'no database is created for a refused command');
});
