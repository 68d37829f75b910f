/**
 * k6 export: the script parses as JavaScript (node --check), its options match the profile and the SLO, and its
 * default function, run under a stub of k6/http, draws the mix by weight and fills chained values from responses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { k6Script } from '../../src/core/load/k6';
import { planSpec } from '../../src/core/load/plan';
import type { LoadSpec, RequestMix } from '../../src/core/load/types';
import { tmpDir } from '../helpers';

const MIX: RequestMix = {
  source: 'test mix',
  skipped: {},
  entries: [
    { endpoint: 'GET /api/items/{itemId}', method: 'GET', pathAndQuery: '/api/items/42?full=1', headers: [['accept', 'application/json']], body: null, weight: 0.75, write: false, chain: [{ where: 'path', producer: 1, pointer: '/id', recorded: '42' }] },
    { endpoint: 'POST /api/items', method: 'POST', pathAndQuery: '/api/items', headers: [['content-type', 'application/json'], ['authorization', 'Bearer t0k'], ['x-key', '{{env:CHAOS_SECRET_KEY}}']], body: Buffer.from('{"name":"Ada"}'), weight: 0.25, write: true },
  ],
};

interface Call {
  method: string;
  url: string;
  body: unknown;
  params: { headers: Record<string, string>; tags: { name: string } };
}

interface K6Module {
  options: { scenarios: Record<string, Record<string, unknown>>; thresholds: Record<string, string[]> };
  default: () => void;
}

/** Writes the script twice: as is (for node --check) and with k6/http pointing at a recording stub, then imports that. */
async function load(t: TestContext, script: string): Promise<{ mod: K6Module; calls: Call[]; checked: ReturnType<typeof spawnSync> }> {
  const dir = tmpDir(t);
  const original = path.join(dir, 'script.mjs');
  writeFileSync(original, script);
  const checked = spawnSync(process.execPath, ['--check', original], { encoding: 'utf8' });
  const stub = path.join(dir, 'k6-http-stub.mjs');
  writeFileSync(stub, `export default { request: (method, url, body, params) => globalThis.__k6calls.push({ method, url, body, params }) && globalThis.__k6answer(method, url) };\n`);
  const stubbed = path.join(dir, 'stubbed.mjs');
  assert.ok(script.includes("from 'k6/http'"));
  writeFileSync(stubbed, script.split("from 'k6/http'").join(`from ${JSON.stringify(pathToFileURL(stub).href)}`));
  const calls: Call[] = [];
  const g = globalThis as Record<string, unknown>;
  g.__ENV = { CHAOS_SECRET_KEY: 'k-from-env' };
  g.__k6calls = calls;
  let nextId = 100;
  g.__k6answer = (method: string) => {
    const body = method === 'POST' ? { id: ++nextId } : { ok: true };
    return { status: method === 'POST' ? 201 : 200, json: () => body };
  };
  const mod = (await import(pathToFileURL(stubbed).href)) as K6Module;
  return { mod, calls, checked };
}

test('closed ramp-up: ramping-vus stages as the profile, thresholds from the SLO, and the script parses', async (t) => {
  const spec = planSpec({ target: 'http://127.0.0.1:3000', profile: 'ramp-up', from: 2, to: 20, durationMs: 60_000, slo: 'p99<200ms,p99.9<1s,errors<1%,rps>=50' });
  const { mod, checked } = await load(t, k6Script(spec, MIX));
  assert.equal(checked.status, 0, String(checked.stderr));
  const [name, scenario] = Object.entries(mod.options.scenarios)[0];
  assert.equal(name, 'ramp_up');
  assert.equal(scenario.executor, 'ramping-vus');
  assert.equal(scenario.startVUs, 2);
  assert.deepEqual(scenario.stages, spec.profile.stages.map((s) => ({ duration: `${s.durationMs / 1000}s`, target: s.target })));
  assert.deepEqual(mod.options.thresholds, {
    http_req_duration: ['p(99)<200', 'p(99.9)<1000'],
    http_req_failed: ['rate<0.01'],
    http_reqs: ['rate>=50'],
  });
});

test('open spike: ramping-arrival-rate with the rate as targets and the connections as VUs', async (t) => {
  const spec: LoadSpec = planSpec({ target: 'http://127.0.0.1:3000', profile: 'spike', rate: 400, connections: 64, durationMs: 10_500, slo: 'p90<=50ms' });
  const { mod, checked } = await load(t, k6Script(spec, MIX));
  assert.equal(checked.status, 0, String(checked.stderr));
  const scenario = mod.options.scenarios.spike;
  assert.equal(scenario.executor, 'ramping-arrival-rate');
  assert.equal(scenario.timeUnit, '1s');
  assert.equal(scenario.startRate, spec.profile.from);
  assert.equal(scenario.maxVUs, 64);
  const stages = scenario.stages as Array<{ duration: string; target: number }>;
  assert.deepEqual(stages.map((s) => s.target), spec.profile.stages.map((s) => s.target));
  assert.equal(Math.max(...stages.map((s) => s.target)), 400);
  const ms = (d: string): number => (d.endsWith('ms') ? Number(d.slice(0, -2)) : Number(d.slice(0, -1)) * 1000);
  assert.equal(stages.reduce((s, x) => s + ms(x.duration), 0), 10_500);
  assert.deepEqual(mod.options.thresholds, { http_req_duration: ['p(90)<=50'] });
});

test('the default function draws the mix by weight and sends the id a POST created in the next GET', async (t) => {
  const spec = planSpec({ target: 'http://127.0.0.1:3000/v2', durationMs: 1000 });
  const { mod, calls } = await load(t, k6Script(spec, MIX));
  for (let i = 0; i < 2000; i++) mod.default();
  const gets = calls.filter((c) => c.method === 'GET');
  const posts = calls.filter((c) => c.method === 'POST');
  // 75 % / 25 % by weight; 2000 draws put the share within a few points (bound: ±5 points).
  assert.ok(Math.abs(gets.length / calls.length - 0.75) < 0.05, `${gets.length} GETs of ${calls.length}`);
  assert.equal(posts[0].body, '{"name":"Ada"}');
  assert.equal(posts[0].params.headers.authorization, 'Bearer t0k');
  assert.equal(posts[0].params.tags.name, 'POST /api/items');
  assert.equal(posts[0].params.headers['x-key'], 'k-from-env');
  assert.ok(posts.every((p) => p.url === 'http://127.0.0.1:3000/api/items'));
  // Before any POST the recorded id goes out; after one, the id it answered.
  const firstPost = calls.findIndex((c) => c.method === 'POST');
  for (const c of calls.slice(0, firstPost)) assert.equal(c.url, 'http://127.0.0.1:3000/api/items/42?full=1');
  const after = calls.slice(firstPost + 1).find((c) => c.method === 'GET');
  assert.ok(after);
  assert.match(after.url, /^http:\/\/127\.0\.0\.1:3000\/api\/items\/1\d\d\?full=1$/);
  assert.notEqual(after.url, 'http://127.0.0.1:3000/api/items/42?full=1');
});
