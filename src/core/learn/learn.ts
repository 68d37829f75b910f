import { REDACTED_PREFIX } from '../capture/redact';
import type { TrafficDb } from '../store/database';
import { isWireProtocol } from '../store/link';
import { exchangeView, type ExchangeView } from '../store/queries';
import { EndpointCalls, callsByParent, type LinkedCall } from './calls';
import { inferSchema, jsonTypeOf, mergeSchemas, stringFormat, type JsonSchema } from './jsonSchema';
import type { BehaviourModel, Capture, ChainUse, EndpointModel, EnvVar, ExchangeFacts, NoiseField, ResponseModel, Scenario, Step, TemplateString, ValueCheck } from './model';
import { isIdSegment, singular, templateParams, templatePath } from './pathTemplate';
import { decodeOrKeep } from '../uri';

/** Response headers that change from one response to the next by nature. */
const VOLATILE_HEADERS = new Set([
  'date', 'etag', 'last-modified', 'expires', 'age', 'x-request-id', 'x-correlation-id', 'request-id', 'x-trace-id',
  'traceparent', 'tracestate', 'set-cookie', 'server-timing', 'x-runtime', 'x-response-time', 'cf-ray', 'content-length',
  'keep-alive', 'connection', 'transfer-encoding', 'x-amzn-requestid', 'x-amz-request-id',
]);
/** Request headers worth sending again; the rest describe the client or the connection. */
const SENT_HEADERS = /^(content-type|accept|authorization|x-api-key|x-(?!forwarded|request-id|correlation-id)[\w-]+)$/i;
const TIME_KEY = /(^|_)(time|timestamp|date|created|updated|modified|expires?|ts|at)$|[a-z](At|Time|Date|On)$/;
const ID_KEY = /^(id|uuid|key)$|(Id|_id|Uuid|_uuid)$/;
const MARKER = /\[REDACTED:[0-9a-f]{8}\]/;

interface Sample {
  ex: ExchangeView;
  endpoint: string;
  template: string;
  pathname: string;
  query: Array<[string, string]>;
  /** The query as recorded, still encoded (`?q=a+b&flag`), or ''. */
  search: string;
  requestJson: unknown;
  responseJson: unknown;
  hasRequestJson: boolean;
  hasResponseJson: boolean;
  contentType: string | null;
  requestContentType: string | null;
  /** method + concrete URL + request body + status: exchanges that are "the same call". */
  classKey: string;
}

function mediaType(ct: string | null | undefined): string | null {
  return ct ? ct.split(';')[0].trim().toLowerCase() : null;
}

