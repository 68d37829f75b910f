/**
 * Toxics, modelled on Toxiproxy's: a toxic is data (name, type, stream, toxicity, attributes, optional match),
 * validated in one place. Byte-level types get a Transform each (transforms.ts) and work on the TCP proxy and on
 * HTTP bodies; http_* types understand HTTP and work on the HTTP proxy only (httpFaults.ts). The runner, not the
 * toxic, applies toxicity, direction and match, as Toxiproxy's ToxicStub.Run does.
 *
 * Units follow Toxiproxy: latency, jitter, timeouts and delays in milliseconds, bandwidth `rate` in KB/s
 * (1 KB = 1000 bytes), slicer `delay` in microseconds, byte counts in bytes.
 */
import picomatch from 'picomatch';
import { InputError } from '../errors';

export { createToxicTransform, type LinkControl } from './transforms';

export type Stream = 'upstream' | 'downstream';
export const BYTE_TOXIC_TYPES = ['latency', 'bandwidth', 'reset_peer', 'timeout', 'slicer', 'limit_data', 'slow_close'] as const;
export const HTTP_TOXIC_TYPES = ['http_abort', 'http_delay', 'http_body', 'http_header'] as const;
export const TOXIC_TYPES = [...BYTE_TOXIC_TYPES, ...HTTP_TOXIC_TYPES] as const;
export type ToxicType = (typeof TOXIC_TYPES)[number];

/** Numbers for quantities, strings for names, values and modes; each attribute has one kind (ATTRIBUTES). */
export type AttributeValue = number | string;

/** Which requests a toxic applies to (HTTP proxy only); absent fields match everything. */
export interface ToxicMatch {
  /** Upper case, e.g. GET. */
  method?: string;
  /** A picomatch glob over the path without the query, e.g. /api/**. */
  path?: string;
}

export interface Toxic {
  name: string;
  type: ToxicType;
  /** upstream: client → backend (the request); downstream: backend → client (the response). */
  stream: Stream;
  /** Probability 0..1, drawn once per connection (TCP) or per request (HTTP). */
  toxicity: number;
  attributes: Record<string, AttributeValue>;
  match?: ToxicMatch;
}

type AttributeSpec =
  | { kind: 'number'; default: number; unit: string; integer?: boolean; min?: number; max?: number }
  | { kind: 'string'; default: string; what: string; check?: (v: string) => string | null }
  | { kind: 'choice'; default: string; choices: readonly string[] };

const num = (unit: string, extra: { integer?: boolean; default?: number; min?: number; max?: number } = {}): AttributeSpec => ({ kind: 'number', default: 0, unit, ...extra });

// Headers that frame the message: changing them would break the exchange rather than fault it.
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer', 'te']);

function checkHeaderName(v: string): string | null {
  if (v === '') return null; // missing: parseToxic says the attribute is needed
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)) return 'must be a header name, e.g. X-Request-Id';
  if (FRAMING_HEADERS.has(v.toLowerCase())) return `cannot be ${v}: it frames the message (use http_body to change a body)`;
  return null;
}

/** Each type's attributes: default and what the value means (for the error line). */
const ATTRIBUTES: Record<ToxicType, Record<string, AttributeSpec>> = {
  latency: { latency: num('milliseconds'), jitter: num('milliseconds') },
  bandwidth: { rate: num('KB/s (0 = unlimited)') },
  reset_peer: { timeout: num('milliseconds') },
  timeout: { timeout: num('milliseconds (0 = hold forever)') },
  slicer: { average_size: num('bytes', { integer: true }), size_variation: num('bytes', { integer: true }), delay: num('microseconds') },
  limit_data: { bytes: num('bytes', { integer: true }) },
  slow_close: { delay: num('milliseconds') },
  http_abort: {
    status: num('', { integer: true, default: 503, min: 200, max: 599 }),
    body: { kind: 'string', default: '', what: 'the response body' },
  },
  http_delay: { delay: num('milliseconds'), jitter: num('milliseconds') },
  http_body: {
    mode: { kind: 'choice', default: 'truncate', choices: ['truncate', 'corrupt'] },
    bytes: num('bytes', { integer: true }),
    fraction: num('', { max: 1 }),
    seed: num('', { integer: true, max: 2 ** 32 - 1 }),
  },
  http_header: {
    action: { kind: 'choice', default: 'set', choices: ['set', 'replace', 'remove'] },
    header: { kind: 'string', default: '', what: 'a header name, e.g. X-Request-Id', check: checkHeaderName },
    value: { kind: 'string', default: '', what: 'the header value', check: (v) => (/^[\t\x20-\x7e\x80-\xff]*$/.test(v) ? null : 'must not hold line breaks or control characters') },
  },
};

