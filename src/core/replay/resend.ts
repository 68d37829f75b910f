import * as http from 'node:http';
import * as https from 'node:https';
import { InputError, describeError } from '../errors';
import type { HeaderPairs } from '../capture/types';
import type { BodyView, ExchangeView } from '../store/queries';
import { bodyAsText } from '../store/bodyText';

export interface FreshResponse {
  status: number;
  headers: HeaderPairs;
  body: BodyView;
  durationMs: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'expect']);
const MAX_BODY = 4 * 1024 * 1024;

/**
 * Sends a recorded request again, straight to where it went (not through a proxy), and returns the new response.
 * Refuses what cannot be reproduced faithfully: a truncated or binary request body, a tunnel, a WebSocket.
 */
export async function resend(ex: ExchangeView, options: { timeoutMs?: number; insecure?: boolean; signal?: AbortSignal } = {}): Promise<FreshResponse> {
  if (ex.protocol !== 'http' && ex.protocol !== 'https') throw new InputError(`exchange ${ex.id} is a ${ex.protocol} exchange; only HTTP requests can be resent`);
  if (ex.requestBody?.truncated) throw new InputError(`the request body of exchange ${ex.id} was truncated at capture (${ex.requestBody.size} bytes); raise the body cap to resend it`);
  let url: URL;
  try {
    url = new URL(ex.url);
  } catch {
    throw new InputError(`exchange ${ex.id} has no absolute URL (${ex.url}); it cannot be resent`);
  }
  const body = ex.requestBody ? Buffer.from(ex.requestBody.text, ex.requestBody.encoding === 'base64' ? 'base64' : 'utf8') : null;
  const headers = forwardableHeaders(ex.requestHeaders);
  try {
    return await sendRequest({ url, method: ex.method, headers, body }, options);
  } catch (e) {
    throw new InputError(`resending exchange ${ex.id} to ${url.origin} failed: ${describeError(e)}`);
  }
}

/** A recorded request's headers minus those of one connection (hop-by-hop, length, forwarding) and accept-encoding. */
export function forwardableHeaders(pairs: HeaderPairs): HeaderPairs {
  // accept-encoding is dropped to ask for identity, so comparisons see readable bodies.
  return pairs.filter(([name]) => {
    const lower = name.toLowerCase();
    return !HOP_BY_HOP.has(lower) && !lower.startsWith('x-forwarded-') && lower !== 'accept-encoding';
  });
}

export interface OutgoingRequest {
  url: URL;
  method: string;
  headers: HeaderPairs;
  body: Buffer | null;
  /** TLS server name when the URL's host is not the server's name (sending through a local fault proxy). */
  servername?: string;
}

export interface SendOptions {
  timeoutMs?: number;
  /** A keep-alive agent for many requests to one backend (default: a fresh connection each time). */
  agent?: http.Agent;
  insecure?: boolean;
  signal?: AbortSignal;
}

/** Sends one request on a fresh connection; rejects with the socket's own error (ECONNREFUSED, ECONNRESET, ETIMEDOUT). */
export function sendRequest(r: OutgoingRequest, options: SendOptions = {}): Promise<FreshResponse> {
  const headers: string[] = [];
  for (const [name, value] of r.headers) headers.push(name, value);
  if (r.body) headers.push('content-length', String(r.body.length));
  const client = r.url.protocol === 'https:' ? https : http;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const t0 = performance.now();
  return new Promise<FreshResponse>((resolve, reject) => {
    const req = client.request(
      r.url,
      { method: r.method, headers, rejectUnauthorized: !options.insecure, timeout: timeoutMs, signal: options.signal, agent: options.agent ?? false, ...(r.servername ? { servername: r.servername } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY) chunks.push(c);
        });
        res.on('end', () => {
          const data = Buffer.concat(chunks);
          const contentType = res.headers['content-type'] ?? null;
          const { text, encoding } = bodyAsText(data, contentType);
          const view: BodyView = { text, size, truncated: size > MAX_BODY, contentType };
          if (encoding) view.encoding = encoding;
          const pairs: HeaderPairs = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
          resolve({ status: res.statusCode ?? 0, headers: pairs, body: view, durationMs: performance.now() - t0 });
        });
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) reject(Object.assign(new Error('the connection closed mid-response'), { code: 'ECONNRESET' }));
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(r.body ?? undefined);
  });
}

function prettyBody(b: BodyView | null): string {
  if (!b) return '';
  if (b.encoding === 'base64') return `<binary body, ${b.size} bytes>`;
  if (b.pretty) return b.pretty;
  try {
    return JSON.stringify(JSON.parse(b.text), null, 2);
  } catch {
    return b.text;
  }
}

/** A response as text for a side-by-side diff: status line, headers sorted by name, pretty body. */
export function renderResponse(r: { status: number | null; headers: HeaderPairs | null; body: BodyView | null; error?: string | null }): string {
  if (r.status === null) return `(no response: ${r.error ?? 'unknown error'})\n`;
  const headers = [...(r.headers ?? [])].sort((a, b) => a[0].toLowerCase().localeCompare(b[0].toLowerCase()));
  return [`HTTP ${r.status}`, ...headers.map(([n, v]) => `${n.toLowerCase()}: ${v}`), '', prettyBody(r.body), ''].join('\n');
}