function parseJson(text: string | undefined, ct: string | null): { ok: boolean; value: unknown } {
  if (text === undefined || !/json/.test(ct ?? '') && !/^\s*[[{]/.test(text)) return { ok: false, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: undefined };
  }
}

function header(pairs: Array<[string, string]> | null, name: string): string | undefined {
  return pairs?.find(([n]) => n.toLowerCase() === name)?.[1];
}

function toSample(ex: ExchangeView): Sample {
  const url = new URL(ex.url);
  const template = templatePath(url.pathname);
  const contentType = mediaType(ex.responseBody?.contentType ?? header(ex.responseHeaders, 'content-type'));
  const requestContentType = mediaType(ex.requestBody?.contentType ?? header(ex.requestHeaders, 'content-type'));
  const req = ex.requestBody && !ex.requestBody.encoding && !ex.requestBody.truncated ? parseJson(ex.requestBody.text, requestContentType) : { ok: false, value: undefined };
  const res = ex.responseBody && !ex.responseBody.encoding && !ex.responseBody.truncated ? parseJson(ex.responseBody.text, contentType) : { ok: false, value: undefined };
  return {
    ex,
    endpoint: `${ex.method} ${template}`,
    template,
    pathname: url.pathname,
    query: [...url.searchParams.entries()],
    search: url.search,
    requestJson: req.value,
    responseJson: res.value,
    hasRequestJson: req.ok,
    hasResponseJson: res.ok,
    contentType,
    requestContentType,
    classKey: `${ex.method} ${url.pathname}${url.search} ${ex.requestBody?.text ?? ''} ${ex.status}`,
  };
}

/** The shape of a request body (keys and types, not values): equal shapes are the same kind of call. */
function shapeKey(v: unknown): string {
  if (v === undefined) return '-';
  if (Array.isArray(v)) return `[${v.length ? shapeKey(v[0]) : ''}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${k}:${shapeKey((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return jsonTypeOf(v);
}

/** Leaves of a JSON value by JSON pointer; `arrays: false` skips everything inside arrays (list contents vary with state). */
export function leaves(value: unknown, arrays = true, prefix = ''): Map<string, string | number | boolean | null> {
  const out = new Map<string, string | number | boolean | null>();
  const walk = (v: unknown, p: string): void => {
    if (v === null || typeof v !== 'object') {
      out.set(p, v as string | number | boolean | null);
      return;
    }
    if (Array.isArray(v)) {
      if (arrays) v.forEach((x, i) => walk(x, `${p}/${i}`));
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, `${p}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  walk(value, prefix);
  return out;
}

function lastKey(pointer: string): string {
  return pointer.slice(pointer.lastIndexOf('/') + 1);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Media types whose bodies a test compares as text (JSON has its own checks, by value). */
const TEXT_MEDIA = /^text\/|[/+]xml$|^application\/(?:javascript|ecmascript|x-www-form-urlencoded|ya?ml|x-yaml|csv|graphql)$/;
/** A text body longer than this (a page, a report) is not asserted whole: its status and type still are. */
export const MAX_ASSERTED_TEXT = 2048;
/** The noise entry of a whole text body (noise pointers are otherwise JSON pointers). */
export const TEXT_BODY = '(text body)';
const DATE_IN_TEXT = /\d{4}-\d{2}-\d{2}|\b\d{1,2}:\d{2}:\d{2}\b|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4}\b/;
/** Seconds or milliseconds since the epoch, from 2017 on. */
const EPOCH_IN_TEXT = /\b1[5-9]\d{8}(?:\d{3})?\b/;

/** Why a whole text body must not be asserted even when only one sample was seen, or undefined. */
function volatileText(text: string): string | undefined {
  if (MARKER.test(text)) return 'holds a secret, redacted at capture';
  if (DATE_IN_TEXT.test(text)) return 'holds a timestamp: differs on every run';
  if (EPOCH_IN_TEXT.test(text)) return 'holds a time value: differs on every run';
  for (const token of text.split(/[^A-Za-z0-9_-]+/)) {
    if (stringFormat(token) === 'uuid') return 'holds a generated id: differs on every run';
    if (token.length >= 20 && isIdSegment(token)) return 'holds a generated token or hash: differs on every run';
  }
  return undefined;
}

/**
 * Whether a small UTF-8 text response (not JSON) can be expected whole: its text, or why not (neither for a body
 * that is not such text). `chained` names a chained value the text mentions (the generator's tests cannot know it;
 * a replay rebinds it).
 */
function textExpectation(s: Sample, differing: Set<string> | undefined, chained: (text: string) => string | undefined): { text?: string; why?: string } {
  const body = s.ex.responseBody;
  if (s.hasResponseJson || s.ex.method === 'HEAD' || !body?.size || body.encoding || body.text === undefined) return {};
  if (!TEXT_MEDIA.test(s.contentType ?? '')) return {};
  // Clients decode by the declared charset: only UTF-8 (or none, read as UTF-8) reads back as recorded everywhere.
  const charset = /;\s*charset="?([^";]+)/i.exec(header(s.ex.responseHeaders, 'content-type') ?? '')?.[1];
  if (charset && !/^(utf-?8|us-ascii)$/i.test(charset)) return {};
  if (body.truncated || body.text.length > MAX_ASSERTED_TEXT) return { why: `longer than ${MAX_ASSERTED_TEXT} characters: its status and type are checked` };
  if (differing?.has(TEXT_BODY)) return { why: 'differed between equivalent exchanges' };
  // As a JSON id in a POST's answer: a number there may be the id the server assigns, new on every run.
  if (s.ex.method === 'POST' && /\d/.test(body.text)) return { why: 'the answer to a POST, with a number in it (an id the server assigns differs on every run)' };
  const volatile = volatileText(body.text);
  if (volatile) return { why: volatile };
  const variable = chained(body.text);
  return variable ? { why: `mentions the chained value ${variable}` } : { text: body.text };
}

/** Why a value must not be asserted even when only one sample was seen, or undefined. */
function volatileByNature(pointer: string, value: unknown): string | undefined {
  const key = lastKey(pointer);
  if (typeof value === 'string' && MARKER.test(value)) return 'a secret, redacted at capture';
  if (typeof value === 'string' && (stringFormat(value) === 'date-time' || stringFormat(value) === 'date')) return 'a timestamp: differs on every run';
  if (TIME_KEY.test(key) && (typeof value === 'number' || typeof value === 'string')) return 'a time value: differs on every run';
  if (typeof value === 'string' && stringFormat(value) === 'uuid') return 'a generated id: differs on every run';
  if (typeof value === 'string' && value.length >= 20 && isIdSegment(value)) return 'a generated token or hash: differs on every run';
  return undefined;
}

