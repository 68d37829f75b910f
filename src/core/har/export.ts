import type { HeaderPairs } from '../capture/types';
import type { ExchangeDetail, TrafficDb } from '../store/database';
import { bodyAsText } from '../store/bodyText';
import { VERSION } from '../version';
import type { Har, HarEntry, HarNameValue } from './types';

const STATUS_TEXT: Record<number, string> = { 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

function nv(pairs: HeaderPairs | null): HarNameValue[] {
  return (pairs ?? []).map(([name, value]) => ({ name, value }));
}

function header(pairs: HeaderPairs | null, name: string): string | undefined {
  return pairs?.find(([k]) => k.toLowerCase() === name)?.[1];
}

function cookies(pairs: HeaderPairs | null, name: 'cookie' | 'set-cookie'): HarNameValue[] {
  const out: HarNameValue[] = [];
  for (const [k, v] of pairs ?? []) {
    if (k.toLowerCase() !== name) continue;
    const parts = name === 'cookie' ? v.split(/;\s*/) : [v.split(';')[0]];
    for (const p of parts) {
      const eq = p.indexOf('=');
      if (eq > 0) out.push({ name: p.slice(0, eq).trim(), value: p.slice(eq + 1) });
    }
  }
  return out;
}

/** The version the client spoke (HAR describes the client's view); HTTP/1.1 when not recorded. */
function harVersion(v: string | null): string {
  return v === '2' ? 'HTTP/2.0' : `HTTP/${v ?? '1.1'}`;
}

export function exchangeToHarEntry(ex: ExchangeDetail): HarEntry {
  let queryString: HarNameValue[] = [];
  try {
    queryString = [...new URL(ex.url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    // tunnels have no URL
  }
  const ttfb = ex.ttfbMs ?? 0;
  const total = ex.durationMs ?? ttfb;
  const entry: HarEntry = {
    startedDateTime: new Date(ex.startedAt).toISOString(),
    time: total,
    request: {
      method: ex.method,
      url: ex.protocol === 'tunnel' ? ex.url : ex.url,
      httpVersion: harVersion(ex.httpVersion),
      headers: nv(ex.requestHeaders),
      queryString,
      cookies: cookies(ex.requestHeaders, 'cookie'),
      headersSize: -1,
      bodySize: ex.requestBody?.size ?? 0,
    },
    response: {
      status: ex.status ?? 0,
      statusText: ex.status ? STATUS_TEXT[ex.status] ?? '' : '',
      httpVersion: harVersion(ex.httpVersion),
      headers: nv(ex.responseHeaders),
      cookies: cookies(ex.responseHeaders, 'set-cookie'),
      content: { size: ex.responseBody?.size ?? 0, mimeType: ex.responseBody?.contentType ?? header(ex.responseHeaders, 'content-type') ?? '' },
      redirectURL: header(ex.responseHeaders, 'location') ?? '',
      headersSize: -1,
      bodySize: ex.responseBody?.size ?? 0,
    },
    cache: {},
    timings: { send: 0, wait: ttfb, receive: Math.max(0, total - ttfb) },
    // Connection ids start at 1; 0 means unknown (an imported entry without one).
    connection: ex.connectionId ? String(ex.connectionId) : undefined,
    _protocol: ex.protocol,
    _error: ex.error,
  };
  if (ex.requestBody) {
    const { text, encoding } = bodyAsText(ex.requestBody.data, ex.requestBody.contentType);
    entry.request.postData = { mimeType: ex.requestBody.contentType ?? '', text, ...(encoding ? { encoding } : {}), ...(ex.requestBody.truncated ? { _truncated: true } : {}) };
  }
  if (ex.responseBody) {
    const { text, encoding } = bodyAsText(ex.responseBody.data, ex.responseBody.contentType);
    Object.assign(entry.response.content, { text, ...(encoding ? { encoding } : {}), ...(ex.responseBody.truncated ? { _truncated: true } : {}) });
  }
  if (ex.messages.length) {
    entry._webSocketMessages = ex.messages.map((m) => {
      const { text, encoding } = m.data ? bodyAsText(m.data, m.opcode === 1 ? 'text/plain' : null) : { text: '', encoding: undefined };
      return {
        type: m.direction === 'client' ? 'send' : 'receive',
        time: m.at / 1000,
        opcode: m.opcode,
        data: text,
        ...(encoding ? { _encoding: encoding } : {}),
        ...(m.size !== (m.data?.length ?? 0) ? { _size: m.size } : {}),
        ...(m.truncated ? { _truncated: true } : {}),
      };
    });
  }
  return entry;
}

export function exportHar(db: TrafficDb, sessionId?: number): Har {
  const entries = db.exchangeIds(sessionId).map((id) => exchangeToHarEntry(db.exchange(id)!));
  return { log: { version: '1.2', creator: { name: 'chaos-testing', version: VERSION }, pages: [], entries } };
}

/** Our own JSON: every stored field, bodies as text or base64. */
export function exportJson(db: TrafficDb, sessionId?: number): unknown {
  const text = (d: Uint8Array | null, ct: string | null): unknown => (d ? bodyAsText(d, ct) : null);
  return {
    version: VERSION,
    sessions: db.sessions().filter((s) => sessionId === undefined || s.id === sessionId),
    exchanges: db.exchangeIds(sessionId).map((id) => {
      const ex = db.exchange(id)!;
      return {
        ...ex,
        requestBody: ex.requestBody && { ...ex.requestBody, data: text(ex.requestBody.data, ex.requestBody.contentType) },
        responseBody: ex.responseBody && { ...ex.responseBody, data: text(ex.responseBody.data, ex.responseBody.contentType) },
        messages: ex.messages.map((m) => ({ ...m, data: text(m.data, m.opcode === 1 ? 'text/plain' : null) })),
      };
    }),
  };
}
