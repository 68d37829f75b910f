/**
 * Capture from code, through real parts: a Redis wire capture in front of a real redis-server (with its fault API),
 * a forward proxy that undici's ProxyAgent uses as HTTP_PROXY, TLS interception of a local HTTPS server, a
 * capture.yaml of two listeners, the AbortSignal, and errors worded for code (no CLI flags).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { Capture, InputError, ListenError, TrafficStore, UsageError, type CaptureProgress } from '../../src/api';
import { requireTool, startSampleBackend, tmpDir, waitFor } from '../helpers';
import { rawCommand, startRedisServer } from '../helpers/redisServer';
import { makeTestCa } from '../helpers/testCa';

async function storedRows(file: string): Promise<Array<{ protocol: string; method: string; url: string; status: number | null }>> {
  const store = await TrafficStore.open(file);
  try {
    return store.exchanges().map((e) => ({ protocol: e.protocol, method: e.method, url: e.url, status: e.status }));
  } finally {
    store.close();
  }
}

test('Capture.start({ protocol: redis }) records a real redis-server’s commands; its fault API lists the listener', { timeout: 60_000 }, async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const output = path.join(tmpDir(t), 'traffic.db');
  const progress: CaptureProgress[] = [];
  const capture = await Capture.start({ protocol: 'redis', target: `127.0.0.1:${redis.port}`, output, name: 'cache', faultApi: '127.0.0.1:0', onProgress: (p) => progress.push(p), progressIntervalMs: 50 });
  t.after(() => capture.stop());
  assert.equal(capture.url, `127.0.0.1:${capture.port}`);
  assert.deepEqual(capture.listeners.map((l) => [l.name, l.protocol, l.target]), [['cache', 'redis', `127.0.0.1:${redis.port}`]]);

  assert.equal(await rawCommand(capture.port, 'SET user:42 ada'), '+OK\r\n');
  assert.equal(await rawCommand(capture.port, 'GET user:42'), '$3\r\nada\r\n');
  assert.equal(await redis.command('GET user:42'), '$3\r\nada\r\n', 'the write reached the real server');

  const proxies = (await (await fetch(`${capture.faultApi!.url}/proxies`)).json()) as Record<string, { upstream: string }>;
  assert.deepEqual(Object.keys(proxies), ['cache']);
  await waitFor(() => progress.some((p) => p.listeners[0].calls === 2 && p.stored === 2), 10_000, 'progress with both calls stored');
  assert.equal(capture.stats().listeners[0].protocol, 'redis');

  const summary = await capture.stop();
  assert.equal(summary.stored, 2);
  const rows = await storedRows(output);
  assert.deepEqual(rows.map((r) => [r.protocol, r.url]).sort(), [['redis', 'GET user:42'], ['redis', 'SET user:42 ada']]);
  await assert.rejects(fetch(`${capture.faultApi!.url}/proxies`), 'stop() closed the fault API');
});

test('a forward capture: undici ProxyAgent (HTTP_PROXY) requests are forwarded and stored with their origin; excluded paths are not stored', { timeout: 60_000 }, async (t) => {
  const backend = await startSampleBackend(t);
  const output = path.join(tmpDir(t), 'traffic.db');
  const capture = await Capture.start({ mode: 'forward', output, exclude: ['/health'] });
  t.after(() => capture.stop());
  const { ProxyAgent, request } = await import('undici');
  // proxyTunnel: false is HTTP_PROXY as curl and most clients use it: absolute-URL requests, not CONNECT.
  const agent = new ProxyAgent({ uri: capture.url, proxyTunnel: false });
  t.after(() => agent.close());
  const users = await request(`${backend.url}/api/users`, { dispatcher: agent });
  assert.equal(users.statusCode, 200);
  await users.body.text();
  const health = await request(`${backend.url}/health`, { dispatcher: agent });
  assert.equal(health.statusCode, 200);
  await health.body.text();
  assert.equal(capture.requests, 2);
  const summary = await capture.stop();
  assert.equal(summary.stored, 1);
  assert.deepEqual(await storedRows(output), [{ protocol: 'http', method: 'GET', url: `${backend.url}/api/users`, status: 200 }]);
});

test('a forward capture with interceptTls decrypts the hosts of `intercept` with the local CA in caDir; others stay tunnels', { timeout: 120_000 }, async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const dir = tmpDir(t);
  const backendCa = await makeTestCa(t, 'API Test Backend CA');
  const leaf = await backendCa.leaf('localhost');
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => res.end(JSON.stringify({ url: req.url })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;

  const output = path.join(dir, 'traffic.db');
  const caDir = path.join(dir, 'ca');
  const intercepted: string[] = [];
  const capture = await Capture.start({ mode: 'forward', output, interceptTls: true, intercept: ['localhost'], insecureUpstream: true, caDir });
  capture.on('interceptError', (m) => intercepted.push(m));
  t.after(() => capture.stop());
  assert.ok(fs.existsSync(path.join(caDir, 'ca.crt')), 'the local CA was made in caDir');

  const { ProxyAgent, request } = await import('undici');
  const trusting = new ProxyAgent({ uri: capture.url, requestTls: { ca: fs.readFileSync(path.join(caDir, 'ca.crt')) } });
  t.after(() => trusting.close());
  const r = await request(`https://localhost:${port}/secret?x=1`, { dispatcher: trusting });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(await r.body.json(), { url: '/secret?x=1' });
  // 127.0.0.1 is outside `intercept`: a tunnel, so the client sees the backend's own certificate.
  const tunnelled = new ProxyAgent({ uri: capture.url, requestTls: { ca: backendCa.certPem, servername: 'localhost' } });
  t.after(() => tunnelled.close());
  const r2 = await request(`https://127.0.0.1:${port}/opaque`, { dispatcher: tunnelled });
  assert.equal(r2.statusCode, 200);
  await r2.body.text();

  await capture.stop();
  const rows = await storedRows(output);
  assert.ok(rows.some((row) => row.method === 'GET' && row.url === `https://localhost:${port}/secret?x=1` && row.status === 200), JSON.stringify(rows));
  assert.ok(!rows.some((row) => row.url.includes('/opaque')), `the tunnel's request is not visible: ${JSON.stringify(rows)}`);
  assert.deepEqual(intercepted, []);
});

test('Capture.fromConfig starts every listener of a capture.yaml into one session; a bad file is an InputError naming it', { timeout: 60_000 }, async (t) => {
  const redis = await startRedisServer(t);
  if (!redis) return;
  const backend = await startSampleBackend(t);
  const dir = tmpDir(t);
  const config = path.join(dir, 'capture.yaml');
  fs.writeFileSync(config, `listeners:\n  - { protocol: http, port: 0, target: ${backend.url} }\n  - { protocol: redis, port: 0, target: 127.0.0.1:${redis.port}, name: cache }\n`);
  const output = path.join(dir, 'traffic.db');
  const capture = await Capture.fromConfig(config, { output });
  t.after(() => capture.stop());
  assert.deepEqual(capture.listeners.map((l) => [l.name, l.protocol]), [['http', 'http'], ['cache', 'redis']]);
  const [web, cache] = capture.listeners;
  assert.equal((await fetch(`http://${web.listen}/health`)).status, 200);
  assert.equal(await rawCommand(cache.port, 'PING'), '+PONG\r\n');
  const summary = await capture.stop();
  assert.equal(summary.stored, 2);
  const store = await TrafficStore.open(output);
  try {
    assert.equal(store.sessions().length, 1);
    assert.deepEqual(store.exchanges().map((e) => e.protocol).sort(), ['http', 'redis']);
    assert.deepEqual(store.endpoints().map((e) => e.protocol).sort(), ['http', 'redis']);
  } finally {
    store.close();
  }

  fs.writeFileSync(config, 'listeners:\n  - { protocol: gopher, port: 0, target: 127.0.0.1:70 }\n');
  await assert.rejects(Capture.fromConfig(config, { output }), (e: unknown) => e instanceof InputError && e.message.includes(config) && e.message.includes("unknown protocol 'gopher'"));
});

test('the AbortSignal stops a capture; stop() then returns that summary', { timeout: 30_000 }, async (t) => {
  const backend = await startSampleBackend(t);
  const controller = new AbortController();
  const capture = await Capture.start({ target: backend.url, output: path.join(tmpDir(t), 'traffic.db'), signal: controller.signal });
  assert.equal((await fetch(`${capture.url}/health`)).status, 200);
  controller.abort();
  const summary = await capture.stop();
  assert.equal(summary.requests, 1);
  await assert.rejects(fetch(`${capture.url}/health`), 'the listener is closed');
});

test('bad options are typed errors worded for code: no CLI flag in any message', async (t) => {
  const dir = tmpDir(t);
  const output = path.join(dir, 'traffic.db');
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const cases: Array<[string, Promise<unknown>, new (...a: never[]) => Error, RegExp]> = [
    ['forward with a target', Capture.start({ mode: 'forward', target: 'http://127.0.0.1:1', output }), UsageError, /target is for reverse mode/],
    ['reverse without a target', Capture.start({ output }), UsageError, /needs a target/],
    ['not a URL', Capture.start({ target: 'nonsense', output }), UsageError, /^Capture\.start target 'nonsense' is not a URL/],
    ['a wire target with a scheme', Capture.start({ protocol: 'redis', target: 'redis://127.0.0.1:6379', output }), UsageError, /^Capture\.start\(\{ protocol: 'redis' \}\): target .* must be HOST:PORT/],
    ['a path filter on a wire listener', Capture.start({ protocol: 'redis', target: '127.0.0.1:6379', exclude: ['/health'], output }), UsageError, /^Capture\.start exclude is for HTTP listeners \(paths, an HTTPS target\); a redis listener has none$/],
    ['intercept without interceptTls', Capture.start({ mode: 'forward', intercept: ['*.example.com'], output }), UsageError, /add interceptTls: true/],
    ['interceptTls in reverse mode', Capture.start({ target: 'http://127.0.0.1:1', interceptTls: true, output }), UsageError, /interceptTls is for mode: 'forward'/],
    ['a missing certificate file', Capture.start({ target: 'http://127.0.0.1:1', tls: { cert: path.join(dir, 'none.pem'), key: path.join(dir, 'none.key') }, output }), UsageError, /^tls\.cert .*none\.pem: cannot read it/],
    ['a port in use', Capture.start({ target: 'http://127.0.0.1:1', port: (busy.address() as net.AddressInfo).port, output }), ListenError, /choose another port \(0 picks a free one\)/],
  ];
  for (const [what, call, type, message] of cases) {
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof type, `${what}: ${String(e)}`);
      assert.match((e as Error).message, message, what);
      assert.doesNotMatch((e as Error).message, /--[a-z]/, `${what} names a CLI flag: ${(e as Error).message}`);
      return true;
    });
  }
  assert.ok(!fs.existsSync(output), 'no failed start left a database behind');
});
