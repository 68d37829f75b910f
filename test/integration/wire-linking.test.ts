/**
 * Linking end to end: an HTTP backend (in this process) that reads users from a real PostgreSQL with `pg` and
 * caches them in a real Redis with ioredis, both reached through our capture listeners; the HTTP listener in front
 * of it. All three come from one .chaos/capture.yaml run by the built CLI. After the stop: the calls' parent_id,
 * `learn --json`, the generated pytest's comments; then a reset_peer fault on the postgres listener.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import test, { type TestContext } from 'node:test';
import Redis from 'ioredis';
import pg from 'pg';
import { CLI, listen, queryStore, request, requireReady, runCliAsync, tmpDir, waitFor, type SimpleResponse } from '../helpers';
import { postgresUnavailable, startPostgres } from '../helpers/postgresServer';
import { startRedisServer } from '../helpers/redisServer';

interface Upstreams {
  pg: number;
  redis: number;
}

/**
 * The backend under capture: GET /users/:id (Redis GET user:ID; on a miss SELECT, then SET with a TTL) and
 * POST /users (INSERT … RETURNING id). A pg connection per request, as small services often do, so a fault added
 * to the postgres listener meets the next request's connection. Any database error answers 500 with its message.
 */
function usersBackend(target: Partial<Upstreams>): { server: http.Server; connect(): Promise<void>; close(): void } {
  let cache: Redis | undefined;
  const withDb = async <T>(f: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ host: '127.0.0.1', port: target.pg, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 10_000 });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await f(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (!cache) throw new Error('the cache is not connected');
        const one = /^\/users\/(\d+)$/.exec(req.url ?? '');
        if (req.method === 'GET' && one) {
          const cached = await cache.get(`user:${one[1]}`);
          if (cached) return send(res, 200, JSON.parse(cached));
          const { rows } = await withDb((c) => c.query('SELECT id, name FROM users WHERE id = $1', [Number(one[1])]));
          if (!rows.length) return send(res, 404, { error: 'no such user' });
          await cache.set(`user:${one[1]}`, JSON.stringify(rows[0]), 'EX', 60);
          return send(res, 200, rows[0]);
        }
        if (req.method === 'POST' && req.url === '/users') {
          const { name } = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { name?: string };
          const { rows } = await withDb((c) => c.query('INSERT INTO users (name) VALUES ($1) RETURNING id', [name ?? '']));
          return send(res, 201, { id: rows[0].id, name });
        }
        send(res, 404, { error: 'not found' });
      })().catch((e: Error) => send(res, 500, { error: e.message }));
    });
  });
  return {
    server,
    // At boot, as services do: the client's handshake (HELLO, CLIENT SETINFO, INFO) is made outside any request.
    connect: async () => {
      cache = new Redis({ host: '127.0.0.1', port: target.redis, maxRetriesPerRequest: 1, lazyConnect: true });
      await cache.connect();
    },
    close: () => cache?.disconnect(),
  };
}

interface Capture {
  ports: Record<string, number>;
  api: string;
  /** SIGINT, then the exit code (linking runs at the stop). */
  stop(): Promise<number | null>;
  stderr(): string;
}

