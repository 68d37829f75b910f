/**
 * The arbitraries from JSON schemas, judged by ajv: every valid value fits the schema, every invalid variant does
 * not; a learned `required` counts for negative data only with enough samples; the HTTP invariants.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Ajv from 'ajv';
import fc from 'fast-check';
import { stringFormat } from '../../src/core/learn/jsonSchema';
import { invalidValue, validValue, type SchemaLike } from '../../src/core/properties/arbitraries';
import { errorRateBelow, latencyBounded, resolveInvariants } from '../../src/core/properties/invariants';
import { CONFIDENT_SAMPLES, confidentSchema } from '../../src/core/properties/plan';
import type { InvariantContext, Step } from '../../src/core/properties/types';

const SCHEMA: SchemaLike = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 2, maxLength: 8 },
    price: { type: 'integer', minimum: 1, maximum: 500 },
    ratio: { type: 'number' },
    kind: { enum: ['book', 'lamp'] },
    email: { type: 'string', format: 'email' },
    at: { type: 'string', format: 'date-time' },
    id: { type: 'string', format: 'uuid' },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
    note: { type: ['string', 'null'] },
    owner: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
  },
  required: ['name', 'price', 'kind'],
};

/** Formats are checked by learn's own detector (the one that learned them), the rest by ajv. */
function ajv(): Ajv {
  return new Ajv({ strict: false, validateFormats: false });
}

test('valid values fit the schema: types, bounds, enums, formats, required fields', () => {
  const validate = ajv().compile(SCHEMA);
  fc.assert(fc.property(validValue(SCHEMA), (v) => {
    assert.ok(validate(v), `${JSON.stringify(v)}: ${JSON.stringify(validate.errors)}`);
    const o = v as Record<string, string>;
    for (const [k, format] of [['email', 'email'], ['at', 'date-time'], ['id', 'uuid']]) if (k in o) assert.equal(stringFormat(o[k]), format, o[k]);
  }), { numRuns: 500, seed: 1 });
});

test('boundaries are drawn: the minimum and maximum of a range both appear', () => {
  const seen = new Set(fc.sample(validValue({ type: 'integer', minimum: 1, maximum: 500 }), { numRuns: 300, seed: 2 }));
  assert.ok(seen.has(1) && seen.has(500), [...seen].slice(0, 20).join(','));
});

test('every invalid variant breaks the schema, and each way of breaking it is drawn', () => {
  const validate = ajv().compile(SCHEMA);
  const whys = new Set<string>();
  fc.assert(fc.property(invalidValue(SCHEMA, SCHEMA)!, (inv) => {
    whys.add(inv.why.replace(/\/\w+/, '/x'));
    assert.equal(validate(inv.value), false, `${inv.why}: ${JSON.stringify(inv.value)} passed`);
  }), { numRuns: 500, seed: 3 });
  for (const why of ['/x: wrong type', 'missing required /x', '/x below its minimum 1', '/x above its maximum 500', '/x longer than 8', '/x not one of its values', 'the body is an array, not an object']) {
    assert.ok(whys.has(why), `${why} not drawn: ${[...whys].join('; ')}`);
  }
});

test('a learned required field is used for negative data only when enough samples had it', () => {
  const learned: SchemaLike = { type: 'object', properties: { a: { type: 'string', format: 'email' } }, required: ['a'] };
  assert.equal(confidentSchema(learned, CONFIDENT_SAMPLES - 1).required, undefined);
  assert.deepEqual(confidentSchema(learned, CONFIDENT_SAMPLES).required, ['a']);
  assert.equal(confidentSchema(learned, 10).properties!.a.format, undefined, 'formats are learned from few samples: not judged');
  assert.equal(invalidValue(learned, { type: 'string' }), undefined, 'a string body cannot be broken by field');
});

function step(status: number | null, latencyMs: number): Step {
  return { endpoint: 'GET /x', method: 'GET', path: '/x', headers: [], status, latencyMs };
}

function ctx(steps: Step[]): InvariantContext {
  return { target: new URL('http://127.0.0.1:1'), steps, options: {} as never, seed: 1, send: () => Promise.reject(new Error('unused')) };
}

test('latency_bounded and error_rate_below judge the run, with the worst request as the example', async () => {
  const steps = [...Array.from({ length: 98 }, () => step(200, 5)), step(500, 900), step(null, 7)];
  const slow = await latencyBounded(100).run(ctx(steps));
  assert.equal(slow.outcome.passed, false);
  assert.equal(slow.violations[0].minimalExample[0].latencyMs, 900);
  assert.match(slow.outcome.summary, /^p99 900 ms > 100 ms over 99 requests/);
  assert.equal((await latencyBounded(1000).run(ctx(steps))).outcome.passed, true);
  const errors = await errorRateBelow(0.01).run(ctx(steps));
  assert.equal(errors.outcome.passed, false);
  assert.match(errors.outcome.summary, /^2 of 100 requests failed/);
  assert.equal((await errorRateBelow(0.05).run(ctx(steps))).outcome.passed, true);
  assert.deepEqual((await resolveInvariants(['latency_bounded=250', 'error_rate_below=0.2'])).map((i) => i.name), ['latency_bounded', 'error_rate_below']);
  await assert.rejects(() => resolveInvariants(['error_rate_below=3']), /fraction between 0 and 1/);
  await assert.rejects(() => resolveInvariants(['cache_consistency'], '/nonexistent'), /cache_consistency needs its options/);
  await assert.rejects(() => resolveInvariants(['no_such_invariant'], '/nonexistent'), /not known/);
  // Options inline: each field is checked, the error names the invariant and the field.
  await assert.rejects(() => resolveInvariants(["cache_consistency={read: {path: '/a/{id}'}, write: {path: '/a/{id}'}, ids: [1], truth: {request: {path: 'a'}}}"]), /cache_consistency options truth request: 'path' must start with \//);
  await assert.rejects(() => resolveInvariants(["transaction_atomicity={proxy: {api: '127.0.0.1:8474', name: pg}, database: 'postgres://x@127.0.0.1/db', sum: 'SELECT 1', transfer: {path: /t}}"]), /transaction_atomicity options: resets mid-transaction need a proxy the invariant starts itself/);
  await assert.rejects(() => resolveInvariants(['queue_message_preservation=/nonexistent/q.yaml']), /cannot read the options file \(no such file or folder\)/);
  const inline = await resolveInvariants(["cache_consistency={read: {path: '/a/{id}'}, write: {path: '/a/{id}', body: {v: '{value}'}}, ids: [1], truth: {request: {path: '/t/{id}'}}}"]);
  assert.deepEqual(inline.map((i) => i.name), ['cache_consistency']);
});
