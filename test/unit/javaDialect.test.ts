/**
 * How the Java dialect spells strings, numbers, names and request bodies (src/core/generate/dialects/java.ts).
 * The generated suite itself is compiled and run in test/integration/generate.test.ts.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaJunit5 as d, javaNumber, javaString } from '../../src/core/generate/dialects/java';

test('java strings: quotes, backslashes and control characters escaped, never a \\u escape javac would pre-read', () => {
  assert.equal(javaString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(javaString('x\ny\r\tz'), '"x\\ny\\r\\tz"');
  assert.equal(javaString('\u0001\u007f'), '"\\001\\177"');
  assert.equal(javaString('\\u000a'), '"\\\\u000a"', 'a literal backslash-u stays two characters');
  assert.equal(javaString('é → 😀'), '"é → 😀"');
});

test('java numbers: integral values as Long, the others as Double (as the embedded parser decodes them)', () => {
  assert.equal(javaNumber(3), '3L');
  assert.equal(javaNumber(-42), '-42L');
  assert.equal(javaNumber(0.5), '0.5d');
  assert.equal(javaNumber(1e21), '1e+21d');
  assert.equal(d.literal('Ada'), '"Ada"');
  assert.equal(d.literal(null), 'null');
  assert.equal(d.literal(true), 'true');
});

test('java names: camelCase methods and variables, keywords and helper names avoided', () => {
  assert.equal(d.testName('get_user_by_id_returns_200'), 'getUserByIdReturns200');
  assert.equal(d.testName('404_page'), 'test404Page');
  assert.equal(d.variable('user_id'), 'userId');
  assert.equal(d.variable('class'), 'classValue');
  assert.equal(d.variable('body'), 'bodyValue');
  assert.equal(d.variable('BASE_URL'), 'BASE_URL');
});

test('java expressions and bodies: variables through String.valueOf in strings, as objects in JSON', () => {
  assert.equal(d.expr(['/api/users']), '"/api/users"');
  assert.equal(d.expr([{ variable: 'BASE_URL' }, '/api/users/', { variable: 'userId' }]), 'BASE_URL + "/api/users/" + String.valueOf(userId)');
  assert.equal(d.expr(['Bearer ', { env: 'CHAOS_SECRET_TOKEN' }]), '"Bearer " + env("CHAOS_SECRET_TOKEN")');
  assert.equal(
    d.json({ userId: { $var: 'user_id' }, qty: 1, price: 2.5, ok: true, note: null, password: { $env: 'CHAOS_SECRET_PASSWORD' }, tags: [null], greeting: { $concat: ['hi ', { $var: 'name' }] } }),
    'Json.object("userId", userId, "qty", 1L, "price", 2.5d, "ok", true, "note", null, "password", env("CHAOS_SECRET_PASSWORD"), "tags", Json.array((Object) null), "greeting", "hi " + String.valueOf(name))',
  );
  assert.equal(d.json([]), 'Json.array()');
  assert.equal(d.json({}), 'Json.object()');
  assert.equal(d.schema({ type: 'object', required: ['id'] }), 'Json.parse("{\\"type\\":\\"object\\",\\"required\\":[\\"id\\"]}")');
});