/** Values that a later request may reuse: ids and tokens from responses that create or authenticate. */
function originValues(s: Sample): Array<{ value: string; from: string; key: string }> {
  const out: Array<{ value: string; from: string; key: string }> = [];
  const status = s.ex.status ?? 0;
  if (status < 200 || status >= 300) return out;
  // Reading a resource produces nothing new: its id was known before. Creating and logging in do.
  const creates = s.ex.method === 'POST' || s.ex.method === 'PUT' || s.ex.method === 'PATCH';
  if (s.hasResponseJson) {
    for (const [pointer, v] of leaves(s.responseJson, false)) {
      if (v === null || typeof v === 'boolean') continue;
      const key = lastKey(pointer);
      const text = String(v);
      const secretLike = /token|secret|session/i.test(key) || MARKER.test(text);
      const idLike = creates && (ID_KEY.test(key) || stringFormat(text) === 'uuid');
      if (!idLike && !secretLike) continue;
      if (typeof v === 'number' && !ID_KEY.test(key)) continue;
      out.push({ value: text, from: pointer, key });
    }
  }
  const location = header(s.ex.responseHeaders, 'location');
  if (location && creates) {
    const last = location.split('?')[0].split('/').filter(Boolean).pop();
    if (last && isIdSegment(last)) out.push({ value: last, from: 'header:location', key: 'id' });
  }
  return out;
}

