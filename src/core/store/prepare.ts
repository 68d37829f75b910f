import { createHash } from 'node:crypto';
import { decodeBody } from '../capture/decode';
import type { Redactor } from '../capture/redact';
import { headerValue, type BodyCapture, type CapturedExchange, type CapturedMessage, type HeaderPairs } from '../capture/types';

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
}

export interface PreparedBody {
  hash: string;
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

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Decode, redact and hash one exchange. Runs in the store worker, never on the proxy's event loop. */
export function prepareExchange(ex: CapturedExchange, redactor: Redactor, options: { alreadyDecoded?: boolean } = {}): PreparedExchange {
  const reqHeaders = redactor.headers(ex.requestHeaders);
  const resHeaders = redactor.headers(ex.responseHeaders);
  const url = redactor.url(ex.url);
  const decode = !options.alreadyDecoded;
  const reqBody = prepareBody(ex.requestBody, ex.requestHeaders, redactor, decode);
  const resBody = prepareBody(ex.responseBody, ex.responseHeaders, redactor, decode);
  let host: string | null = null;
  let path: string | null = null;
  if (ex.protocol === 'tunnel') {
    host = ex.url;
  } else {
    try {
      const u = new URL(url.url);
      host = u.host;
      path = u.pathname;
    } catch {
      path = url.url.split('?')[0];
    }
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
  };
}

function prepareBody(body: BodyCapture, headers: HeaderPairs | null, redactor: Redactor, decode: boolean): { body: PreparedBody | null; redacted: boolean } {
  if (!body.data || body.size === 0) return { body: null, redacted: false };
  const contentType = headerValue(headers, 'content-type') ?? null;
  const decoded = decode ? decodeBody(body.data, headerValue(headers, 'content-encoding')) : { data: body.data };
  const r = redactor.body(decoded.data, contentType ?? undefined);
  // The key of a redacted body is the hash of what is stored: a hash of the unredacted bytes would let anyone
  // confirm a guessed secret.
  const hash = r.changed ? sha256Hex(r.data) : body.sha256 ?? sha256Hex(body.data);
  return {
    body: { hash, data: r.data, size: body.size, truncated: body.truncated, contentType },
    redacted: r.changed,
  };
}

/** Text frames are redacted like JSON bodies; binary frames are stored as they are. */
export function prepareMessage(m: CapturedMessage, redactor: Redactor): PreparedMessage {
  if (m.opcode !== 1 || !m.data) return { ...m };
  const r = redactor.body(m.data, m.truncated ? 'text/plain' : undefined);
  return { ...m, data: r.data };
}
