/**
 * The library API from a jest suite (plain CommonJS, no transform): `require('chaos-testing')` against servers this
 * file starts on 127.0.0.1 — a load test with its SLO, two invariants over captured traffic, a compliance audit of a
 * deployment folder, and a cancelled call rejecting with CancelledError. Each check also shows it can fail.
 *
 *   node node_modules/jest/bin/jest.js --rootDir examples/readiness --testMatch '**' + '/*.jest.test.cjs' --ci
 *
 * (test/integration/api-jest.test.ts runs it so, in a project that has the package installed.)
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { CancelledError, Capture, ComplianceFramework, LoadTest, StateInvariant } = require('chaos-testing');

jest.setTimeout(60_000);

/** A small items API; `state.failing` makes every answer a 500. */
function itemsApi(state) {
  const items = new Map([[1, { id: 1, name: 'one' }], [2, { id: 2, name: 'two' }]]);
  let next = 3;
  return http.createServer((req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (state.failing) return send(500, { error: 'planted failure' });
    const url = new URL(req.url, 'http://127.0.0.1');
    const one = /^\/api\/items\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/api/health') return send(200, { ok: true });
    if (url.pathname === '/api/items' && req.method === 'GET') return send(200, [...items.values()]);
    if (url.pathname === '/api/items' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const item = { id: next++, name: JSON.parse(body || '{}').name ?? 'new' };
        items.set(item.id, item);
        send(201, item);
      });
      return;
    }
    if (one && items.has(Number(one[1]))) return send(200, items.get(Number(one[1])));
    send(404, { error: 'not found' });
  });
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

const state = { failing: false };
const server = itemsApi(state);
let base;
let dir;
let traffic;

beforeAll(async () => {
  base = await listen(server);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-jest-'));
  traffic = path.join(dir, 'traffic.db');
  // Typical calls through the capture proxy: what the invariants learn their request sequences from.
  const capture = await Capture.start({ target: base, output: traffic });
  try {
    for (let i = 0; i < 3; i++) {
      await (await fetch(`${capture.url}/api/items`)).arrayBuffer();
      await (await fetch(`${capture.url}/api/items/${1 + (i % 2)}`)).arrayBuffer();
    }
    await (await fetch(`${capture.url}/api/items`, { method: 'POST', body: JSON.stringify({ name: 'x' }), headers: { 'content-type': 'application/json' } })).arrayBuffer();
  } finally {
    await capture.stop();
  }
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  state.failing = false;
});

test('a load test meets its SLO, and a test that asks too much reports the clause that broke', async () => {
  const ticks = [];
  const outcome = await LoadTest.create(`${base}/api/health`).withConstant(2).withDuration('1500ms')
    .withSlo({ p99Ms: 2_000, errorRate: 0.01 })
    .run({ onProgress: (tick) => ticks.push(tick.second) });
  expect(outcome.requests).toBeGreaterThan(0);
  expect(outcome.sloFailures()).toEqual([]);
  expect(outcome.passedSlo()).toBe(true);
  expect(ticks.length).toBeGreaterThan(0);

  const greedy = await LoadTest.create(`${base}/api/health`).withConstant(1).withDuration(1_000).withSlo({ minRps: 1e9 }).run();
  expect(greedy.passedSlo()).toBe(false);
  expect(greedy.sloFailures().join('\n')).toMatch(/^rps>=1000000000: /);
});

test('latencyBounded and errorRateBelow hold over sequences learned from the traffic', async () => {
  const latency = await StateInvariant.latencyBounded({ target: base, traffic, boundMs: 2_000, runs: 5, maxSteps: 3 }).verify({ seed: 7 });
  expect(latency.violations).toEqual([]);
  expect(latency.passed).toBe(true);
  expect(latency.runs).toBe(5);
  const errors = await StateInvariant.errorRateBelow({ target: base, traffic, fraction: 0.01, runs: 5, maxSteps: 3 }).verify({ seed: 7 });
  expect(errors.passed).toBe(true);
});

test('errorRateBelow fails, naming itself, when the service answers 500', async () => {
  state.failing = true;
  const verdict = await StateInvariant.errorRateBelow({ target: base, traffic, fraction: 0.01, runs: 3, maxSteps: 2 }).verify({ seed: 7 });
  expect(verdict.passed).toBe(false);
  expect(verdict.outcomes.find((o) => o.name === 'error_rate_below')?.passed).toBe(false);
});

test('a compliance audit passes a hardened deployment folder and names what is wrong with another', async () => {
  const hardened = path.join(dir, 'hardened');
  fs.mkdirSync(hardened);
  fs.copyFileSync(path.join(__dirname, 'Dockerfile'), path.join(hardened, 'Dockerfile'));
  const good = await ComplianceFramework.pciDss().audit({ workspace: hardened, imageTool: null });
  expect(good.totalControls).toBeGreaterThan(0);
  expect(good.remediationSummary()).toEqual([]);
  expect(good.isCompliant('high')).toBe(true);

  const careless = path.join(dir, 'careless');
  fs.mkdirSync(careless);
  fs.writeFileSync(path.join(careless, 'Dockerfile'), 'FROM node:latest\nENV DB_PASSWORD=hunter2secret\nCMD ["node", "server.js"]\n');
  const bad = await ComplianceFramework.pciDss().audit({ workspace: careless, imageTool: null });
  expect(bad.isCompliant('high')).toBe(false);
  expect(bad.highSeverityViolations().map((f) => f.ruleId).sort()).toEqual(['container-root', 'secrets-in-config']);
});

test('a cancelled load test rejects with CancelledError and keeps what it measured', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const run = LoadTest.create(`${base}/api/health`).withConstant(2).withDuration('30s')
    .run({ signal: controller.signal, onProgress: () => controller.abort() });
  await expect(run).rejects.toBeInstanceOf(CancelledError);
  const error = await run.catch((e) => e);
  expect(error.code).toBe('CT_CANCELLED');
  expect(error.partial.requests).toBeGreaterThan(0);
  // Stopped at the first tick, far before its 30 s (a generous bound: the machine may be busy).
  expect(Date.now() - started).toBeLessThan(20_000);
});
