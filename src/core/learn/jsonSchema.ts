/**
 * JSON Schema (2020-12 subset) inferred from sample values and merged across samples: a field present in every
 * sample is required, one missing from some is optional; types widen (integer + number → number, x + null →
 * [x, null]); string formats (date-time, date, uuid, email, uri) are kept only when every sample has them.
 */

export type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';
export type StringFormat = 'date-time' | 'date' | 'uuid' | 'email' | 'uri';

export interface JsonSchema {
  type?: JsonType | JsonType[];
  format?: StringFormat;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const URI = /^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i;

export function stringFormat(s: string): StringFormat | undefined {
  if (DATE_TIME.test(s) && !Number.isNaN(Date.parse(s))) return 'date-time';
  if (DATE.test(s)) return 'date';
  if (UUID.test(s)) return 'uuid';
  if (EMAIL.test(s)) return 'email';
  if (URI.test(s)) return 'uri';
  return undefined;
}

export function jsonTypeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  return 'object';
}

export function inferSchema(value: unknown): JsonSchema {
  const type = jsonTypeOf(value);
  if (type === 'string') {
    const format = stringFormat(value as string);
    return format ? { type, format } : { type };
  }
  if (type === 'array') {
    const items = (value as unknown[]).map(inferSchema).reduce<JsonSchema | undefined>((a, b) => (a ? mergeSchemas(a, b) : b), undefined);
    return items ? { type, items } : { type };
  }
  if (type === 'object') {
    const properties: Record<string, JsonSchema> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) properties[k] = inferSchema(v);
    return { type, properties, required: Object.keys(properties) };
  }
  return { type };
}

function types(s: JsonSchema): JsonType[] {
  return s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
}

const ORDER: JsonType[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

/** The schema that accepts everything either accepts (as far as this subset can say). */
export function mergeSchemas(a: JsonSchema, b: JsonSchema): JsonSchema {
  const set = new Set([...types(a), ...types(b)]);
  if (set.has('number')) set.delete('integer');
  const merged = ORDER.filter((t) => set.has(t));
  const out: JsonSchema = {};
  if (merged.length) out.type = merged.length === 1 ? merged[0] : merged;
  if (set.has('string') && a.format && a.format === b.format) out.format = a.format;
  else if (set.has('string') && !types(a).includes('string') && b.format) out.format = b.format;
  else if (set.has('string') && !types(b).includes('string') && a.format) out.format = a.format;
  if (set.has('array')) {
    const items = a.items && b.items ? mergeSchemas(a.items, b.items) : (a.items ?? b.items);
    if (items) out.items = items;
  }
  if (set.has('object')) {
    const ap = a.properties ?? {};
    const bp = b.properties ?? {};
    const properties: Record<string, JsonSchema> = {};
    for (const k of new Set([...Object.keys(ap), ...Object.keys(bp)])) properties[k] = ap[k] && bp[k] ? mergeSchemas(ap[k], bp[k]) : (ap[k] ?? bp[k]);
    out.properties = properties;
    // Required only where both sides are objects that require it: a side that is not an object says nothing.
    const aObj = types(a).includes('object');
    const bObj = types(b).includes('object');
    const ar = new Set(a.required ?? []);
    const br = new Set(b.required ?? []);
    out.required = Object.keys(properties).filter((k) => (!aObj || ar.has(k)) && (!bObj || br.has(k)));
  }
  return out;
}

/** Every field path of a schema with its type, for display: `items[].email: string (email)`. */
export function describeSchema(s: JsonSchema, prefix = ''): string[] {
  const t = types(s).join('|') || 'any';
  const lines: string[] = [];
  if (s.properties) {
    for (const [k, v] of Object.entries(s.properties)) {
      const name = `${prefix}${prefix ? '.' : ''}${k}${s.required?.includes(k) ? '' : '?'}`;
      lines.push(...describeSchema(v, name));
    }
    if (!prefix) return lines;
    if (!Object.keys(s.properties).length) lines.push(`${prefix}: ${t}`);
    return lines;
  }
  if (s.items) return describeSchema(s.items, `${prefix}[]`);
  lines.push(`${prefix || '(body)'}: ${t}${s.format ? ` (${s.format})` : ''}`);
  return lines;
}
