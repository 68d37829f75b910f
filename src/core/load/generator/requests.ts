/**
 * The requests a run sends, built before it starts: one Buffer per mix entry (request line, headers with Host and
 * Content-Length, body), drawn by weight. Entries that take chained values are rebuilt per send from a pool of
 * values their producers' responses gave.
 */
import { getPointer } from '../../replay/jsonPointer';
import type { MixEntry, RequestMix } from '../types';
import { seededRandom } from '../../random';

/** Headers the generator sets itself (framing and target), dropped from recorded ones. */
const OWN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'proxy-connection', 'te', 'expect']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Chained values kept per producer and pointer (the newest replace the oldest). */
const POOL_SIZE = 1024;

export function buildRequestBuffer(entry: Pick<MixEntry, 'method' | 'pathAndQuery' | 'headers' | 'body'>, host: string): Buffer {
  let head = `${entry.method} ${entry.pathAndQuery || '/'} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [name, value] of entry.headers) {
    if (!OWN_HEADERS.has(name.toLowerCase())) head += `${name}: ${value}\r\n`;
  }
  const body = entry.body;
  if (body && body.length > 0) head += `Content-Length: ${body.length}\r\n`;
  else if (BODY_METHODS.has(entry.method)) head += 'Content-Length: 0\r\n';
  head += '\r\n';
  return body && body.length > 0 ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}


/** Draws entry indexes by weight from a cumulative array (binary search; a single entry needs no draw). */
export function weightedPicker(weights: readonly number[], random: () => number): () => number {
  const n = weights.length;
  if (n <= 1) return () => 0;
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cumulative[i] = sum += Math.max(0, weights[i]);
  if (sum <= 0) return () => 0;
  return () => {
    const r = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/** A bounded ring of values one producer's responses gave at one JSON pointer. */
class ValuePool {
  private readonly _values: string[] = [];
  private _next = 0;
  add(v: string): void {
    if (this._values.length < POOL_SIZE) this._values.push(v);
    else this._values[this._next] = v;
    this._next = (this._next + 1) % POOL_SIZE;
  }
  pick(random: () => number): string | undefined {
    const n = this._values.length;
    return n ? this._values[Math.floor(random() * n)] : undefined;
  }
}

/**
 * The prepared mix: a Buffer per entry, which entries produce chained values (their response bodies are read), and
 * how a consumer's request is rebuilt with pooled values.
 */
export class PreparedMix {
  readonly buffers: Buffer[];
  readonly entries: readonly MixEntry[];
  /** Per entry: the pointers its responses feed (empty for non-producers). */
  readonly produces: string[][];
  /** Per entry: whether its response body must be kept (a producer). */
  readonly keepBody: boolean[];
  /** Per entry: whether its response has no body whatever its headers say (HEAD). */
  readonly bodiless: boolean[];
  readonly pick: () => number;
  private readonly _pools = new Map<string, ValuePool>();
  private readonly _random: () => number;
  private readonly _host: string;

  constructor(mix: RequestMix, host: string, seed = 1) {
    this.entries = mix.entries;
    this._host = host;
    this._random = seededRandom(seed);
    this.buffers = mix.entries.map((e) => buildRequestBuffer(e, host));
    this.produces = mix.entries.map(() => []);
    for (const e of mix.entries) {
      for (const c of e.chain ?? []) {
        if (c.producer >= 0 && c.producer < this.produces.length && !this.produces[c.producer].includes(c.pointer)) this.produces[c.producer].push(c.pointer);
      }
    }
    this.keepBody = this.produces.map((p) => p.length > 0);
    this.bodiless = mix.entries.map((e) => e.method === 'HEAD');
    this.pick = weightedPicker(mix.entries.map((e) => e.weight), this._random);
  }

  /** The bytes to send for entry `i`: the prebuilt Buffer, or for a chained entry one built with pooled values. */
  requestFor(i: number): Buffer {
    const e = this.entries[i];
    if (!e.chain || e.chain.length === 0) return this.buffers[i];
    let pathAndQuery = e.pathAndQuery;
    let headers = e.headers;
    let body = e.body;
    for (const c of e.chain) {
      const value = this._pools.get(`${c.producer} ${c.pointer}`)?.pick(this._random);
      if (value === undefined || value === c.recorded || !c.recorded) continue;
      const where = c.where;
      if (where === 'path' || where === 'query' || !where || where === '*') pathAndQuery = pathAndQuery.split(c.recorded).join(encodeURIComponent(value));
      if (where === 'body' || !where || where === '*') {
        if (body) body = Buffer.from(body.toString('utf8').split(c.recorded).join(value), 'utf8');
      }
      if (where.startsWith('header:') || !where || where === '*') {
        const name = where.startsWith('header:') ? where.slice(7).toLowerCase() : null;
        headers = headers.map(([n, v]) => (name === null || n.toLowerCase() === name ? [n, v.split(c.recorded).join(value)] : [n, v]));
      }
    }
    return buildRequestBuffer({ method: e.method, pathAndQuery, headers, body }, this._host);
  }

  /** After a producer's response: keeps the values at its pointers (scalars only) for later consumers. */
  harvest(i: number, status: number, body: Buffer): void {
    if (status >= 300 || body.length === 0) return;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    for (const pointer of this.produces[i]) {
      const v = getPointer(json, pointer);
      if (v === undefined || v === null || typeof v === 'object') continue;
      let pool = this._pools.get(`${i} ${pointer}`);
      if (!pool) this._pools.set(`${i} ${pointer}`, (pool = new ValuePool()));
      pool.add(String(v));
    }
  }
}
