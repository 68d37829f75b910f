import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { decodeBody } from '../capture/decode';
import type { Redactor } from '../capture/redact';
import { statementShape } from '../protocols/statementShape';
import { isWireProtocol, WIRE_NUMBERS, WIRE_TEXTS, type WireBatch } from '../protocols/wireRecord';
import { headerValue, rawHeadersToPairs, type BodyCapture, type CapturedExchange, type CapturedMessage, type HeaderPairs } from '../capture/types';

/** A row ready for the `exchanges` table, with its bodies ready for the `bodies` table. */
export interface PreparedExchange {
  seq: number;
  protocol: string;
  connectionId: number | null;
  startedAt: number;
  ttfbMs: number | null;
  durationMs: number | null;
  method: string;
  url: string;
  host: string | null;
  path: string | null;
  status: number | null;
  requestHeaders: HeaderPairs;
  responseHeaders: HeaderPairs | null;
  requestBody: PreparedBody | null;
  responseBody: PreparedBody | null;
  error: string | null;
  redacted: boolean;
  /** HTTP exchanges: client → proxy and proxy → upstream versions; absent otherwise (imports, wire calls). */
  httpVersion?: string | null;
  upstreamHttpVersion?: string | null;
}

export interface PreparedBody {
  /** null when no bytes were kept or hashed (only the size is known). */
  hash: string | null;
  data: Uint8Array;
  size: number;
  truncated: boolean;
  contentType: string | null;
}

export interface PreparedMessage {
  exchangeSeq: number;
  direction: string;
  at: number;
  opcode: number;
  size: number;
  data: Uint8Array | null;
  truncated: boolean;
}

/** crypto.hash (Node ≥ 20.12): one call, no Hash object; bodies are hashed once per exchange. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;

export function sha256Hex(data: Uint8Array): string {
  return oneShot !== undefined ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/** Decode, redact and hash one exchange. Runs in the store worker, never on the proxy's event loop. */
export function prepareExchange(ex: CapturedExchange, redactor: Redactor, options: { alreadyDecoded?: boolean } = {}): PreparedExchange {
  const req = headersOf(ex.requestHeaders, redactor, 0);
  const res = ex.responseHeaders ? headersOf(ex.responseHeaders, redactor, 1) : null;
  const reqPairs = req.pairs;
  const resPairs = res === null ? null : res.pairs;
  const reqHeaders = req.redacted;
  const resHeaders = res === null ? redactor.headers(null) : res.redacted;
  const wire = isWireProtocol(ex.protocol);
  // A wire call's "url" is its statement (SQL, a Redis command), not a URL with a query string to redact.
  const url = wire ? { url: ex.url, changed: false } : redactor.url(ex.url);
  const decode = !options.alreadyDecoded;
  const reqBody = prepareBody(ex.requestBody, reqPairs, redactor, decode);
  const resBody = prepareBody(ex.responseBody, resPairs, redactor, decode);
  let host: string | null = null;
  let path: string | null = null;
  if (ex.protocol === 'tunnel') {
    host = ex.url;
  } else if (wire) {
    host = ex.target ?? null;
    path = shapeOf(ex.protocol, ex.url);
  } else {
    const parts = urlParts(url.url);
    host = parts.host;
    path = parts.path;
  }
  return {
    seq: ex.seq,
    protocol: ex.protocol,
    connectionId: ex.connectionId,
    startedAt: ex.startedAt,
    ttfbMs: ex.ttfbMs,
    durationMs: ex.durationMs,
    method: ex.method,
    url: url.url,
    host,
    path,
    status: ex.status,
    requestHeaders: reqHeaders.pairs ?? [],
    responseHeaders: resHeaders.pairs,
    requestBody: reqBody.body,
    responseBody: resBody.body,
    error: ex.error,
    redacted: reqHeaders.changed || resHeaders.changed || url.changed || reqBody.redacted || resBody.redacted,
    httpVersion: ex.httpVersion ?? null,
    upstreamHttpVersion: ex.upstreamHttpVersion ?? null,
  };
}

/** Host and path of recent URLs: an endpoint's URL comes back request after request, and parsing one costs more. */
const recentUrls = new Map<string, { host: string | null; path: string }>();
const RECENT_URLS_MAX = 4_096;
const URL_KEY_MAX = 512;

function urlParts(url: string): { host: string | null; path: string } {
  let parts = url.length <= URL_KEY_MAX ? recentUrls.get(url) : undefined;
  if (parts !== undefined) return parts;
  try {
    const u = new URL(url);
    parts = { host: u.host, path: u.pathname };
  } catch {
    parts = { host: null, path: url.split('?')[0] };
  }
  if (url.length <= URL_KEY_MAX) {
    if (recentUrls.size >= RECENT_URLS_MAX) recentUrls.clear();
    recentUrls.set(url, parts);
  }
  return parts;
}