async function observeConfig(t: TestContext, dir: string, config: string): Promise<Capture> {
  const proc = spawn(process.execPath, [CLI, 'observe', '--quiet', '--config', config, '--output', path.join(dir, 'traffic.db'), '--api', '127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  await waitFor(() => err.includes('recording to') || proc.exitCode !== null, 20_000, 'observe --config to start');
  assert.equal(proc.exitCode, null, err);
  const ports: Record<string, number> = {};
  for (const m of err.matchAll(/chaos-testing: (\S+) \(\w+\) listening on 127\.0\.0\.1:(\d+)/g)) ports[m[1]] = Number(m[2]);
  const api = /fault API (http:\/\/127\.0\.0\.1:\d+)/.exec(err)?.[1];
  assert.ok(api, err);
  return {
    ports,
    api,
    stderr: () => err,
    stop: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
      return exited;
    },
  };
}

interface CallRow {
  id: number;
  protocol: string;
  method: string;
  url: string;
  error: string | null;
  parent_id: number | null;
}

const json = (r: SimpleResponse): unknown => JSON.parse(r.body.toString());

test('one capture.yaml: HTTP, postgres and redis listeners; calls linked to their requests, in learn and in generated tests; reset_peer on postgres', { timeout: 180_000 }, async (t) => {
  if (!requireReady(t, postgresUnavailable())) return;
  const redis = await startRedisServer(t);
  if (!redis) return;
  const postgres = await startPostgres();
  t.after(() => postgres.stop());
  const setup = new pg.Client({ host: '127.0.0.1', port: postgres.port, user: postgres.user, database: postgres.database });
  await setup.connect();
  await setup.query("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO users (name) VALUES ('ada'), ('grace')");
  await setup.end();

  const upstreams: Partial<Upstreams> = {};
  const backend = usersBackend(upstreams);
  t.after(() => backend.close());
  const api = await listen(t, backend.server);

  const dir = tmpDir(t);
  const config = path.join(dir, '.chaos', 'capture.yaml');
  fs.mkdirSync(path.dirname(config));
  fs.writeFileSync(
    config,
    [
      'listeners:',
      `  - { protocol: http, port: 0, target: ${api.url} }`,
      `  - { protocol: postgres, port: 0, target: "127.0.0.1:${postgres.port}", name: db }`,
      `  - { protocol: redis, port: 0, target: "127.0.0.1:${redis.port}", name: cache }`,
      '',
    ].join('\n'),
  );
  const cap = await observeConfig(t, dir, config);
  assert.ok(cap.ports.http && cap.ports.db && cap.ports.cache, cap.stderr());
  Object.assign(upstreams, { pg: cap.ports.db, redis: cap.ports.cache });
  await backend.connect();
  const front = `http://127.0.0.1:${cap.ports.http}`;

  // The client's session, one request at a time.
  assert.deepEqual(json(await request(`${front}/users/1`)), { id: 1, name: 'ada' });
  assert.deepEqual(json(await request(`${front}/users/2`)), { id: 2, name: 'grace' });
  assert.deepEqual(json(await request(`${front}/users/1`)), { id: 1, name: 'ada' }, 'the cache answers the second time');
  const created = await request(`${front}/users`, { method: 'POST', body: JSON.stringify({ name: 'barbara' }), headers: { 'content-type': 'application/json' } });
  assert.equal(created.status, 201, created.body.toString());

  // The fault: every query reaches the server 1.5 s late and the connection is reset 2.25 s after it opens. The
  // startup's reply comes at ≈ 1.5 s, the INSERT is sent right after and would reach the server at ≈ 3 s: the
  // reset comes first, so the client never gets a reply (and the server never got the INSERT).
  const toxic = async (method: string, suffix: string, body?: unknown): Promise<void> => {
    const r = await request(`${cap.api}/proxies/db/toxics${suffix}`, { method, body: body ? JSON.stringify(body) : undefined, headers: { 'content-type': 'application/json' } });
    assert.ok(r.status === 200 || r.status === 204, `${method} toxics${suffix}: ${r.status} ${r.body.toString()}`);
  };
  await toxic('POST', '', { name: 'slow', type: 'latency', stream: 'upstream', attributes: { latency: 1500 } });
  await toxic('POST', '', { name: 'cut', type: 'reset_peer', stream: 'downstream', attributes: { timeout: 2250 } });
  const failed = await request(`${front}/users`, { method: 'POST', body: JSON.stringify({ name: 'edsger' }), headers: { 'content-type': 'application/json' } });
  assert.equal(failed.status, 500, `the backend's query failed: ${failed.body.toString()}`);
  await toxic('DELETE', '/slow');
  await toxic('DELETE', '/cut');
  const again = await request(`${front}/users`, { method: 'POST', body: JSON.stringify({ name: 'edsger' }), headers: { 'content-type': 'application/json' } });
  assert.equal(again.status, 201, `requests succeed again once the toxics are gone: ${again.body.toString()}`);

  backend.close();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await cap.stop(), 0, cap.stderr());

  // Stored rows: every call's parent is the HTTP exchange the backend was serving.
  const db = path.join(dir, 'traffic.db');
  const rows = (await queryStore(db, 'SELECT id, protocol, method, url, error, parent_id FROM exchanges ORDER BY seq')) as unknown as CallRow[];
  const http = rows.filter((r) => r.protocol === 'http');
  assert.deepEqual(
    http.map((r) => `${r.method} ${new URL(r.url).pathname}`),
    ['GET /users/1', 'GET /users/2', 'GET /users/1', 'POST /users', 'POST /users', 'POST /users'],
  );
  const callsOf = (parent: CallRow): string[] =>
    rows.filter((r) => r.parent_id === parent.id).map((r) => `${r.protocol} ${r.method === 'CONNECT' ? 'CONNECT' : r.url}${r.error ? ` ! ${r.error}` : ''}`);
  const wire = rows.filter((r) => r.protocol !== 'http');
  assert.ok(wire.length >= 12, `calls recorded: ${wire.length}`);
  const outside = wire.filter((r) => r.parent_id === null);
  assert.ok(outside.length > 0, "the cache client's handshake at boot is recorded");
  assert.deepEqual(outside.filter((r) => r.protocol !== 'redis' || !['HELLO', 'CLIENT', 'INFO'].includes(r.method)).map((r) => `${r.protocol} ${r.url}`), [], 'only the boot handshake is outside a request');

  const [first, second, hit, insert, faulted, retried] = http;
  const miss = (id: number): string[] => [`redis GET user:${id}`, 'postgres CONNECT', 'postgres SELECT id, name FROM users WHERE id = $1'];
  assert.deepEqual(callsOf(first).filter((c) => !c.startsWith('redis SET')), miss(1));
  assert.match(callsOf(first).at(-1)!, /^redis SET user:1 \S+ EX 60$/);
  assert.deepEqual(callsOf(second).slice(0, 3), miss(2));
  assert.deepEqual(callsOf(hit), ['redis GET user:1'], 'a cache hit touches only Redis');
  assert.deepEqual(callsOf(insert), ['postgres CONNECT', 'postgres INSERT INTO users (name) VALUES ($1) RETURNING id']);
  const faultedCalls = rows.filter((r) => r.parent_id === faulted.id && r.protocol === 'postgres');
  const lost = faultedCalls.find((r) => r.url.startsWith('INSERT'));
  assert.ok(lost, `the INSERT under the fault was recorded: ${JSON.stringify(faultedCalls)}`);
  assert.match(lost.error ?? '', /connection closed before the reply/);
  assert.deepEqual(callsOf(retried), callsOf(insert));

  // learn: the endpoints list the templated calls.
  const learned = await runCliAsync(['learn', '--json', '--db', db]);
  assert.equal(learned.code, 0, learned.stderr);
  const model = JSON.parse(learned.stdout) as { endpoints: Array<{ key: string; calls?: Array<{ protocol: string; method: string; statement: string; count: number; requests: number }> }> };
  const endpoint = (key: string) => model.endpoints.find((e) => e.key === key);
  const byId = endpoint('GET /users/{userId}');
  assert.ok(byId, `endpoints: ${model.endpoints.map((e) => e.key).join(', ')}`);
  const statements = (byId.calls ?? []).map((c) => `${c.protocol} ${c.statement}`);
  assert.ok(statements.includes('postgres SELECT id, name FROM users WHERE id = $1'), statements.join(' | '));
  assert.ok(statements.includes('redis GET user:{id}'), statements.join(' | '));
  assert.ok(statements.some((s) => /^redis SET user:\{id\} \? EX \?$/.test(s)), statements.join(' | '));
  assert.equal(byId.calls!.find((c) => c.statement === 'GET user:{id}')!.requests, 3, 'every GET asked the cache');
  const create = endpoint('POST /users');
  assert.ok(create?.calls?.some((c) => c.protocol === 'postgres' && c.statement === 'INSERT INTO users (name) VALUES ($1) RETURNING id'), JSON.stringify(create?.calls));

  // The generated pytest names what each endpoint touches.
  const out = path.join(dir, 'project');
  const generated = await runCliAsync(['generate', '--input', db, '--language', 'python', '--out', out]);
  assert.equal(generated.code, 0, generated.stderr);
  const suite = fs.readFileSync(path.join(out, 'tests', 'test_generated.py'), 'utf8');
  assert.match(suite, /# database and cache calls this endpoint made when captured:/);
  assert.match(suite, /#\s+postgres SELECT id, name FROM users WHERE id = \$1/);
  assert.match(suite, /#\s+redis GET user:\{id\}/);
  assert.match(suite, /#\s+postgres INSERT INTO users \(name\) VALUES \(\$1\) RETURNING id/);
});
