/**
 * `load export --to k6`: the same run as a k6 script for distributed load (k6, k6-operator). Stages come from the
 * profile (closed model → ramping-vus, open model → ramping-arrival-rate), thresholds from the SLO, and the default
 * function draws the same request mix by weight, filling chained values from this VU's earlier responses.
 */
import type { LoadSpec, MixEntry, RequestMix, SloClause } from './types';

/**
 * What the mix is built with for an export: every CHAOS_SECRET_* variable reads as a `{{env:NAME}}` placeholder
 * that the script fills from k6's own environment, so no secret is ever written into the script.
 */
export const K6_SECRET_ENV: NodeJS.ProcessEnv = new Proxy({}, {
  get: (_t, name) => (typeof name === 'string' && name.startsWith('CHAOS_SECRET_') ? `{{env:${name}}}` : undefined),
});

/** k6 takes Go-style durations. */
export function k6Duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

const K6_LATENCY: Record<string, string> = { p50: 'p(50)', p90: 'p(90)', p95: 'p(95)', p99: 'p(99)', 'p99.9': 'p(99.9)', max: 'max', mean: 'avg' };

/** SLO clauses as k6 thresholds: latency in ms on http_req_duration, errors on http_req_failed, rps on http_reqs. */
export function k6Thresholds(slo: SloClause[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (metric: string, expr: string): void => void (out[metric] ??= []).push(expr);
  for (const c of slo) {
    if (c.metric === 'errors') add('http_req_failed', `rate${c.op}${round(c.value)}`);
    else if (c.metric === 'rps') add('http_reqs', `rate${c.op}${round(c.value)}`);
    else add('http_req_duration', `${K6_LATENCY[c.metric]}${c.op}${round(c.value / 1000)}`);
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** k6's `options`: one scenario shaped like the profile, and the thresholds. */
export function k6Options(spec: LoadSpec): Record<string, unknown> {
  const stages = spec.profile.stages.map((s) => ({ duration: k6Duration(s.durationMs), target: s.target }));
  const scenario = spec.model.kind === 'closed'
    ? { executor: 'ramping-vus', startVUs: Math.round(spec.profile.from), stages, gracefulRampDown: '0s' }
    : { executor: 'ramping-arrival-rate', startRate: spec.profile.from, timeUnit: '1s', preAllocatedVUs: spec.model.maxConnections, maxVUs: spec.model.maxConnections, stages };
  return {
    scenarios: { [spec.profile.kind.replace(/-/g, '_')]: scenario },
    thresholds: k6Thresholds(spec.slo),
    ...(spec.insecure ? { insecureSkipTLSVerify: true } : {}),
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'max'],
  };
}

interface K6Entry {
  endpoint: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  base64?: boolean;
  weight: number;
  chain?: MixEntry['chain'];
}

function k6Entry(e: MixEntry): K6Entry {
  const headers: Record<string, string> = {};
  for (const [n, v] of e.headers) headers[n] = headers[n] === undefined ? v : `${headers[n]}, ${v}`;
  let body: string | null = null;
  let base64 = false;
  if (e.body) {
    const text = e.body.toString('utf8');
    base64 = !Buffer.from(text, 'utf8').equals(e.body);
    body = base64 ? e.body.toString('base64') : text;
  }
  return { endpoint: e.endpoint, method: e.method, path: e.pathAndQuery, headers, body, ...(base64 ? { base64 } : {}), weight: e.weight, ...(e.chain?.length ? { chain: e.chain } : {}) };
}

export function k6Script(spec: LoadSpec, mix: RequestMix): string {
  const entries = mix.entries.map(k6Entry);
  const target = new URL(spec.target);
  const binary = entries.some((e) => e.base64);
  const secrets = [...new Set(JSON.stringify(entries).match(/\{\{env:(CHAOS_SECRET_\w+)\}\}/g) ?? [])].map((m) => m.slice(6, -2));
  return `// k6 script written by chaos-testing from '${spec.name}': ${spec.profile.kind}, ${spec.model.kind} model.
// Mix: ${mix.source.replace(/\n/g, ' ')}
// Run: k6 run script.js   (TARGET=https://staging.example.com k6 run script.js to aim elsewhere)
${secrets.length ? `// Secrets redacted at capture are read from the environment: ${secrets.map((n) => `-e ${n}=…`).join(' ')}\n` : ''}import http from 'k6/http';
${binary ? "import encoding from 'k6/encoding';\n" : ''}
export const options = ${JSON.stringify(k6Options(spec), null, 2)};

const TARGET = (__ENV.TARGET || ${JSON.stringify(target.origin)}).replace(/\\/$/, '');
const ENTRIES = ${JSON.stringify(entries, null, 2)};
const TOTAL = ENTRIES.reduce((s, e) => s + e.weight, 0);
// Values this VU's responses produced, by producer entry and JSON pointer.
const produced = {};
const wanted = {};
ENTRIES.forEach((e) => (e.chain || []).forEach((c) => ((wanted[c.producer] = wanted[c.producer] || []).push(c.pointer))));

function pick() {
  let r = Math.random() * TOTAL;
  for (let i = 0; i < ENTRIES.length; i++) {
    r -= ENTRIES[i].weight;
    if (r < 0) return i;
  }
  return ENTRIES.length - 1;
}

function tokens(pointer) {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getPointer(value, pointer) {
  let cur = value;
  for (const t of tokens(pointer)) {
    if (cur === null || typeof cur !== 'object' || !(t in cur)) return undefined;
    cur = cur[t];
  }
  return cur;
}

/** Secrets redacted at capture, from the environment k6 runs in (-e CHAOS_SECRET_…=…). */
function fillEnv(text) {
  return text.indexOf('{{env:') < 0 ? text : text.replace(/\\{\\{env:(\\w+)\\}\\}/g, (_, name) => __ENV[name] || '');
}

/** The request of entry e with the chained values this VU has so far (recorded ones otherwise), as the generator builds it. */
function build(e) {
  let path = e.path;
  const headers = Object.assign({}, e.headers);
  let body = e.body;
  for (const c of e.chain || []) {
    const value = produced[c.producer + ' ' + c.pointer];
    if (value === undefined || value === c.recorded || !c.recorded) continue;
    if (c.where === 'path' || c.where === 'query') path = path.split(c.recorded).join(encodeURIComponent(value));
    else if (c.where === 'body' && body !== null && !e.base64) body = body.split(c.recorded).join(value);
    else if (c.where.indexOf('header:') === 0) {
      const name = c.where.slice(7);
      for (const h of Object.keys(headers)) if (h.toLowerCase() === name) headers[h] = headers[h].split(c.recorded).join(value);
    }
  }
  for (const h of Object.keys(headers)) headers[h] = fillEnv(headers[h]);
  if (body !== null && !e.base64) body = fillEnv(body);
  if (body !== null && e.base64) body = encoding.b64decode(body);
  return { url: TARGET + fillEnv(path), headers, body };
}

export default function () {
  const i = pick();
  const e = ENTRIES[i];
  const r = build(e);
  const res = http.request(e.method, r.url, r.body, { headers: r.headers, tags: { name: e.endpoint } });
  if (!wanted[i] || res.status >= 400) return;
  let json;
  try {
    json = res.json();
  } catch (err) {
    return;
  }
  for (const pointer of wanted[i]) {
    const v = getPointer(json, pointer);
    if (v !== undefined && v !== null && typeof v !== 'object') produced[i + ' ' + pointer] = String(v);
  }
}
`;
}