interface PreparedHeaders {
  raw: string[];
  redactor: Redactor;
  pairs: HeaderPairs;
  redacted: { pairs: HeaderPairs | null; changed: boolean };
}

/** The last request's [0] and response's [1] headers made into pairs and redacted. */
const lastHeaders: Array<PreparedHeaders | null> = [null, null];

/**
 * Pairs and their redaction; headers that repeat the previous exchange's come as the same array (unpackExchanges),
 * and get the same pairs (and so the same stored JSON, see database.ts headersJson) without being made again.
 */
function headersOf(raw: string[], redactor: Redactor, slot: 0 | 1): PreparedHeaders {
  const last = lastHeaders[slot];
  if (last !== null && last.raw === raw && last.redactor === redactor) return last;
  const pairs = rawHeadersToPairs(raw);
  const prepared = { raw, redactor, pairs, redacted: redactor.headers(pairs) };
  lastHeaders[slot] = prepared;
  return prepared;
}

const JSON_TYPE = 'application/json';
const JSON_HEADER_PAIRS: HeaderPairs = [['content-type', JSON_TYPE]];

/**
 * A wire call's row, the same as prepareExchange(toCapturedExchange(call)) makes it (test/integration/
 * store-wire-calls.test.ts holds the two together) without the work that cannot apply to it: no headers to redact,
 * no URL, no content encoding; its bodies are JSON text already, redacted only when a secret's name could be in them.
 */
export function prepareWireCall(b: WireBatch, i: number, redactor: Redactor): PreparedExchange {
  const n = i * WIRE_NUMBERS;
  const t = i * WIRE_TEXTS;
  const v = b.numbers;
  const texts = b.texts as Array<string | null>; // expanded (expandRepeats) before the rows are made
  const cap = v[n + 2];
  const protocol = texts[t] as string;
  const statement = texts[t + 3] as string;
  const req = wireBody(texts[t + 5], cap, redactor);
  const res = wireBody(texts[t + 6], cap, redactor);
  return {
    seq: v[n],
    protocol,
    connectionId: v[n + 1],
    startedAt: v[n + 3],
    ttfbMs: nullIfNaN(v[n + 4]),
    durationMs: nullIfNaN(v[n + 5]),
    method: texts[t + 2] as string,
    url: statement,
    host: texts[t + 1],
    path: shapeOf(protocol, statement),
    status: nullIfNaN(v[n + 6]),
    requestHeaders: req ? JSON_HEADER_PAIRS : [],
    responseHeaders: res ? JSON_HEADER_PAIRS : null,
    requestBody: req?.body ?? null,
    responseBody: res?.body ?? null,
    error: texts[t + 4],
    redacted: (req?.redacted ?? false) || (res?.redacted ?? false),
    httpVersion: null,
    upstreamHttpVersion: null,
  };
}

/** SQLite stores a NaN as NULL too; null crosses to the worker as NaN (see WireBatch). */
function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/** Prepared wire bodies by their JSON text, per redactor: the same summaries come back call after call. */
const recentWireBodies = new WeakMap<Redactor, Map<string, PreparedWireBody>>();
const RECENT_WIRE_BODIES_MAX = 4_096;
/** Texts up to this length are cached (by the text itself). */
const WIRE_BODY_KEY_MAX = 512;

interface PreparedWireBody {
  body: PreparedBody;
  redacted: boolean;
}

function wireBody(text: string | null, cap: number, redactor: Redactor): PreparedWireBody | null {
  if (text === null || text.length === 0) return null;
  // Cached only when no cap can cut it (3 bytes per UTF-16 unit at most), so the text alone is the key.
  const cacheable = text.length <= WIRE_BODY_KEY_MAX && text.length * 3 <= cap;
  let cache: Map<string, PreparedWireBody> | undefined;
  if (cacheable) {
    cache = recentWireBodies.get(redactor);
    if (!cache) recentWireBodies.set(redactor, (cache = new Map()));
    const hit = cache.get(text);
    if (hit) return hit;
  }
  // A pooled slice (an ArrayBuffer of its own per body costs more than the rest of this function): the cache keeps
  // at most RECENT_WIRE_BODIES_MAX of them, so at most that many 8 KB pool slabs alive, in practice a few.
  const full = Buffer.from(text);
  const size = full.length;
  const truncated = size > cap;
  const data = truncated ? full.subarray(0, cap) : full;
  const wireHash = sha256Hex(data);
  let body: PreparedBody = { hash: wireHash, data, size, truncated, contentType: JSON_TYPE };
  let redacted = false;
  if (redactor.mayRedactJson(text)) {
    const r = redactor.body(data, JSON_TYPE);
    // The key of a redacted body is the hash of what is stored (see prepareBody).
    if (r.changed) {
      body = { hash: sha256Hex(r.data), data: r.data, size, truncated, contentType: JSON_TYPE };
      redacted = true;
    }
  }
  const prepared = { body, redacted };
  if (cache) {
    if (cache.size >= RECENT_WIRE_BODIES_MAX) cache.clear();
    cache.set(text, prepared);
  }
  return prepared;
}