function variableName(origin: { key: string; from: string }, s: Sample, used: Set<string>): string {
  let base: string;
  if (origin.from !== 'header:location' && !ID_KEY.test(origin.key)) base = camelize(origin.key);
  else {
    const segs = s.template.split('/').filter((x) => x && !x.startsWith('{'));
    const resource = segs[segs.length - 1] ?? 'item';
    base = `${camelize(singular(resource))}${origin.key.toLowerCase().endsWith('uuid') ? 'Uuid' : 'Id'}`;
  }
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}${n}`;
  used.add(name);
  return name;
}

function camelize(word: string): string {
  const parts = word.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const s = parts.map((p, i) => (i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p.charAt(0).toUpperCase() + p.slice(1))).join('');
  return /^[A-Za-z]/.test(s) ? s : `v${s}`;
}

/** snake_case name of the action a request performs: list_users, get_user_by_id, create_user, login. */
export function actionName(method: string, template: string): string {
  const segs = template.split('/').filter(Boolean).filter((s) => !/^(api|v\d+)$/i.test(s));
  const words = segs.filter((s) => !s.startsWith('{')).map((s) => s.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase());
  const endsWithParam = segs.length > 0 && segs[segs.length - 1].startsWith('{');
  const resource = words[words.length - 1] ?? 'root';
  const parent = words.length > 1 ? `${words.slice(0, -1).map(singular).join('_')}_` : '';
  const one = singular(resource);
  const by = endsWithParam && /^\{date\d*\}$/.test(segs[segs.length - 1]) ? 'date' : 'id';
  switch (method) {
    case 'GET':
      return endsWithParam ? `get_${parent}${one}_by_${by}` : `${resource === one ? 'get' : 'list'}_${parent}${resource}`;
    case 'POST':
      return endsWithParam || resource === one ? `post_${parent}${resource}` : `create_${parent}${one}`;
    case 'PUT':
    case 'PATCH':
      return `update_${parent}${one}`;
    case 'DELETE':
      return `delete_${parent}${one}`;
    default:
      // A method that is not an HTTP token (a HAR can hold anything) does not name the test.
      return `${/^[A-Za-z][A-Za-z0-9-]{0,19}$/.test(method) ? method.toLowerCase().replace(/-/g, '_') : 'request'}_${parent}${resource}`;
  }
}

interface Link {
  from: number;
  to: number;
}

/**
 * Learns the model from a traffic database: every HTTP exchange with a response, in capture order.
 */
export function learn(db: TrafficDb, options: { sessionId?: number } = {}): BehaviourModel {
  return learnWithFacts(db, options).model;
}

/**
 * The model, and what it knows about every exchange it used (not only the deduplicated scenarios): the chained
 * values each request sent and the noise of each response. Chaos replay replays every exchange with these.
 */
export function learnWithFacts(db: TrafficDb, options: { sessionId?: number } = {}): { model: BehaviourModel; facts: ExchangeFacts[] } {
  const skipped: Record<string, number> = {};
  const skip = (why: string): void => void (skipped[why] = (skipped[why] ?? 0) + 1);
  const samples: Sample[] = [];
  let total = 0;
  const calls = callsByParent(db, options.sessionId);
  for (const id of db.exchangeIds(options.sessionId)) {
    total++;
    const d = db.exchange(id);
    if (!d) continue;
    // Database and cache calls are not endpoints: they show under the endpoint whose request made them.
    if (isWireProtocol(d.protocol)) skip(`${d.protocol} calls (listed under their endpoints when linked)`);
    else if (d.protocol !== 'http' && d.protocol !== 'https') skip(`${d.protocol} exchanges`);
    else if (d.status === null) skip('exchanges without a response');
    else samples.push(toSample(exchangeView(d)));
  }
  return learnFromSamples(samples, { database: db.file, exchanges: total, skipped }, calls);
}

function learnFromSamples(
  samples: Sample[],
  source: { database: string | null; exchanges: number; skipped: Record<string, number> },
  calls: Map<number, LinkedCall[]> = new Map(),
): { model: BehaviourModel; facts: ExchangeFacts[] } {
  const endpoints = buildEndpoints(samples, calls);
  const byKey = new Map(endpoints.map((e) => [e.key, e]));

  // Noise: pointers whose values differ between exchanges of the same call, and volatile headers.
  const classes = new Map<string, Sample[]>();
  for (const s of samples) {
    const group = classes.get(s.classKey);
    if (group) group.push(s);
    else classes.set(s.classKey, [s]);
  }
  const differing = new Map<string, Set<string>>();
  const noiseHeaders = new Set(VOLATILE_HEADERS);
  for (const [key, group] of classes) {
    const diff = new Set<string>();
    if (group.length > 1) {
      const first = leaves(group[0].responseJson, false);
      for (const s of group.slice(1)) {
        const l = leaves(s.responseJson, false);
        for (const p of new Set([...first.keys(), ...l.keys()])) if (first.get(p) !== l.get(p)) diff.add(p);
        if (!s.hasResponseJson && s.ex.responseBody?.text !== group[0].ex.responseBody?.text) diff.add(TEXT_BODY);
        for (const [name, value] of s.ex.responseHeaders ?? []) if (header(group[0].ex.responseHeaders, name.toLowerCase()) !== value) noiseHeaders.add(name.toLowerCase());
      }
    }
    differing.set(key, diff);
  }

  // Value chaining: a value a response produced, sent in a later request.
  const origins = new Map<string, { sample: number; from: string; key: string }>();
  const links: Link[] = [];
  const uses = new Map<number, Array<{ where: string; value: string; origin: number; from: string }>>();
  samples.forEach((s, i) => {
    const found: Array<{ where: string; value: string; origin: number; from: string }> = [];
    const consider = (where: string, value: string): void => {
      const o = origins.get(value);
      if (o && o.sample < i) {
        links.push({ from: o.sample, to: i });
        found.push({ where, value, origin: o.sample, from: o.from });
      }
    };
    s.pathname.split('/').forEach((seg, k) => seg && consider(`path:${k}`, decodeOrKeep(seg)));
    for (const [name, v] of s.query) consider(`query:${name}`, v);
    if (s.hasRequestJson) {
      for (const [p, v] of leaves(s.requestJson)) {
        if (v === null || typeof v === 'boolean') continue;
        // A small number in a field that is not an id (a quantity, a page) is a coincidence, not a reuse.
        if (typeof v === 'number' && !ID_KEY.test(lastKey(p))) continue;
        consider(`body:${p}`, String(v));
      }
    }
    for (const [name, v] of s.ex.requestHeaders) {
      const m = /^(\w+)\s+(.+)$/.exec(v);
      if (/^authorization$/i.test(name) && m) consider(`header:${name.toLowerCase()}`, m[2]);
    }
    if (found.length) uses.set(i, found);
    for (const o of originValues(s)) if (!origins.has(o.value)) origins.set(o.value, { sample: i, from: o.from, key: o.key });
  });

  // Flows: samples connected by links, in capture order; the rest are single calls, deduplicated.
  const parent = samples.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (const l of links) parent[find(l.to)] = find(l.from);
  const groups = new Map<number, number[]>();
  samples.forEach((_, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(i);
    else groups.set(root, [i]);
  });
  // The last request that uses each chained value: a value is captured only when something later needs it.
  const lastUse = new Map<string, number>();
  for (const [i, found] of uses) for (const f of found) lastUse.set(f.value, Math.max(lastUse.get(f.value) ?? -1, i));

  const env = new Map<string, EnvVar>();
  const scenarios: Scenario[] = [];
  const names = new Map<string, number>();
  const uniqueName = (base: string): string => {
    const n = (names.get(base) ?? 0) + 1;
    names.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  };
  const seenSingles = new Map<string, Scenario>();
  const seenFlows = new Map<string, Scenario>();

  for (const members of [...groups.values()].sort((a, b) => a[0] - b[0])) {
    if (members.length === 1) {
      const s = samples[members[0]];
      // Equivalent calls are one scenario: the same endpoint and status, with a request of the same shape.
      const dedupKey = `${s.endpoint} ${s.ex.status} ${shapeKey(s.requestJson)} ${s.query.map(([n]) => n).sort().join('&')}`;
      const seen = seenSingles.get(dedupKey);
      if (seen) {
        seen.samples++;
        continue;
      }
      const builder = new StepBuilder(samples, origins, lastUse, differing, byKey, env);
      const steps = [builder.step(members[0])];
      builder.addCleanup(steps, endpoints);
      const sc: Scenario = { name: uniqueName(`${steps[0].name}_returns_${s.ex.status}`), kind: 'single', steps, samples: 1 };
      seenSingles.set(dedupKey, sc);
      scenarios.push(sc);
    } else {
      const signature = members.map((i) => `${samples[i].endpoint} ${samples[i].ex.status}`).join(' > ');
      const seen = seenFlows.get(signature);
      if (seen) {
        seen.samples++;
        continue;
      }
      const builder = new StepBuilder(samples, origins, lastUse, differing, byKey, env);
      const steps = members.map((i) => builder.step(i));
      builder.addCleanup(steps, endpoints);
      const sc: Scenario = { name: uniqueName(`${steps[0].name}_flow`), kind: 'flow', steps, samples: 1 };
      seenFlows.set(signature, sc);
      scenarios.push(sc);
    }
  }

  const hosts = [...new Set(samples.map((s) => new URL(s.ex.url).origin))];
  // A value that differed between equivalent calls of one endpoint is noise in every call of it (GET /items/1 and /items/7).
  const endpointNoise = new Map<string, Set<string>>();
  for (const group of classes.values()) {
    const key = `${group[0].endpoint} ${group[0].ex.status}`;
    const set = endpointNoise.get(key) ?? new Set<string>();
    for (const p of differing.get(group[0].classKey) ?? []) set.add(p);
    endpointNoise.set(key, set);
  }
  const facts = samples.map((s, i) => exchangeFacts(samples, i, uses.get(i) ?? [], origins, lastUse, endpointNoise.get(`${s.endpoint} ${s.ex.status}`)));
  const model: BehaviourModel = {
    version: 1,
    source: { ...source, used: samples.length },
    baseUrl: hosts.length === 1 ? hosts[0] : (hosts[0] ?? null),
    endpoints,
    scenarios,
    env: [...env.values()],
    noiseHeaders: [...noiseHeaders].sort(),
  };
  return { model, facts };
}

/** One exchange's chained values (sent and produced) and its response's noise, by the same rules as the steps'. */
function exchangeFacts(
  samples: Sample[],
  i: number,
  found: Array<{ where: string; value: string; origin: number; from: string }>,
  origins: Map<string, { sample: number; from: string }>,
  lastUse: Map<string, number>,
  differing: Set<string> | undefined,
): ExchangeFacts {
  const s = samples[i];
  const uses: ChainUse[] = found.map((f) => ({ where: f.where, value: f.value, origin: { exchangeId: samples[f.origin].ex.id, from: f.from } }));
  const produces = originValues(s).filter((o) => origins.get(o.value)?.sample === i && (lastUse.get(o.value) ?? -1) > i).map((o) => o.from);
  const noise: NoiseField[] = [];
  if (s.hasResponseJson) {
    for (const [pointer, v] of leaves(s.responseJson, false)) {
      const why = produces.includes(pointer) ? 'a value later requests reuse'
        : differing?.has(pointer) ? 'differed between equivalent exchanges of this endpoint'
        : volatileByNature(pointer, v) ?? (ID_KEY.test(lastKey(pointer)) && s.ex.method === 'POST' ? 'an id the server assigns: differs on every run' : undefined);
      if (why) noise.push({ pointer, why });
    }
  }
  // A replay rebinds the chained values a text mentions, so none is a reason here.
  const text = textExpectation(s, differing, () => undefined);
  if (text.why) noise.push({ pointer: TEXT_BODY, why: text.why });
  return { exchangeId: s.ex.id, endpoint: s.endpoint, uses, produces: [...new Set(produces)], noise, ...(text.text !== undefined ? { compareText: true } : {}) };
}

function buildEndpoints(samples: Sample[], linked: Map<number, LinkedCall[]>): EndpointModel[] {
  const map = new Map<string, { e: EndpointModel; latencies: number[]; calls: EndpointCalls; responses: Map<number, ResponseModel & { types: Map<string, number> }> }>();
  for (const s of samples) {
    let entry = map.get(s.endpoint);
    if (!entry) {
      entry = {
        e: {
          key: s.endpoint, method: s.ex.method, template: s.template, params: templateParams(s.template), hosts: [], queryParams: [], count: 0, statuses: {},
          latency: { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }, requestContentType: null, responses: [],
        },
        latencies: [],
        calls: new EndpointCalls(),
        responses: new Map(),
      };
      map.set(s.endpoint, entry);
    }
    const { e } = entry;
    entry.calls.add(s.ex.id, linked.get(s.ex.id) ?? []);
    e.count++;
    const host = new URL(s.ex.url).host;
    if (!e.hosts.includes(host)) e.hosts.push(host);
    for (const [q] of s.query) if (!e.queryParams.includes(q)) e.queryParams.push(q);
    e.statuses[String(s.ex.status)] = (e.statuses[String(s.ex.status)] ?? 0) + 1;
    if (s.ex.durationMs !== null) entry.latencies.push(s.ex.durationMs);
    if (s.requestContentType) e.requestContentType ??= s.requestContentType;
    if (s.hasRequestJson) e.requestSchema = e.requestSchema ? mergeSchemas(e.requestSchema, inferSchema(s.requestJson)) : inferSchema(s.requestJson);
    const status = s.ex.status!;
    let r = entry.responses.get(status);
    if (!r) entry.responses.set(status, (r = { status, count: 0, contentType: null, types: new Map() }));
    r.count++;
    if (s.contentType) r.types.set(s.contentType, (r.types.get(s.contentType) ?? 0) + 1);
    if (s.hasResponseJson) r.schema = r.schema ? mergeSchemas(r.schema, inferSchema(s.responseJson)) : inferSchema(s.responseJson);
  }
  return [...map.values()].map(({ e, latencies, calls, responses }) => {
    const list = calls.list();
    if (list.length) e.calls = list;
    const sorted = latencies.sort((a, b) => a - b);
    e.latency = {
      count: sorted.length,
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[sorted.length - 1] ?? 0),
      mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
    };
    e.responses = [...responses.values()]
      .sort((a, b) => a.status - b.status)
      .map(({ types, ...r }) => ({ ...r, contentType: [...types.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null }));
    return e;
  }).sort((a, b) => a.template.localeCompare(b.template) || a.method.localeCompare(b.method));
}

/** Turns captured exchanges into steps: variables where values were chained, environment variables for secrets. */
class StepBuilder {
  private readonly _variables = new Map<string, string>(); // value → variable name (within one scenario)
  private readonly _used = new Set<string>();

  constructor(
    private readonly _samples: Sample[],
    private readonly _origins: Map<string, { sample: number; from: string; key: string }>,
    private readonly _lastUse: Map<string, number>,
    private readonly _differing: Map<string, Set<string>>,
    private readonly _endpoints: Map<string, EndpointModel>,
    private readonly _env: Map<string, EnvVar>,
  ) {}

  private _secret(marker: string, what: string): { env: string } {
    const hash = /\[REDACTED:([0-9a-f]{8})\]/.exec(marker)?.[1] ?? 'x';
    const existing = [...this._env.values()].find((e) => e.description.endsWith(`(${hash})`));
    if (existing) return { env: existing.name };
    let name = `CHAOS_SECRET_${what.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toUpperCase()}`;
    for (let n = 2; this._env.has(name); n++) name = `${name.replace(/_\d+$/, '')}_${n}`;
    this._env.set(name, { name, description: `the ${what} sent in the captured traffic, redacted at capture (${hash})` });
    return { env: name };
  }

  /** A string with chained values as variables and redacted secrets as environment variables. */
  private _template(text: string, what: string): TemplateString {
    const v = this._variables.get(text);
    if (v) return [{ variable: v }];
    const out: TemplateString = [];
    let rest = text;
    for (let m = MARKER.exec(rest); m; m = MARKER.exec(rest)) {
      if (m.index > 0) out.push(rest.slice(0, m.index));
      const variable = this._variables.get(m[0]);
      out.push(variable ? { variable } : this._secret(m[0], what));
      rest = rest.slice(m.index + m[0].length);
    }
    if (rest) out.push(rest);
    return out;
  }

  private _jsonTemplate(value: unknown, what: string): unknown {
    if (typeof value === 'string') {
      const t = this._template(value, what);
      if (t.length === 1 && typeof t[0] === 'object') return 'variable' in t[0] ? { $var: t[0].variable } : { $env: t[0].env };
      if (t.every((p) => typeof p === 'string')) return value;
      return { $concat: t.map((p) => (typeof p === 'string' ? p : 'variable' in p ? { $var: p.variable } : { $env: p.env })) };
    }
    if (typeof value === 'number' && this._variables.has(String(value))) return { $var: this._variables.get(String(value)) };
    if (Array.isArray(value)) return value.map((v) => this._jsonTemplate(v, what));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this._jsonTemplate(v, k)]));
    return value;
  }

  step(i: number): Step {
    const s = this._samples[i];
    const ex = s.ex;
    const endpoint = this._endpoints.get(s.endpoint)!;
    // Path: literal segments, and each parameter either a variable (chained) or the recorded literal.
    const path: TemplateString = [];
    s.pathname.split('/').forEach((seg, idx) => {
      if (idx > 0) path.push('/');
      if (!seg) return;
      const v = this._variables.get(decodeOrKeep(seg));
      path.push(v ? { variable: v } : seg);
    });
    const query = s.query.map(([n, v]) => [n, this._template(v, n)] as [string, TemplateString]);
    const search = this._search(s.search);
    const headers: Array<[string, TemplateString]> = [];
    for (const [name, value] of ex.requestHeaders) {
      if (!SENT_HEADERS.test(name)) continue;
      headers.push([name.toLowerCase(), this._template(value, name)]);
    }
    const body = ex.requestBody && ex.requestBody.size > 0
      ? s.hasRequestJson
        ? { json: this._jsonTemplate(s.requestJson, 'body') }
        : ex.requestBody.encoding === 'base64' ? { text: ex.requestBody.text, encoding: 'base64' as const } : { text: ex.requestBody.text }
      : null;

    // Expectations: stable values at non-array paths; noise explained.
    const values: ValueCheck[] = [];
    const noise: NoiseField[] = [];
    const captures: Capture[] = [];
    const differing = this._differing.get(s.classKey) ?? new Set<string>();
    // Values this response produced that later requests use become variables (captured, not asserted).
    const produced = new Map<string, string>();
    for (const o of originValues(s)) {
      const origin = this._origins.get(o.value);
      if (!origin || origin.sample !== i || !this._isUsedLater(o.value, i)) continue;
      if (this._variables.has(o.value)) continue;
      const name = variableName(o, s, this._used);
      this._variables.set(o.value, name);
      if (MARKER.test(o.value)) this._variables.set(o.value.match(MARKER)![0], name);
      captures.push({ variable: name, from: o.from });
      produced.set(o.from, name);
    }
    if (s.hasResponseJson) {
      for (const [pointer, v] of leaves(s.responseJson, false)) {
        if (produced.has(pointer)) {
          noise.push({ pointer, why: `captured as ${produced.get(pointer)} for later requests` });
          continue;
        }
        if (differing.has(pointer)) {
          noise.push({ pointer, why: 'differed between equivalent exchanges' });
          continue;
        }
        const why = volatileByNature(pointer, v);
        if (this._variables.has(String(v)) && v !== null && typeof v !== 'boolean') noise.push({ pointer, why: `the chained value ${this._variables.get(String(v))}` });
        else if (why) noise.push({ pointer, why });
        else if (typeof v === 'string' && this._mentionsVariable(v)) noise.push({ pointer, why: `mentions the chained value ${this._mentionsVariable(v)}` });
        else if (ID_KEY.test(lastKey(pointer)) && ex.method === 'POST') noise.push({ pointer, why: 'an id the server assigns: differs on every run' });
        // JSON.parse rounded it; a test would expect the rounded value where exact parsers read the real one.
        else if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) noise.push({ pointer, why: 'an integer beyond 2^53: its exact value was lost in reading' });
        else values.push({ pointer, value: v });
      }
    }
    const text = this._expectedText(s, differing, noise);
    const response = endpoint.responses.find((r) => r.status === ex.status);
    return {
      name: actionName(ex.method, s.template),
      exchangeId: ex.id,
      endpoint: s.endpoint,
      method: ex.method,
      path,
      query,
      ...(search.length ? { search } : {}),
      headers,
      body,
      expect: {
        status: ex.status!, contentType: s.contentType, schema: response?.schema ? requiredShape(response.schema) : undefined, values, noise,
        ...(ex.method === 'HEAD' || !ex.responseBody?.size ? { empty: true } : {}),
        ...(text !== undefined ? { text } : {}),
      },
      captures,
    };
  }

  /**
   * The recorded query byte for byte (`+`, `%24`, a bare `flag` kept as sent): each `name=value` stays as
   * recorded unless its value holds a chained value or a secret, which is then spelled from its parts.
   */
  private _search(search: string): TemplateString {
    if (!search) return [];
    const out: TemplateString = [];
    const push = (...parts: TemplateString): void => {
      for (const p of parts) {
        if (typeof p === 'string' && typeof out[out.length - 1] === 'string') out[out.length - 1] += p;
        else out.push(p);
      }
    };
    search.slice(1).split('&').forEach((piece, i) => {
      push(i === 0 ? '?' : '&');
      const eq = piece.indexOf('=');
      if (eq < 0) return void push(piece);
      const decode = (x: string): string | null => {
        try {
          return decodeURIComponent(x.replace(/\+/g, ' '));
        } catch {
          return null;
        }
      };
      const name = decode(piece.slice(0, eq));
      const value = decode(piece.slice(eq + 1));
      const t = name === null || value === null ? [] : this._template(value, name);
      if (t.every((p) => typeof p === 'string')) return void push(piece);
      push(piece.slice(0, eq + 1), ...t.map((p) => (typeof p === 'string' ? encodeURIComponent(p) : p)));
    });
    return out;
  }

  /** The whole text body to expect (see textExpectation); when there is none, the reason goes among the noise. */
  private _expectedText(s: Sample, differing: Set<string>, noise: NoiseField[]): string | undefined {
    const t = textExpectation(s, differing, (text) => this._mentionsVariable(text));
    if (t.why) noise.push({ pointer: TEXT_BODY, why: t.why });
    return t.text;
  }

  /** The variable whose value a text mentions as a word ("user 4 not found"), if any. */
  private _mentionsVariable(text: string): string | undefined {
    for (const [value, name] of this._variables) {
      if (value.length && new RegExp(`(^|[^\\w-])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w-])`).test(text)) return name;
    }
    return undefined;
  }

  private _isUsedLater(value: string, i: number): boolean {
    return (this._lastUse.get(value) ?? -1) > i;
  }

  /** Deletes what a scenario created when the API has a DELETE for it and the scenario did not delete it itself. */
  addCleanup(steps: Step[], endpoints: EndpointModel[]): void {
    for (const step of [...steps]) {
      if (step.method !== 'POST' || step.expect.status < 200 || step.expect.status >= 300) continue;
      const template = this._samples.find((s) => s.ex.id === step.exchangeId)!.template;
      const del = endpoints.find((e) => e.method === 'DELETE' && e.template.startsWith(`${template}/{`) && e.params.length === templateParams(template).length + 1
        && Object.keys(e.statuses).some((st) => st.startsWith('2')));
      if (!del) continue;
      let variable = step.captures.find((c) => c.from === '/id' || c.from === 'header:location')?.variable;
      if (!variable && step.expect.noise.some((n) => n.pointer === '/id')) {
        variable = `created${step.name.replace(/^create_/, '').replace(/(^|_)(\w)/g, (_, _u, c: string) => c.toUpperCase())}Id`;
        step.captures.push({ variable, from: '/id' });
      }
      if (!variable) continue;
      const deletes = steps.some((st) => st.method === 'DELETE' && st.path.some((p) => typeof p === 'object' && 'variable' in p && p.variable === variable));
      if (deletes) continue;
      const prefix = step.path.filter((p) => p !== '');
      steps.push({
        name: actionName('DELETE', del.template),
        exchangeId: step.exchangeId,
        endpoint: del.key,
        method: 'DELETE',
        path: [...prefix, '/', { variable }],
        query: [],
        headers: step.headers.filter(([n]) => n === 'authorization' || n === 'x-api-key'),
        body: null,
        expect: { status: Number(Object.keys(del.statuses).find((st) => st.startsWith('2'))), contentType: null, values: [], noise: [] },
        captures: [],
        cleanup: true,
      });
    }
  }
}

/** The part of a schema a test asserts: required fields and their types, recursively (formats are not asserted). */
export function requiredShape(s: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  if (s.type) out.type = s.type;
  if (s.properties) {
    const req = s.required ?? [];
    out.properties = Object.fromEntries(req.filter((k) => s.properties![k]).map((k) => [k, requiredShape(s.properties![k])]));
    out.required = req;
  }
  if (s.items) out.items = requiredShape(s.items);
  return out;
}

export { jsonTypeOf, REDACTED_PREFIX };
