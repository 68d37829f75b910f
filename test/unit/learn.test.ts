import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { importHar } from '../../src/core/har/import';
import { inferSchema, mergeSchemas, stringFormat } from '../../src/core/learn/jsonSchema';
import { actionName, learn, leaves, requiredShape } from '../../src/core/learn/learn';
import { TrafficDb } from '../../src/core/store/database';

test('schemas merge across samples: required vs optional, widened types, formats kept only when shared', () => {
  const a = inferSchema({ id: 1, name: 'Ada', email: 'ada@example.com', createdAt: '2026-01-02T03:04:05.678Z', tags: ['x'], score: 1 });
  const b = inferSchema({ id: 2, name: 'Alan', email: 'not-an-email', createdAt: '2026-01-02T03:04:05Z', score: 1.5, note: null });
  const m = mergeSchemas(a, b);
  assert.deepEqual(m.required, ['id', 'name', 'email', 'createdAt', 'score']);
  assert.equal(m.properties!.id.type, 'integer');
  assert.equal(m.properties!.score.type, 'number', 'integer + number widen to number');
  assert.equal(m.properties!.email.format, undefined, 'one sample was not an email');
  assert.equal(m.properties!.createdAt.format, 'date-time');
  assert.deepEqual(m.properties!.tags, { type: 'array', items: { type: 'string' } });
  assert.equal(m.properties!.note.type, 'null');
  const nullable = mergeSchemas(inferSchema({ v: 'x' }), inferSchema({ v: null }));
  assert.deepEqual(nullable.properties!.v.type, ['string', 'null']);
  // Objects inside arrays merge too: a field missing from one item is optional.
  const list = inferSchema({ items: [{ a: 1, b: 2 }, { a: 3 }] });
  assert.deepEqual(list.properties!.items.items!.required, ['a']);
});

test('string formats', () => {
  assert.equal(stringFormat('2026-11-29T19:00:00Z'), 'date-time');
  assert.equal(stringFormat('2026-11-29'), 'date');
  assert.equal(stringFormat('3f1e7a2c-1b2d-4c5e-9f00-aa11bb22cc33'), 'uuid');
  assert.equal(stringFormat('a@b.co'), 'email');
  assert.equal(stringFormat('https://example.com/x'), 'uri');
  assert.equal(stringFormat('hello'), undefined);
  assert.equal(stringFormat('2026-13-45T99:99:99Z'), undefined, 'not a real date');
});

test('action names read like what the request does', () => {
  assert.equal(actionName('GET', '/api/users'), 'list_users');
  assert.equal(actionName('GET', '/api/users/{userId}'), 'get_user_by_id');
  assert.equal(actionName('POST', '/api/users'), 'create_user');
  assert.equal(actionName('PUT', '/api/users/{userId}'), 'update_user');
  assert.equal(actionName('DELETE', '/api/users/{userId}'), 'delete_user');
  assert.equal(actionName('GET', '/api/users/{userId}/orders'), 'list_user_orders');
  assert.equal(actionName('POST', '/api/login'), 'post_login');
  assert.equal(actionName('GET', '/health'), 'get_health');
  assert.equal(actionName('GET', '/v2/status'), 'get_status');
  assert.equal(actionName('GET', '/api/reports/{date}'), 'get_report_by_date');
});

test('leaves by JSON pointer, with or without array contents', () => {
  const v = { a: { 'b/c': 1, d: [1, { e: 2 }] }, f: null };
  assert.deepEqual([...leaves(v).entries()], [['/a/b~1c', 1], ['/a/d/0', 1], ['/a/d/1/e', 2], ['/f', null]]);
  assert.deepEqual([...leaves(v, false).keys()], ['/a/b~1c', '/f']);
});

test('the asserted shape keeps required fields and types only', () => {
  const s = mergeSchemas(inferSchema({ id: 1, when: '2026-01-01', opt: 1 }), inferSchema({ id: 2, when: '2026-01-02' }));
  assert.deepEqual(requiredShape(s), { type: 'object', properties: { id: { type: 'integer' }, when: { type: 'string' } }, required: ['id', 'when'] });
});

