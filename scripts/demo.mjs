// `npm run demo`: the main job on an embedded default. Starts the sample backend from examples/, puts the
// capture proxy in front of it, drives scripted traffic through it, and shows what was captured.
// Later capabilities add their steps here (tests generated and run, chaos, load, audit).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const workDir = join(root, '.chaos', 'demo');
const db = join(workDir, 'traffic.db');
const { createSampleBackend } = require(join(root, 'examples', 'sample-backend', 'server.js'));

// Steps number themselves; the total is how many step( calls main() makes (counted once, here).
let stepNo = 0;
const STEPS = (readFileSync(fileURLToPath(import.meta.url), 'utf8').match(/^\s+step\([\x60']/gm) ?? []).length;
const step = (title) => console.log(`\n\x1b[1m[${++stepNo}/${STEPS}] ${title}\x1b[0m`);
const run = (args) => {
  console.log(`$ chaos-testing ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) throw new Error(`chaos-testing ${args[0]} exited with ${r.status}`);
};

async function startBackend() {
  const server = createSampleBackend();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

async function startProxy(target, output = db) {
  const proc = spawn(process.execPath, [cli, 'observe', '--port', '0', '--target', target, '--output', output, '--exclude', '/health', '--quiet'], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
  let err = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the proxy did not start: ${err}`)), 15_000);
    proc.stderr.on('data', (c) => {
      err += c;
      process.stderr.write(c);
      const m = /proxying (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => reject(new Error(`the proxy exited with ${code}: ${err}`)));
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  return { url, stop: () => (proc.kill('SIGINT'), exited) };
}

/** A short scripted session against the sample API: CRUD on users, login, authorised orders, a text body, errors. */
async function driveTraffic(base) {
  const call = async (method, path, body, headers = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    console.log(`  ${method.padEnd(6)} ${path.padEnd(22)} → ${res.status}`);
    return text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
  };
  await call('GET', '/health');
  await call('GET', '/api/version');
  await call('GET', '/api/users');
  await call('GET', '/api/users/1');
  const user = await call('POST', '/api/users', { name: 'Barbara Liskov', email: 'barbara@example.com' });
  await call('PUT', `/api/users/${user.id}`, { name: 'Barbara Liskov', email: 'liskov@example.com' });
  await call('GET', `/api/users/${user.id}`);
  await call('POST', '/api/users', { name: '' });
  await call('GET', '/api/orders');
  const { token } = await call('POST', '/api/login', { username: 'demo', password: 'demo-password' });
  const auth = { authorization: `Bearer ${token}` };
  const order = await call('POST', '/api/orders', { userId: user.id, items: [{ sku: 'book-42', qty: 1 }] }, auth);
  await call('GET', `/api/orders/${order.id}`, undefined, auth);
  await call('GET', '/api/orders', undefined, auth);
  await call('DELETE', `/api/users/${user.id}`);
  await call('GET', `/api/users/${user.id}`);
  await call('GET', '/api/error');
}

/** Generates the pytest and node:test suites from the demo traffic and runs them against a fresh sample backend. */
async function generateAndRun() {
  const out = join(workDir, 'project');
  mkdirSync(out, { recursive: true });
  run(['generate', '--input', relative(root, db), '--language', 'python', '--out', relative(root, out)]);
  run(['generate', '--input', relative(root, db), '--language', 'typescript', '--framework', 'node', '--out', relative(root, out)]);
  const fresh = await startBackend();
  const env = { ...process.env, BASE_URL: fresh.url, CHAOS_SECRET_PASSWORD: 'demo-password' };
  delete env.NODE_TEST_CONTEXT;
  const runSuite = (label, command, args) =>
    new Promise((resolve) => {
      console.log(`$ BASE_URL=${fresh.url} ${label}`);
      const child = spawn(command, args, { cwd: out, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c) => (output += c));
      child.stderr.on('data', (c) => (output += c));
      child.on('error', (e) => resolve({ code: 1, output: e.message }));
      child.on('exit', (code) => resolve({ code, output }));
    });
  try {
    const py = await runSuite('python3 -m pytest -q tests/test_generated.py', 'python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/test_generated.py']);
    const pyLine = py.output.trim().split('\n').pop();
    console.log(`  ${py.code === 0 ? pyLine : `pytest: ${pyLine} (is pytest installed? npm run setup)`}`);
    const ts = await runSuite('node --import tsx --test tests/generated.test.ts', process.execPath, ['--import', 'tsx', '--test', 'tests/generated.test.ts']);
    const pass = /# pass (\d+)|ℹ pass (\d+)/.exec(ts.output);
    const fail = /# fail (\d+)|ℹ fail (\d+)/.exec(ts.output);
    console.log(`  node:test: ${pass?.[1] ?? pass?.[2] ?? 0} passed, ${fail?.[1] ?? fail?.[2] ?? '?'} failed`);
    if (py.code !== 0 && /No module named pytest/.test(py.output) === false) throw new Error(`the generated pytest suite failed:\n${py.output}`);
    if (ts.code !== 0) throw new Error(`the generated node:test suite failed:\n${ts.output}`);
    console.log(`  suites: ${relative(root, join(out, 'tests'))}/`);
  } finally {
    fresh.server.closeAllConnections();
    fresh.server.close();
  }
}

/** Starts `chaos-testing proxy` in front of the backend, times a request, adds a latency toxic, times it again. */
async function faultDemo(target) {
  const upstream = new URL(target).host;
  const proc = spawn(process.execPath, [cli, 'proxy', '--listen', '127.0.0.1:0', '--upstream', upstream, '--name', 'api', '--api', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  try {
    const [listen, api] = await new Promise((resolve, reject) => {
      let err = '';
      let started = false;
      const timer = setTimeout(() => reject(new Error(`the fault proxy did not start: ${err}`)), 15_000);
      proc.stderr.on('data', (c) => {
        if (started) return void process.stderr.write(c);
        err += c;
        const m = /proxy 'api' (127\.0\.0\.1:\d+) → .*fault API (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m) {
          started = true;
          clearTimeout(timer);
          process.stderr.write(err);
          resolve([m[1], new URL(m[2]).host]);
        }
      });
      proc.once('exit', (code) => reject(new Error(`the fault proxy exited with ${code}: ${err}`)));
    });
    const timed = async () => {
      const t0 = performance.now();
      const res = await fetch(`http://${listen}/api/users/1`, { headers: { connection: 'close' } });
      await res.text();
      return performance.now() - t0;
    };
    console.log(`  GET /api/users/1 through the proxy: ${(await timed()).toFixed(1)} ms`);
    run(['fault', 'add', 'slow', '--proxy', 'api', '--type', 'latency', '--attr', 'latency=150', '--api', api]);
    console.log(`  GET /api/users/1 with the fault:     ${(await timed()).toFixed(1)} ms`);
    run(['fault', 'update', 'slow', '--proxy', 'api', '--attr', 'latency=300', '--api', api]);
    console.log(`  GET /api/users/1, changed to 300 ms: ${(await timed()).toFixed(1)} ms`);
    run(['fault', 'reset', '--api', api]);
    console.log(`  GET /api/users/1 after reset:        ${(await timed()).toFixed(1)} ms`);
  } finally {
    proc.kill('SIGINT');
    await exited;
  }
}

/** A chaos experiment: a proxy the run starts in front of the backend is cut for 1 s; recovery time is measured. */
async function chaosDemo(target) {
  const port = await freePort();
  const file = join(workDir, 'partition.yaml');
  writeFileSync(file, `title: The API answers again after a 1 s network partition
targets:
  api: {url: "http://127.0.0.1:${port}", kubernetes: {namespace: demo, labels: {app: api}}}
  edge: {proxy: {listen: "127.0.0.1:${port}", upstream: "${new URL(target).host}"}, kubernetes: {namespace: demo, labels: {app: backend}}}
steady-state-hypothesis:
  probes:
    - {name: health, provider: {type: http, url: api/health}, tolerance: 200}
method:
  - {name: cut the network, provider: {type: network-partition, target: edge}, duration: 1s}
measure: {interval: 20ms, baseline: 1s, consecutive: 3, recovery-timeout: 10s}
`);
  run(['chaos', 'validate', relative(root, file)]);
  // Not spawnSync: the sample backend lives in this process and must keep answering during the run.
  const args = ['chaos', 'run', relative(root, file), '--dir', relative(root, workDir)];
  console.log(`$ chaos-testing ${args.join(' ')}`);
  const code = await new Promise((resolve) => spawn(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' }).once('exit', resolve));
  if (code !== 0) throw new Error(`chaos-testing chaos run exited with ${code}`);
  return file;
}

/** `chaos-testing replay --json` as a child (the backend lives in this process): its exit code and result. */
async function replayRun(args) {
  console.log(`$ chaos-testing ${args.join(' ')}`);
  const env = { ...process.env, CHAOS_SECRET_PASSWORD: 'demo-password' };
  const child = spawn(process.execPath, [cli, ...args, '--json'], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const code = await new Promise((resolve) => child.once('close', resolve));
  if (!out.trim()) throw new Error(`chaos-testing replay exited with ${code} and printed no result`);
  const { summary: s, faults } = JSON.parse(out);
  const worst = s.worst.map((w) => `${w.endpoint} ${w.diverged + w.errors}/${w.count} failed`).join(', ');
  console.log(`  ${s.total} replayed: ${s.matched} matched, ${s.diverged} diverged, ${s.errors} errors${faults.length ? ` (faults: ${faults.map((f) => f.name).join(', ')})` : ''}${worst ? `; worst: ${worst}` : ''}`);
  return { code, summary: s };
}

/** Chaos replay: the captured traffic against a fresh sample backend (all match), then with one route aborted (503). */
async function replayDemo() {
  const fresh = await startBackend();
  try {
    const base = ['replay', '--input', relative(root, db), '--target', fresh.url];
    const clean = await replayRun(base);
    if (clean.code !== 0 || clean.summary.matched !== clean.summary.total) throw new Error('the replay against a fresh sample backend did not match');
    const faults = join(workDir, 'abort-order.yaml');
    writeFileSync(faults, 'toxics:\n  - {name: order-down, type: http_abort, attributes: {status: 503}, match: {method: GET, path: /api/orders/*}}\n');
    const faulty = await replayRun([...base, '--faults', relative(root, faults)]);
    if (faulty.code !== 1 || faulty.summary.worst[0]?.endpoint !== 'GET /api/orders/{orderId}') throw new Error('the aborted route did not diverge');
  } finally {
    fresh.server.closeAllConnections();
    fresh.server.close();
  }
}

/** Load: the captured traffic as a short ramp-up against a fresh sample backend, judged by an SLO, then as a k6 script. */
async function loadDemo() {
  const fresh = await startBackend();
  try {
    const args = ['load', '--input', relative(root, db), '--target', fresh.url, '--profile', 'ramp-up', '--to', '8', '--duration', '3s', '--slo', 'p99<500ms', '--dir', relative(root, workDir)];
    console.log(`$ chaos-testing ${args.join(' ')}`);
    // Spawned, not spawnSync: the backend runs on this process's event loop.
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, CHAOS_SECRET_PASSWORD: 'demo-password' }, stdio: ['ignore', 'inherit', 'inherit'] });
    const code = await new Promise((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`chaos-testing load exited with ${code}`);
  } finally {
    fresh.server.closeAllConnections();
    fresh.server.close();
  }
  const script = join(workDir, 'load.k6.js');
  run(['load', 'export', '--to', 'k6', '--input', relative(root, db), '--target', 'http://127.0.0.1:3000', '--profile', 'ramp-up', '--to', '50', '--duration', '5m', '--slo', 'p99<500ms,errors<1%', '--output', relative(root, script)]);
}

/** `chaos-testing properties` as a child (the backend lives in this process), its report on the terminal; the exit code. */
async function propertiesRun(args, env) {
  console.log(`$ chaos-testing ${args.join(' ')}`);
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'ignore'] });
  return new Promise((resolve) => child.once('close', resolve));
}

/**
 * Property-based testing: traffic captured against the items example backend, then random request sequences sent
 * to a copy of it with a planted bug (an item still readable after DELETE): found, shrunk to three steps, a
 * node:test regression test written; the clean backend passes.
 */
async function propertiesDemo() {
  const { createPropertiesBackend, API_TOKEN } = require(join(root, 'test', 'fixtures', 'properties', 'backend.js'));
  const listenOn = async (server) => {
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${server.address().port}` };
  };
  const stopServer = (s) => (s.server.closeAllConnections(), s.server.close());
  const itemsDb = join(workDir, 'items.db');
  const clean = await listenOn(createPropertiesBackend());
  const buggy = await listenOn(createPropertiesBackend({ bugs: ['use-after-free'] }));
  try {
    const proxy = await startProxy(clean.url, itemsDb);
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    const call = async (method, path, body) => {
      const res = await fetch(proxy.url + path, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      return text ? JSON.parse(text) : {};
    };
    const ids = [];
    for (const [name, price] of [['Lamp', 25], ['Desk', 140], ['Chair', 60]]) ids.push((await call('POST', '/api/items', { name, price })).id);
    for (const id of ids) await call('GET', `/api/items/${id}`);
    await call('PUT', `/api/items/${ids[0]}`, { name: 'Lamp', price: 30 });
    await call('DELETE', `/api/items/${ids[2]}`);
    await call('GET', `/api/items/${ids[2]}`);
    await proxy.stop();
    const env = { CHAOS_SECRET_AUTHORIZATION: API_TOKEN };
    const base = ['properties', '--input', relative(root, itemsDb), '--runs', '200', '--seed', '1', '--max-steps', '8'];
    const tests = relative(root, join(workDir, 'properties'));
    const found = await propertiesRun([...base, '--target', buggy.url, '--language', 'typescript', '--framework', 'node', '--out', tests], env);
    if (found !== 1) throw new Error(`the planted use-after-free was not reported (exit ${found})`);
    const passed = await propertiesRun([...base, '--target', clean.url, '--check', 'use_after_free'], env);
    if (passed !== 0) throw new Error(`the clean backend failed the property run (exit ${passed})`);
  } finally {
    stopServer(clean);
    stopServer(buggy);
  }
}

/** The demo's experiment as Chaos Mesh resources, checked against the CRDs when they are beside the project. */
function chaosMeshDemo(experiment) {
  const out = join(workDir, 'partition.chaos-mesh.yaml');
  const crds = join(root, '..', 'shared', 'data', 'chaos-mesh-crds');
  const validate = existsSync(crds) ? ['--validate', '--crds', relative(root, crds)] : [];
  if (!validate.length) console.log(`  (no Chaos Mesh CRDs at ${relative(root, crds)}: exporting without --validate)`);
  const origin = ['--probe-origin', 'http://api.demo.svc:3000'];
  run(['chaos', 'export', relative(root, experiment), '--to', 'chaos-mesh', ...origin, ...validate, '--out', relative(root, out)]);
  const YAML = require('yaml');
  for (const doc of YAML.parseAllDocuments(readFileSync(out, 'utf8')).map((d) => d.toJS()).filter(Boolean)) {
    const kinds = [...new Set((doc.spec.templates ?? []).map((t) => t.templateType))];
    console.log(`  ${doc.kind} ${doc.metadata.namespace}/${doc.metadata.name}${kinds.length ? `: ${kinds.join(', ')}` : ''}`);
  }
}

/** A free loopback port (closed again: the caller's server takes it). */
function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const free = s.address().port;
      s.close(() => resolve(free));
    });
  });
}

/** The smallest RESP client: one connection, commands answered in order (simple, error, integer and bulk replies). */
function respClient(port) {
  const socket = connect({ host: '127.0.0.1', port });
  const waiting = [];
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const line = buf.subarray(1, eol).toString();
      let value = line;
      let used = eol + 2;
      if (buf[0] === 0x24 /* $ */) {
        const n = Number(line);
        if (n >= 0 && buf.length < used + n + 2) return;
        value = n < 0 ? null : buf.subarray(used, used + n).toString();
        used += n < 0 ? 0 : n + 2;
      }
      buf = buf.subarray(used);
      const w = waiting.shift();
      if (buf.length === 0 && !w) return;
      w?.(value);
    }
  });
  socket.on('error', () => undefined);
  const command = (...args) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
    });
  return { command, close: () => socket.destroy() };
}

/** `command -v NAME` succeeds. */
const installed = (name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

/**
 * Beyond HTTP: a real redis-server, a tiny users API that caches in it, and one capture.yaml with an HTTP and a Redis
 * listener: the Redis commands are recorded next to the requests and linked to the request that made them.
 */
async function beyondHttpDemo() {
  if (!installed('redis-server')) return void console.log('  skipped: install redis-server (npm run setup)');
  const dir = mkdtempSync(join(tmpdir(), 'chaos-demo-redis-'));
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const redisExited = new Promise((resolve) => redis.once('exit', resolve));
  const users = { 1: { id: 1, name: 'Ada Lovelace' }, 2: { id: 2, name: 'Grace Hopper' } };
  let cache;
  const api = createHttpServer(async (req, res) => {
    const id = /^\/users\/(\d+)$/.exec(req.url)?.[1];
    const cached = id && (await cache.command('GET', `user:${id}`));
    const user = cached || (users[id] && JSON.stringify(users[id]));
    if (user && !cached) await cache.command('SET', `user:${id}`, user, 'EX', '60');
    res.writeHead(user ? 200 : 404, { 'content-type': 'application/json' }).end(user ?? '{"error":"no such user"}');
  });
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
  let observer;
  try {
    for (let i = 0; i < 100 && !(await pingable(redisPort)); i++) await new Promise((r) => setTimeout(r, 50));
    const config = join(workDir, 'capture.yaml');
    const wireDb = join(workDir, 'wire.db');
    writeFileSync(config, `listeners:\n  - { protocol: http, port: 0, target: "http://127.0.0.1:${api.address().port}" }\n  - { protocol: redis, port: 0, target: "127.0.0.1:${redisPort}", name: cache }\n`);
    console.log(readFileSync(config, 'utf8').replace(/^/gm, '  ').trimEnd());
    const args = ['observe', '--config', relative(root, config), '--output', relative(root, wireDb), '--quiet'];
    console.log(`$ chaos-testing ${args.join(' ')}`);
    const proc = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    observer = { stop: () => (proc.kill('SIGINT'), exited) };
    const ports = await new Promise((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`observe --config did not start: ${err}`)), 15_000);
      proc.stderr.on('data', (c) => {
        process.stderr.write(c);
        err += c;
        if (!err.includes('recording to')) return;
        clearTimeout(timer);
        resolve(Object.fromEntries([...err.matchAll(/(\S+) \(\w+\) listening on 127\.0\.0\.1:(\d+)/g)].map((m) => [m[1], Number(m[2])])));
      });
      proc.once('exit', (code) => reject(new Error(`observe --config exited with ${code}: ${err}`)));
    });
    cache = respClient(ports.cache);
    for (const path of ['/users/1', '/users/2', '/users/1', '/users/9']) {
      const res = await fetch(`http://127.0.0.1:${ports.http}${path}`);
      await res.text();
      console.log(`  GET    ${path.padEnd(22)} → ${res.status}`);
    }
    cache.close();
    const code = await observer.stop();
    observer = undefined;
    if (code !== 0) throw new Error(`observe --config exited with ${code}`);
    run(['list', '--db', relative(root, wireDb)]);
    const listed = JSON.parse(spawnSync(process.execPath, [cli, 'list', '--json', '--limit', '0', '--db', wireDb], { encoding: 'utf8' }).stdout);
    run(['show', String(listed.exchanges.find((e) => e.method === 'SET').id), '--db', relative(root, wireDb)]);
    run(['learn', '--db', relative(root, wireDb)]);
  } finally {
    cache?.close();
    if (observer) await observer.stop();
    api.closeAllConnections();
    api.close();
    redis.kill('SIGTERM');
    await redisExited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A PING on a fresh connection is answered (the server is up). */
function pingable(port) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('data', (c) => (s.destroy(), resolve(c.toString().startsWith('+PONG'))));
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
  });
}

async function main() {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const backend = await startBackend();
  let proxy;
  try {
    step(`Capture: sample backend on ${backend.url}, capture proxy in front of it`);
    proxy = await startProxy(backend.url);
    await driveTraffic(proxy.url);
    const code = await proxy.stop();
    proxy = undefined;
    if (code !== 0) throw new Error(`the proxy exited with ${code}`);

    step('What was captured (health checks were forwarded but excluded with --exclude /health)');
    run(['list', '--db', relative(root, db)]);

    step('One exchange in full: the login, with its password and token redacted at capture');
    const listed = JSON.parse(spawnSync(process.execPath, [cli, 'list', '--json', '--limit', '0', '--db', db], { encoding: 'utf8' }).stdout);
    const login = listed.exchanges.find((e) => e.method === 'POST' && e.path === '/api/login');
    run(['show', String(login.id), '--db', relative(root, db)]);

    step('What the backend does: the learned behaviour model (and an OpenAPI 3.1 document of it)');
    run(['learn', '--db', relative(root, db)]);
    run(['export', '--format', 'openapi', '--db', relative(root, db), '--output', relative(root, join(workDir, 'openapi.json'))]);

    step('Generated regression tests, run by their own runners against a fresh backend');
    await generateAndRun();

    step('A fault: the TCP proxy in front of the backend, 150 ms of latency added at run time');
    await faultDemo(backend.url);

    step('A chaos experiment: hypothesis, a 1 s partition on a proxy the run starts, recovery time, rollback');
    const experiment = await chaosDemo(backend.url);

    step('Chaos replay: the captured traffic against a fresh backend, then with GET /api/orders/{id} aborted (503)');
    await replayDemo();

    step('Load: the captured traffic as a 3 s ramp-up to 8 connections, p99 SLO; then the same mix as a k6 script');
    await loadDemo();

    step('Beyond one machine: the experiment as a Chaos Mesh Workflow (kubectl apply -f)');
    chaosMeshDemo(experiment);

    step('Beyond HTTP: a Redis listener beside the HTTP one (one capture.yaml); cache calls linked to their requests');
    await beyondHttpDemo();

    step('A compliance audit of the capture (PCI-DSS): controls assessed, violations with masked evidence');
    auditDemo();

    step('Property-based testing: random request sequences against a backend with a planted bug, shrunk to a minimal case');
    await propertiesDemo();

    step('The same in VS Code: the extension, packaged');
    const vsix = join(workDir, 'chaos-testing.vsix');
    const packed = spawnSync(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '-o', vsix], { cwd: root, encoding: 'utf8' });
    if (packed.status !== 0) throw new Error(`packaging the extension failed: ${(packed.stderr || packed.stdout).trim().split('\n').pop()}`);
    console.log(`  ${relative(root, vsix)} (${(statSync(vsix).size / 1024).toFixed(0)} KiB): code --install-extension ${relative(root, vsix)}`);
    console.log('  then: Chaos Testing: Open Traffic Database → ' + relative(root, db) + ', or Start Capture against your backend;');
    console.log('  Replay Traffic… and Export Experiment to Chaos Mesh are there too');

    step('Production readiness: one suite, one exit code, JUnit + SARIF + Markdown + HTML reports (chaos-testing ci)');
    await readinessDemo(experiment);

    console.log(`\nThe traffic is in ${relative(root, db)}, a real SQLite file:`);
    console.log(`  sqlite3 ${relative(root, db)} "select id, method, url, status from exchange_view"`);
    console.log(`  node dist/cli.js export --format har --db ${relative(root, db)} > traffic.har`);
  } finally {
    if (proxy) await proxy.stop();
    backend.server.closeAllConnections();
    backend.server.close();
  }
}