/**
 * Shapes of recent statements, per protocol: the same command or prepared statement comes back call after call.
 * Keyed by the statement itself, so a lookup builds no key.
 */
const recentShapes = new Map<string, Map<string, string>>();
const RECENT_SHAPES_MAX = 4_096;
const SHAPE_KEY_MAX = 512;

function shapeOf(protocol: string, statement: string): string {
  if (statement.length > SHAPE_KEY_MAX) return statementShape(protocol, statement);
  let shapes = recentShapes.get(protocol);
  if (!shapes) recentShapes.set(protocol, (shapes = new Map()));
  let shape = shapes.get(statement);
  if (shape === undefined) {
    shape = statementShape(protocol, statement);
    if (shapes.size >= RECENT_SHAPES_MAX) shapes.clear();
    shapes.set(statement, shape);
  }
  return shape;
}

/**
 * Prepared bodies by their wire hash and headers, per redactor: traffic repeats bodies (lists, health, errors),
 * and a repeat then costs one hash instead of a decode, a JSON parse and a redaction pass.
 */
const recentBodies = new WeakMap<Redactor, Map<string, { body: PreparedBody; redacted: boolean }>>();
const RECENT_BODIES_MAX = 2_000;
/** Bodies up to this size are cached by their bytes rather than by their hash. */
const SMALL_BODY = 256;

function prepareBody(body: BodyCapture, headers: HeaderPairs | null, redactor: Redactor, decode: boolean): { body: PreparedBody | null; redacted: boolean } {
  if (body.size === 0) return { body: null, redacted: false };
  // Without the header, a type given some other way: the redactor would otherwise miss a form body's password.
  const contentType = headerValue(headers, 'content-type') ?? (body.mimeType || null);
  // Counted but neither kept nor hashed (a CONNECT tunnel's bytes): only the size is stored, no body row.
  if (!body.data || (body.data.length === 0 && !body.sha256)) return { body: { hash: null, data: new Uint8Array(0), size: body.size, truncated: body.truncated, contentType }, redacted: false };
  const encoding = decode ? headerValue(headers, 'content-encoding') : undefined;
  // A small body is its own key (a wire call's JSON): a repeat then costs no hash at all.
  const byContent = !body.sha256 && body.data.length <= SMALL_BODY;
  const id = byContent ? `\0${Buffer.from(body.data.buffer, body.data.byteOffset, body.data.length).toString('latin1')}` : (body.sha256 ?? sha256Hex(body.data));
  const key = `${id} ${body.data.length} ${contentType ?? ''} ${encoding ?? ''} ${body.truncated ? 1 : 0}`;
  let cache = recentBodies.get(redactor);
  if (!cache) recentBodies.set(redactor, (cache = new Map()));
  const hit = cache.get(key);
  if (hit) return { body: { ...hit.body, size: body.size }, redacted: hit.redacted };
  const wireHash = byContent ? sha256Hex(body.data) : id;
  const decoded = encoding ? decodeBody(body.data, encoding) : { data: body.data };
  const r = redactor.body(decoded.data, contentType ?? undefined);
  // The key of a redacted body is the hash of what is stored: a hash of the unredacted bytes would let anyone
  // confirm a guessed secret.
  const hash = r.changed ? sha256Hex(r.data) : wireHash;
  const result = { body: { hash, data: r.data, size: body.size, truncated: body.truncated, contentType }, redacted: r.changed };
  if (cache.size >= RECENT_BODIES_MAX) cache.clear();
  cache.set(key, result);
  return result;
}

/** Text frames are redacted like JSON bodies; binary frames are stored as they are. */
export function prepareMessage(m: CapturedMessage, redactor: Redactor): PreparedMessage {
  if (m.opcode !== 1 || !m.data) return { ...m };
  const r = redactor.body(m.data, m.truncated ? 'text/plain' : undefined);
  return { ...m, data: r.data };
}