export function isHttpToxic(type: ToxicType): boolean {
  return type.startsWith('http_');
}

/** The kind of an attribute (for the CLI, which gets every value as text); undefined for an unknown one. */
export function attributeKind(type: string, key: string): 'number' | 'string' | undefined {
  const spec = (ATTRIBUTES as Record<string, Record<string, AttributeSpec> | undefined>)[type]?.[key];
  return spec === undefined ? undefined : spec.kind === 'number' ? 'number' : 'string';
}

export function parseStream(value: unknown, where: string): Stream {
  if (value === undefined) return 'downstream';
  if (value === 'upstream' || value === 'downstream') return value;
  throw new InputError(`${where}: stream must be 'upstream' or 'downstream', not '${String(value)}'`);
}

/** Validates a match object: method a token (kept upper case), path a glob picomatch compiles. */
export function parseMatch(value: unknown, where: string): ToxicMatch | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${where}: match must be an object like {"method": "GET", "path": "/api/**"}`);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== 'method' && key !== 'path') throw new InputError(`${where}: match has no field '${key}'; it takes: method, path`);
  const match: ToxicMatch = {};
  if (o.method !== undefined) {
    if (typeof o.method !== 'string' || !/^[A-Za-z]{1,20}$/.test(o.method)) throw new InputError(`${where}: match method '${String(o.method)}' must be an HTTP method, e.g. GET`);
    match.method = o.method.toUpperCase();
  }
  if (o.path !== undefined) {
    if (typeof o.path !== 'string' || !/^[/*]/.test(o.path)) throw new InputError(`${where}: match path '${String(o.path)}' must be a glob starting with / or *, e.g. /api/**`);
    try {
      pathMatcher(o.path);
    } catch (e) {
      throw new InputError(`${where}: match path '${o.path}' is not a valid glob (${(e as Error).message.split('\n')[0]})`);
    }
    match.path = o.path;
  }
  return match.method === undefined && match.path === undefined ? undefined : match;
}

/** The compiled form of a match path (strict: an unclosed bracket or brace is an error, not a literal). */
export function pathMatcher(glob: string): (path: string) => boolean {
  return picomatch(glob, { dot: true, strictBrackets: true });
}

function parseAttribute(spec: AttributeSpec, key: string, value: unknown, where: string): AttributeValue {
  const v = value ?? spec.default;
  if (spec.kind === 'choice') {
    if (typeof v !== 'string' || !spec.choices.includes(v)) throw new InputError(`${where}: ${key} must be one of ${spec.choices.join(', ')}, not '${String(v)}'`);
    return v;
  }
  if (spec.kind === 'string') {
    if (typeof v !== 'string') throw new InputError(`${where}: ${key} must be a string (${spec.what})`);
    const problem = spec.check?.(v);
    if (problem) throw new InputError(`${where}: ${key} ${JSON.stringify(v)} ${problem}`);
    return v;
  }
  const min = spec.min ?? 0;
  const bad = typeof v !== 'number' || !Number.isFinite(v) || v < min || (spec.max !== undefined && v > spec.max) || (spec.integer && !Number.isInteger(v));
  if (bad) {
    const what = `${spec.integer ? 'whole ' : ''}number`;
    if (spec.max !== undefined) throw new InputError(`${where}: ${key} must be a ${what} from ${min} to ${spec.max}`);
    throw new InputError(`${where}: ${key} must be a ${what} of ${spec.unit} ≥ ${min}`);
  }
  return v as number;
}

