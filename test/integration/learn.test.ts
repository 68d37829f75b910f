import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { CaptureSession } from '../../src/core/capture/captureSession';
import { learn } from '../../src/core/learn/learn';
import type { BehaviourModel, Scenario, Step } from '../../src/core/learn/model';
import { TrafficDb } from '../../src/core/store/database';
import { assertCliError, listen, runCli } from '../helpers';
import { SAMPLE_PASSWORD, captureSampleSession } from '../helpers/scripted';

/** The scripted sample session, and a counter server answering the same call with different values. */
async function capture(t: TestContext): Promise<{ db: string; model: BehaviourModel; password: string; token: string }> {
  const { db, token } = await captureSampleSession(t);
  let n = 0;
  const counter = await listen(t, http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', etag: `"v${++n}"` });
    res.end(JSON.stringify({ n, name: 'fixed', nested: { hits: n * 7 } }));
  }));
  const side = await CaptureSession.start({ mode: 'reverse', target: counter.url, port: 0, output: path.join(path.dirname(db), 'counter.db') });
  for (let i = 0; i < 3; i++) await fetch(`http://127.0.0.1:${side.address.port}/counter`).then((r) => r.text());
  await side.stop();
  const tdb = await TrafficDb.open(db);
  t.after(() => tdb.close());
  return { db, model: learn(tdb), password: SAMPLE_PASSWORD, token };
}

const scenario = (m: BehaviourModel, name: string): Scenario => {
  const s = m.scenarios.find((x) => x.name === name);
  assert.ok(s, `scenario ${name} in ${m.scenarios.map((x) => x.name).join(', ')}`);
  return s;
};
const pathText = (st: Step): string => st.path.map((p) => (typeof p === 'string' ? p : 'variable' in p ? `{${p.variable}}` : `$${p.env}`)).join('');

test('learn: endpoints, merged schemas, chained flows, noise, dedup, secrets and cleanup from real captured traffic', async (t) => {
  const { model: m, password, token } = await capture(t);
  assert.deepEqual(m.endpoints.map((e) => e.key), [
    'GET /api/error', 'POST /api/login', 'POST /api/orders', 'GET /api/orders/{orderId}', 'GET /api/users', 'POST /api/users',
    'DELETE /api/users/{userId}', 'GET /api/users/{userId}', 'PUT /api/users/{userId}',
  ]);
  const getUser = m.endpoints.find((e) => e.key === 'GET /api/users/{userId}')!;
  assert.deepEqual(getUser.statuses, { 200: 3 });
  assert.deepEqual(getUser.params, ['userId']);
  const schema = getUser.responses[0].schema!;
  assert.deepEqual(schema.required, ['id', 'name', 'email', 'createdAt'], 'updatedAt only after the PUT: optional');
  assert.equal(schema.properties!.updatedAt.format, 'date-time');
  assert.equal(schema.properties!.id.type, 'integer');
  assert.equal(schema.properties!.email.format, 'email');
  assert.equal(getUser.latency.count, 3);
  assert.ok(getUser.latency.p50 > 0 && getUser.latency.p99 >= getUser.latency.p50);

  // Three identical list calls are one scenario.
  assert.equal(scenario(m, 'list_users_returns_200').samples, 3);
  assert.equal(scenario(m, 'get_user_by_id_returns_200').samples, 2);
  const byId = scenario(m, 'get_user_by_id_returns_200').steps[0];
  assert.deepEqual(byId.expect.values.map((v) => [v.pointer, v.value]), [['/id', 1], ['/name', 'Ada Lovelace'], ['/email', 'ada@example.com']]);
  assert.ok(byId.expect.noise.some((n) => n.pointer === '/createdAt' && /timestamp/.test(n.why)));

  // The create flow: ids and the login token are chained, in order.
  const flow = scenario(m, 'create_user_flow');
  assert.deepEqual(flow.steps.map((s) => `${s.method} ${pathText(s)} ${s.expect.status}`), [
    'POST /api/users 201', 'PUT /api/users/{userId} 200', 'GET /api/users/{userId} 200', 'POST /api/login 200',
    'POST /api/orders 201', 'GET /api/orders/{orderId} 200', 'DELETE /api/users/{userId} 204',
  ]);
  assert.deepEqual(flow.steps[0].captures, [{ variable: 'userId', from: '/id' }]);
  const login = flow.steps[3];
  assert.deepEqual(login.captures, [{ variable: 'token', from: '/token' }]);
  assert.deepEqual(login.body, { json: { username: 'demo', password: { $env: 'CHAOS_SECRET_PASSWORD' } } });
  const postOrder = flow.steps[4];
  assert.deepEqual(postOrder.headers.find(([n]) => n === 'authorization'), ['authorization', ['Bearer ', { variable: 'token' }]]);
  assert.deepEqual((postOrder.body as { json: { userId: unknown } }).json.userId, { $var: 'userId' });
  assert.ok(flow.steps[5].expect.noise.some((n) => n.pointer === '/id' && /chained value orderId/.test(n.why)));
  assert.deepEqual(m.env.map((e) => e.name), ['CHAOS_SECRET_PASSWORD']);

  // A resource created and never reused is deleted again by the test (the API has a DELETE for it).
  const created = m.scenarios.find((s) => s.name.startsWith('create_user_returns_201'))!;
  assert.ok(created, 'the lone create is its own scenario');
  assert.deepEqual(created.steps.map((s) => `${s.cleanup ? 'cleanup ' : ''}${s.method} ${pathText(s)}`), ['POST /api/users', `cleanup DELETE /api/users/{${created.steps[0].captures[0].variable}}`]);

  assert.ok(scenario(m, 'create_user_returns_422'));
  const error = scenario(m, 'get_error_returns_500').steps[0];
  assert.ok(error.expect.noise.some((n) => n.pointer === '/traceId'), 'a generated trace id is noise');
  assert.deepEqual(error.expect.values, [{ pointer: '/error', value: 'something broke' }]);
  assert.ok(m.noiseHeaders.includes('date') && m.noiseHeaders.includes('x-request-id'));

  const text = JSON.stringify(m);
  assert.equal(text.includes(password), false, 'no password in the model');
  assert.equal(text.includes(token), false, 'no token in the model');
});