/**
 * The last step: a small readiness suite for the sample backend (a fresh one, so the generated tests find the
 * state they expect) — the generated node:test suite, the partition experiment with a recovery bound, a 3 s load
 * with its SLO, a PCI-DSS audit of the traffic — run by `chaos-testing ci`, its Markdown summary shown.
 */
async function readinessDemo(experiment) {
  const fresh = await startBackend();
  const suite = join(workDir, 'suite.yaml');
  const reports = join(workDir, 'reports');
  writeFileSync(suite, `name: sample backend
target: ${fresh.url}
traffic: ${relative(root, db)}
tests:
  - name: generated node:test suite
    language: typescript-node
    dir: ${relative(root, join(workDir, 'project'))}
experiments:
  - file: ${relative(root, experiment)}
    max-recovery-time: 5s
load:
  requests: [{path: /health}, {path: /api/users}]
  connections: 4
  duration: 3s
  slo: "p99<500ms,errors<1%"
audit:
  frameworks: [pci-dss]
  workspace: ''
`);
  console.log(readFileSync(suite, 'utf8').replace(/^/gm, '  ').trimEnd());
  const args = ['ci', '--suite', relative(root, suite), '--out', relative(root, reports), '--dir', relative(root, workDir)];
  console.log(`$ chaos-testing ${args.join(' ')}`);
  try {
    // Not spawnSync: both backends live in this process and must keep answering.
    const env = { ...process.env, CHAOS_SECRET_PASSWORD: 'demo-password' };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += String(c);
      if (/^\[\d+\/\d+\]|^ci: /m.test(String(c))) process.stderr.write(String(c).split('\n').filter((l) => /^\[\d+\/\d+\]|^ci: /.test(l)).map((l) => `${l}\n`).join(''));
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    if (code !== 0 && code !== 1) throw new Error(`chaos-testing ci exited with ${code}: ${stderr.trim().split('\n').pop()}`);
    console.log(`\n  ${relative(root, join(reports, 'summary.md'))} (the pull-request comment):\n`);
    console.log(readFileSync(join(reports, 'summary.md'), 'utf8').replace(/^/gm, '  ').trimEnd());
    console.log(`\n  open ${relative(root, join(reports, 'report.html'))} (charts, offline); in CI: docs/ci/github-actions.yml, docs/ci/gitlab-ci.yml`);
  } finally {
    fresh.server.closeAllConnections();
    fresh.server.close();
  }
}

/** The audit exits 1 when it finds a high violation; the demo shows the report either way. */
function auditDemo() {
  const args = ['audit', '--framework', 'pci-dss', '--input', db, '--workspace', join(root, 'examples', 'sample-backend')];
  console.log(`$ chaos-testing ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0 && r.status !== 1) throw new Error(`chaos-testing audit exited with ${r.status}`);
}

main().catch((e) => {
  console.error(`demo failed: ${e.message}`);
  process.exit(1);
});
