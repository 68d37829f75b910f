/**
 * Text from traffic (JSON keys, methods, field names, paths) reaches the generated suites' comments, docstrings and
 * literals: it must stay text in every language. The suites themselves run in test/integration/generate-injection.test.ts.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIALECTS, pythonPytest, typescriptNode } from '../../src/core/generate/dialects';
import { renderSuite } from '../../src/core/generate/generate';
import { actionName } from '../../src/core/learn/learn';
import type { BehaviourModel, Step } from '../../src/core/learn/model';

/** Breaks out of a line comment, a docstring or a block comment, and carries a Java \u escape. */
const HOSTILE = 'k\nINJECTED();\r\nINJECTED2();\u2028INJECTED3(); */ """ \\u000a \u0000 \ufeff';

function step(overrides: Partial<Step> = {}): Step {
  return {
    name: 'get_thing',
    exchangeId: 1,
    endpoint: 'GET /api/thing',
    method: 'GET',
    path: ['/api/thing'],
    query: [],
    headers: [],
    body: null,
    expect: { status: 200, contentType: 'application/json', values: [{ pointer: '/ok', value: true }], noise: [] },
    captures: [],
    ...overrides,
  };
}

export function model(steps: Step[], extra: Partial<BehaviourModel> = {}): BehaviourModel {
  return {
    version: 1,
    source: { database: null, exchanges: steps.length, used: steps.length, skipped: {} },
    baseUrl: 'http://127.0.0.1:9',
    endpoints: [],
    scenarios: steps.map((s, i) => ({ name: `${s.name}_${i}`, kind: 'single', steps: [s], samples: 1 })),
    env: [],
    noiseHeaders: [],
    ...extra,
  };
}

/** Lines of the generated file that begin with injected code (after indentation). */
function injectedLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => /^\s*INJECTED/.test(line));
}

test('every dialect: a comment holds any text on one line, with nothing the language reads as code', () => {
  for (const d of DIALECTS) {
    const c = d.comment(HOSTILE);
    assert.equal(c.split(/[\n\r\u2028\u2029]/).length, 1, `${d.id}: one line`);
    assert.match(c, d.language === 'python' ? /^# / : /^\/\/ /, d.id);
    assert.ok(!c.includes('\\u'), `${d.id}: no \\u escape (javac decodes those inside comments)`);
    assert.ok(!/[\u0000\ufeff]/.test(c), `${d.id}: no NUL or BOM (Go and Python refuse them in source)`);
  }
});

test('every dialect: a noise field whose JSON key breaks lines stays inside its comment', () => {
  const noisy = step({ expect: { status: 200, contentType: 'application/json', values: [], noise: [{ pointer: `/${HOSTILE}`, why: 'a timestamp: differs on every run' }] } });
  for (const d of DIALECTS) {
    const text = renderSuite(d, model([noisy]), 'traffic.db');
    assert.deepEqual(injectedLines(text), [], d.id);
    assert.match(text, /not asserted: \/k INJECTED\(\);/, `${d.id}: the comment is still written`);
  }
});

test('every dialect: an HTTP method with code in it stays in its string literal, title and docstring', () => {
  const method = `GET("http://127.0.0.1:9") if __import__("os").system("true") == 0 else requests.GET\n${HOSTILE}`;
  const hostile = step({ method, name: actionName(method, '/api/thing') });
  for (const d of DIALECTS) {
    const text = renderSuite(d, model([hostile]), 'traffic.db');
    assert.deepEqual(injectedLines(text), [], d.id);
  }
  const python = renderSuite(pythonPytest, model([hostile]), 'traffic.db');
  assert.ok(!/requests\.get\("http/i.test(python), 'the method is never part of a function name');
  assert.match(python, /r = requests\.request\(\n {8}"GET\(\\"http/);
  assert.equal(actionName(method, '/api/thing'), 'request_thing');
  assert.equal(actionName('M-SEARCH', '/api/thing'), 'm_search_thing');
});

test('python: requests.get … for the seven methods requests has a function for, requests.request("PURGE", …) for others', () => {
  const steps = ['GET', 'HEAD', 'OPTIONS', 'PURGE', 'PROPFIND', 'get'].map((method) => step({ method, name: actionName(method, '/api/thing') }));
  const text = renderSuite(pythonPytest, model(steps), 'traffic.db');
  assert.match(text, /r = requests\.get\(/);
  assert.match(text, /r = requests\.head\(/);
  assert.match(text, /r = requests\.options\(/);
  assert.match(text, /r = requests\.request\(\n {8}"PURGE",/);
  assert.match(text, /r = requests\.request\(\n {8}"PROPFIND",/);
  assert.match(text, /r = requests\.request\(\n {8}"get",/, 'a lower-case method is sent as recorded');
  assert.ok(!/requests\.(purge|propfind)\(/.test(text));
});

test('every dialect: the header (database path, redacted field names) cannot end its docstring or comment block', () => {
  const field = `password"""\nINJECTED_PY()\n""" */ INJECTED_TS(); /*\n${HOSTILE}`;
  const env = [{ name: 'CHAOS_SECRET_PASSWORD', description: `the ${field} sent in the captured traffic, redacted at capture (0123abcd)` }];
  for (const d of DIALECTS) {
    const text = renderSuite(d, model([step()], { env }), `it's/"""*/\n${HOSTILE}.db`);
    assert.deepEqual(injectedLines(text), [], d.id);
    const header = text.slice(0, text.indexOf('Values that differ'));
    if (d.language === 'python') assert.equal(header.split('"""').length, 2, 'python: only the docstring opens');
    if (d.language === 'typescript' || d.language === 'java') assert.ok(!header.includes('*/'), `${d.id}: the block stays open until its end`);
    assert.match(header, /CHAOS_SECRET_PASSWORD: the password/, `${d.id}: the description is still written`);
  }
});

test('every dialect: spaces before U+2028 and U+2029 in an expected string stay (only trailing spaces of real lines go)', () => {
  const value = 'a \u2028b \u2029c';
  const text = (d: (typeof DIALECTS)[number]): string => renderSuite(d, model([step({ expect: { status: 200, contentType: 'application/json', values: [{ pointer: '/s', value }], noise: [] } })]), 'traffic.db');
  for (const d of DIALECTS) assert.ok(text(d).includes(d.literal(value).replace(/^Value::from\(|\)$/g, '')), d.id);
});

test('typescript: a __proto__ key of a JSON body is written as a computed key (a plain one would set the prototype)', () => {
  assert.equal(typescriptNode.json({ __proto__x: 1 }), '{ __proto__x: 1 }');
  const body = JSON.parse('{"__proto__":{"admin":true},"name":"x"}') as unknown;
  const literal = typescriptNode.json(body);
  assert.equal(literal, '{ ["__proto__"]: { admin: true }, name: "x" }');
  assert.deepEqual(Object.keys(new Function(`return ${literal}`)() as object), ['__proto__', 'name']);
});

test('typescript: the database path names the describe block as a string literal, whatever quotes it holds', () => {
  for (const d of DIALECTS.filter((x) => x.language === 'typescript')) {
    const text = renderSuite(d, model([step()]), `../it's "q"/\`x\`/traffic.db`);
    assert.match(text, /^describe\("\.\.\/it's \\"q\\"\/`x`\/traffic\.db", \(\) => \{$/m, d.id);
  }
});