test('learn: a value that differs between equivalent calls is noise; stable ones are asserted', async (t) => {
  const { db } = await capture(t);
  const counterDb = await TrafficDb.open(path.join(path.dirname(db), 'counter.db'));
  t.after(() => counterDb.close());
  const m = learn(counterDb);
  assert.equal(m.scenarios.length, 1);
  const [s] = m.scenarios;
  assert.equal(s.samples, 3);
  assert.deepEqual(s.steps[0].expect.values, [{ pointer: '/name', value: 'fixed' }]);
  assert.deepEqual(s.steps[0].expect.noise.map((n) => [n.pointer, n.why]), [['/n', 'differed between equivalent exchanges'], ['/nested/hits', 'differed between equivalent exchanges']]);
  assert.ok(m.noiseHeaders.includes('etag'));
});

test('chaos-testing learn and export --format openapi: text, JSON, and an OpenAPI 3.1 document a validator accepts', async (t) => {
  const { db } = await capture(t);
  const text = runCli(['learn', '--db', db]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /GET \/api\/users\/\{userId\} +200×3/);
  assert.match(text.stdout, /create_user_flow\n {4}POST \/api\/users → 201 {2}→ userId = \/id/);
  assert.match(text.stdout, /CHAOS_SECRET_PASSWORD: the password/);
  const json = runCli(['learn', '--json', '--db', db]);
  const model = JSON.parse(json.stdout) as BehaviourModel;
  assert.equal(model.version, 1);

  const out = path.join(path.dirname(db), 'openapi.json');
  const r = runCli(['export', '--format', 'openapi', '--db', db, '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { openapi: string; paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, unknown> }>> };
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(doc.paths['/api/users/{userId}'].get.parameters?.map((p) => p.name), ['userId']);
  assert.ok(doc.paths['/api/users'].post.responses['201']);
  const { Validator } = (await import('@seriousme/openapi-schema-validator')) as typeof import('@seriousme/openapi-schema-validator');
  const result = await new Validator().validate(doc as never);
  assert.equal(result.valid, true, JSON.stringify(result.errors));

  assertCliError(runCli(['learn', '--db', path.join(path.dirname(db), 'missing.db')]), 1, ['no traffic database']);
});