/** Validates untrusted input (API body, CLI flags) into a Toxic with defaults filled in; throws a one-line InputError. */
export function parseToxic(input: unknown): Toxic {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InputError('a toxic must be a JSON object with a type');
  const o = input as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || !(TOXIC_TYPES as readonly string[]).includes(type)) {
    throw new InputError(`toxic type '${String(type)}' is unknown; types are: ${TOXIC_TYPES.join(', ')}`);
  }
  const t = type as ToxicType;
  const stream = parseStream(o.stream, `toxic '${String(o.name ?? t)}'`);
  const name = o.name === undefined ? `${t}_${stream}` : o.name;
  if (typeof name !== 'string' || !/^[\w.-]{1,64}$/.test(name)) throw new InputError(`toxic name '${String(name)}' must be 1-64 letters, digits, '_', '.' or '-'`);
  const where = `toxic '${name}'`;
  const toxicity = o.toxicity === undefined ? 1 : o.toxicity;
  if (typeof toxicity !== 'number' || !(toxicity >= 0 && toxicity <= 1)) throw new InputError(`${where}: toxicity must be a number from 0 to 1`);
  const given = o.attributes === undefined ? {} : o.attributes;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new InputError(`${where}: attributes must be an object`);
  const specs = ATTRIBUTES[t];
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) throw new InputError(`${where}: ${t} has no attribute '${key}'; it takes: ${Object.keys(specs).join(', ')}`);
  }
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, spec] of Object.entries(specs)) attributes[key] = parseAttribute(spec, key, (given as Record<string, unknown>)[key], where);
  const match = parseMatch(o.match, where);
  if (t === 'slicer' && (attributes.average_size as number) < 1) throw new InputError(`${where}: average_size must be a whole number of bytes ≥ 1`);
  if (t === 'slicer' && attributes.size_variation >= attributes.average_size) throw new InputError(`${where}: size_variation must be smaller than average_size`);
  if (t === 'http_header' && attributes.header === '') throw new InputError(`${where}: http_header needs attribute header (a header name, e.g. X-Request-Id)`);
  return match ? { name, type: t, stream, toxicity, attributes, match } : { name, type: t, stream, toxicity, attributes };
}

/**
 * An update of `existing` from untrusted input, as Toxiproxy's `POST /proxies/{p}/toxics/{t}` takes it: the
 * attributes given replace theirs (the others stay), `toxicity` and `match` when given; the whole is validated again.
 * Name, type and stream stay: a body that asks to change them is refused (remove the toxic and add it again).
 */
export function updateToxic(existing: Toxic, input: unknown): Toxic {
  const where = `toxic '${existing.name}'`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InputError(`${where}: an update must be a JSON object like {"attributes": {"latency": 500}}`);
  const o = input as Record<string, unknown>;
  for (const key of ['name', 'type', 'stream'] as const) {
    if (o[key] !== undefined && o[key] !== existing[key]) throw new InputError(`${where}: an update changes attributes, toxicity and match only, not its ${key}; remove the toxic and add it again`);
  }
  const given = o.attributes === undefined ? {} : o.attributes;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new InputError(`${where}: attributes must be an object`);
  return parseToxic({
    name: existing.name,
    type: existing.type,
    stream: existing.stream,
    toxicity: o.toxicity === undefined ? existing.toxicity : o.toxicity,
    attributes: { ...existing.attributes, ...given },
    match: o.match === undefined ? existing.match : o.match,
  });
}

/**
 * KEY=VALUE pairs as attributes of a toxic of `type` (every value arrives as text: a number attribute gets a number
 * when the text is one, else the toxic's check names it). `label` says where a malformed pair came from.
 */
export function attributesFromPairs(type: string, pairs: readonly string[], label: (pair: string) => string): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const pair of pairs) {
    const m = /^(\w+)=(.*)$/s.exec(pair);
    if (!m) throw new InputError(`${label(pair)} must be KEY=VALUE, e.g. latency=200 or header=X-Foo`);
    const asNumber = m[2].trim() === '' ? NaN : Number(m[2]);
    attributes[m[1]] = attributeKind(type, m[1]) === 'number' && Number.isFinite(asNumber) ? asNumber : m[2];
  }
  return attributes;
}

/** "latency=500 jitter=10": pairs split before each KEY=, so a value may hold spaces ("body=service busy"). */
export function splitPairs(text: string): string[] {
  return text.trim() === '' ? [] : text.trim().split(/\s+(?=\w+=)/);
}

/** A deep copy (what a list hands out, so callers cannot change a live toxic). */
export function copyToxic(t: Toxic): Toxic {
  return t.match ? { ...t, attributes: { ...t.attributes }, match: { ...t.match } } : { ...t, attributes: { ...t.attributes } };
}