test('a step keeps the recorded query byte for byte, with a chained value as a variable', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-learn-query-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const entry = (method: string, url: string, status: number, body: string, at: number): unknown => ({
    startedDateTime: new Date(Date.UTC(2024, 4, 1, 10, 0, at)).toISOString(), time: 1, cache: {}, timings: { send: 0, wait: 1, receive: 0 },
    request: { method, url, httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
    response: { status, statusText: '', httpVersion: 'HTTP/1.1', headers: [{ name: 'content-type', value: 'application/json' }], cookies: [], content: { size: body.length, mimeType: 'application/json', text: body }, redirectURL: '', headersSize: -1, bodySize: -1 },
  });
  const har = path.join(dir, 't.har');
  fs.writeFileSync(har, JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [
    entry('POST', 'http://127.0.0.1:9/api/users', 201, '{"id":4711}', 0),
    entry('GET', 'http://127.0.0.1:9/api/orders?q=a+b&owner=4711&x=%24%7By%7D&flag', 200, '{"n":1}', 1),
  ] } }));
  await importHar(har, path.join(dir, 't.db'));
  const db = await TrafficDb.open(path.join(dir, 't.db'));
  t.after(() => db.close());
  const steps = learn(db).scenarios.flatMap((s) => s.steps).filter((s) => s.endpoint === 'GET /api/orders');
  assert.equal(steps.length, 1);
  const [owner] = steps[0].search!.filter((p) => typeof p === 'object');
  assert.ok(owner && 'variable' in owner, JSON.stringify(steps[0].search));
  assert.deepEqual(steps[0].search, ['?q=a+b&owner=', owner, '&x=%24%7By%7D&flag']);
});

test('a small stable text body is expected whole; a volatile, differing, long or non-UTF-8 one is not', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-learn-text-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let at = 0;
  const entry = (method: string, url: string, status: number, contentType: string, body: string): unknown => ({
    startedDateTime: new Date(Date.UTC(2024, 4, 1, 10, 0, at++)).toISOString(), time: 1, cache: {}, timings: { send: 0, wait: 1, receive: 0 },
    request: { method, url, httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
    response: { status, statusText: '', httpVersion: 'HTTP/1.1', headers: [{ name: 'content-type', value: contentType }], cookies: [], content: { size: body.length, mimeType: contentType, text: body }, redirectURL: '', headersSize: -1, bodySize: -1 },
  });
  const base = 'http://127.0.0.1:9';
  const har = path.join(dir, 't.har');
  fs.writeFileSync(har, JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [
    entry('GET', `${base}/motd`, 200, 'text/plain; charset=utf-8', 'Hello, "wörld"\n'),
    entry('GET', `${base}/page`, 200, 'text/html', '<p>3 open</p>'),
    entry('GET', `${base}/clock`, 200, 'text/plain', 'now 2024-05-01 10:00'),
    entry('GET', `${base}/epoch`, 200, 'text/plain', 'since 1714557600123'),
    entry('GET', `${base}/form`, 200, 'text/html', '<input name="csrf" value="Zx81kq0PmW2vY7sLr4Tn">'),
    entry('GET', `${base}/guid`, 200, 'text/plain', 'request 0b0e5a1c-31d4-4b8f-9a51-0e2c3f7d9a10 done'),
    entry('GET', `${base}/counter`, 200, 'text/plain', 'visits: 1'),
    entry('GET', `${base}/counter`, 200, 'text/plain', 'visits: 2'),
    entry('GET', `${base}/latin`, 200, 'text/plain; charset=iso-8859-1', 'abc'),
    entry('GET', `${base}/long`, 200, 'text/plain', 'x'.repeat(3000)),
    entry('GET', `${base}/blob`, 200, 'application/octet-stream', 'abc'),
    entry('POST', `${base}/tickets`, 201, 'text/plain', 'created ticket 17'),
    entry('POST', `${base}/ping`, 200, 'text/plain', 'pong'),
    entry('POST', `${base}/api/users`, 201, 'application/json', '{"id":4711}'),
    entry('GET', `${base}/api/users/4711/card`, 200, 'text/plain', 'card of user 4711'),
  ] } }));
  await importHar(har, path.join(dir, 't.db'));
  const db = await TrafficDb.open(path.join(dir, 't.db'));
  t.after(() => db.close());
  const steps = learn(db).scenarios.flatMap((s) => s.steps);
  const step = (p: string): (typeof steps)[number] => {
    const found = steps.find((s) => s.path.map((x) => (typeof x === 'string' ? x : '{}')).join('').endsWith(p));
    assert.ok(found, `no step for ${p}: ${steps.map((s) => s.endpoint).join(', ')}`);
    return found;
  };
  const why = (p: string): string | undefined => step(p).expect.noise.find((n) => n.pointer === '(text body)')?.why;
  assert.equal(step('/motd').expect.text, 'Hello, "wörld"\n');
  assert.equal(step('/page').expect.text, '<p>3 open</p>');
  assert.equal(step('/ping').expect.text, 'pong');
  for (const [p, reason] of [['/clock', /timestamp/], ['/epoch', /time value/], ['/form', /token/], ['/guid', /generated id/], ['/counter', /differed/], ['/long', /longer than 2048/], ['/card', /chained value/], ['/tickets', /POST/]] as const) {
    assert.equal(step(p).expect.text, undefined, p);
    assert.match(why(p) ?? '', reason, p);
  }
  for (const p of ['/latin', '/blob']) {
    assert.equal(step(p).expect.text, undefined, p);
    assert.equal(why(p), undefined, p);
  }
});
