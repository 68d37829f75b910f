/**
 * fast-check arbitraries from JSON schemas: valid values (types, enums, formats, bounds, required fields, with the
 * boundaries drawn often), and invalid variants for negative checks (wrong type, missing required field, out of
 * range). Compact on purpose: the learned schemas are a small subset (type, format, properties, required, items),
 * and an imported OpenAPI adds enum and bounds. (npm's json-schema-fast-check is at 0.0.6, for fast-check 2.)
 */
import fc from 'fast-check';
import type { JsonSchema } from '../learn/jsonSchema';

/** The learned subset plus the keywords an imported schema may carry. */
export interface SchemaLike extends Omit<JsonSchema, 'properties' | 'items' | 'format'> {
  format?: string;
  properties?: Record<string, SchemaLike>;
  items?: SchemaLike;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

const MAX_DEPTH = 4;
const WORD = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 1, maxLength: 10 });

export function typesOf(s: SchemaLike): string[] {
  return s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
}

/** A number range with its ends drawn often (boundaries find off-by-one bugs). */
function withBounds<T>(arb: fc.Arbitrary<T>, ends: T[]): fc.Arbitrary<T> {
  return ends.length ? fc.oneof({ arbitrary: arb, weight: 4 }, { arbitrary: fc.constantFrom(...ends), weight: 1 }) : arb;
}

function stringOf(s: SchemaLike): fc.Arbitrary<string> {
  switch (s.format) {
    case 'date-time':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    case 'date':
      return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case 'uuid':
      return fc.uuid();
    case 'email':
      return WORD.map((w) => `${w}@example.com`);
    case 'uri':
      return WORD.map((w) => `https://example.com/${w}`);
  }
  // Learned strings were never empty as far as we know: at least one character unless the schema says otherwise.
  const min = s.minLength ?? 1;
  const max = Math.max(min, s.maxLength ?? min + 20);
  return fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_'), minLength: min, maxLength: max });
}

function integerOf(s: SchemaLike): fc.Arbitrary<number> {
  const min = s.minimum ?? 0;
  const max = s.maximum ?? Math.max(min, 0) + 10_000;
  return withBounds(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), [Math.ceil(min), Math.floor(max)]);
}

function numberOf(s: SchemaLike): fc.Arbitrary<number> {
  const min = s.minimum ?? 0;
  const max = s.maximum ?? min + 10_000;
  // Two decimals: what money and measures look like, and what every JSON parser reads back exactly.
  return withBounds(fc.integer({ min: Math.ceil(min * 100), max: Math.floor(max * 100) }).map((n) => n / 100), [min, max]);
}

function ofType(type: string, s: SchemaLike, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return integerOf(s);
    case 'number':
      return numberOf(s);
    case 'string':
      return stringOf(s);
    case 'array': {
      if (!s.items || depth >= MAX_DEPTH) return fc.constant([]);
      const minLength = s.minItems ?? 0;
      return fc.array(validValue(s.items, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(s.maxItems ?? 3, 3)) });
    }
    default:
      return objectOf(s, depth);
  }
}

function objectOf(s: SchemaLike, depth: number): fc.Arbitrary<unknown> {
  const props = Object.entries(s.properties ?? {});
  if (!props.length || depth >= MAX_DEPTH) return fc.constant({});
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, v] of props) model[k] = validValue(v, depth + 1);
  const required = (s.required ?? []).filter((k) => k in model);
  return fc.record(model, { requiredKeys: required });
}

/** Values the schema accepts. */
export function validValue(s: SchemaLike, depth = 0): fc.Arbitrary<unknown> {
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const types = typesOf(s);
  if (!types.length) return fc.oneof(WORD, fc.integer({ min: 0, max: 1000 }), fc.boolean());
  return types.length === 1 ? ofType(types[0], s, depth) : fc.oneof(...types.map((t) => ofType(t, s, depth)));
}

/** A value of another JSON type than the schema allows (integer fields get a fraction, a string gets a number…). */
export function wrongTypeValue(s: SchemaLike): unknown {
  const types = typesOf(s);
  const candidates: unknown[] = [12345, 'not-a-number', true, [1, 2], { unexpected: 1 }, 1.5];
  const fits = (v: unknown): boolean => types.some((t) => {
    if (t === 'integer') return Number.isInteger(v);
    if (t === 'number') return typeof v === 'number';
    if (t === 'array') return Array.isArray(v);
    if (t === 'object') return typeof v === 'object' && v !== null && !Array.isArray(v);
    if (t === 'null') return v === null;
    return typeof v === t;
  });
  return candidates.find((v) => !fits(v)) ?? null;
}

export interface Invalid {
  value: unknown;
  /** "/price: wrong type", "missing required /name", "/quantity below its minimum 1". */
  why: string;
}

/** The ways to break a valid value, each with a reason; empty when the schema says too little to break it. */
export function breakings(s: SchemaLike, valid: unknown): Invalid[] {
  const out: Invalid[] = [];
  const types = typesOf(s);
  if (types.length && !types.includes('object') && !types.includes('array')) return out;
  if (types.includes('object') && valid && typeof valid === 'object' && !Array.isArray(valid)) {
    out.push({ value: ['not', 'an', 'object'], why: 'the body is an array, not an object' });
    const obj = valid as Record<string, unknown>;
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      if (typesOf(prop).length) out.push({ value: { ...obj, [k]: wrongTypeValue(prop) }, why: `/${k}: wrong type` });
      if (prop.minimum !== undefined) out.push({ value: { ...obj, [k]: prop.minimum - 1 }, why: `/${k} below its minimum ${prop.minimum}` });
      if (prop.maximum !== undefined) out.push({ value: { ...obj, [k]: prop.maximum + 1 }, why: `/${k} above its maximum ${prop.maximum}` });
      if (prop.maxLength !== undefined) out.push({ value: { ...obj, [k]: 'x'.repeat(prop.maxLength + 1) }, why: `/${k} longer than ${prop.maxLength}` });
      if (prop.enum?.length) out.push({ value: { ...obj, [k]: 'not-one-of-the-values' }, why: `/${k} not one of its values` });
    }
    for (const k of s.required ?? []) {
      const { [k]: _gone, ...rest } = obj;
      out.push({ value: rest, why: `missing required /${k}` });
    }
  }
  return out;
}

/** Invalid values: a valid one, broken one way. `strict` is the schema to break (confident `required` only). */
export function invalidValue(generate: SchemaLike, strict: SchemaLike): fc.Arbitrary<Invalid> | undefined {
  const probe = breakings(strict, objectProbe(strict));
  if (!probe.length) return undefined;
  return fc.tuple(validValue(generate), fc.nat()).map(([v, n]) => {
    const ways = breakings(strict, v);
    return ways.length ? ways[n % ways.length] : { value: ['not', 'an', 'object'], why: 'the body is an array, not an object' };
  });
}

/** A stand-in object to ask `breakings` whether a schema can be broken at all. */
function objectProbe(s: SchemaLike): unknown {
  return typesOf(s).includes('object') ? {} : undefined;
}

/** A valid object with one field the schema does not know: servers should ignore or reject it, not fail. */
export function withUnexpectedField(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, WORD, fc.oneof(WORD, fc.integer(), fc.boolean(), fc.constant(null))).map(([v, key, value]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>), [`unexpected_${key}`]: value } : v);
}
