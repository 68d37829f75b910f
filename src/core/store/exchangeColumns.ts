import type { BodyCapture, CapturedExchange, Protocol } from '../capture/types';

/**
 * A batch of HTTP exchanges on their way to the store worker, as columns: numbers in one Float64Array
 * (transferred, not copied), texts and header strings in two flat arrays, bodies in the batch's buffer. Cloning
 * an array of objects writes every property name of every object; this costs the proxy's thread a third of that
 * (and the worker as much less to read back).
 */
export interface ExchangeColumns {
  count: number;
  /** EXCHANGE_NUMBERS per exchange; NaN for null; a body's offset is -1 when it has none. */
  numbers: Float64Array;
  /** EXCHANGE_TEXTS per exchange. */
  texts: Array<string | null>;
  /**
   * Every exchange's request headers then response headers, flat; their counts are in `numbers` (SAME_HEADERS:
   * the same as the previous exchange's of the batch, which are not sent again).
   */
  headers: string[];
}

/** A header count meaning "the same headers as the previous exchange of the batch" (the next client or backend answer alike). */
export const SAME_HEADERS = -2;

export const EXCHANGE_NUMBERS = 16;
export const EXCHANGE_TEXTS = 9;

/** Writes `exchanges` into columns, their kept body bytes into `view` from `offset`; returns the columns and the next offset. */
export function packExchanges(exchanges: CapturedExchange[], view: Uint8Array, offset: number): { columns: ExchangeColumns; offset: number } {
  const v = new Float64Array(exchanges.length * EXCHANGE_NUMBERS);
  const texts: Array<string | null> = [];
  const headers: string[] = [];
  let n = 0;
  const body = (b: BodyCapture): void => {
    if (b.size === 0) {
      v[n] = -1;
      v[n + 1] = 0;
      v[n + 2] = 0;
      v[n + 3] = 0;
    } else {
      // Counted but not kept (a tunnel's bytes): offset without length, the size still goes to the store.
      const length = b.data ? b.data.length : 0;
      if (b.data) view.set(b.data, offset);
      v[n] = offset;
      v[n + 1] = length;
      v[n + 2] = b.size;
      v[n + 3] = b.truncated ? 1 : 0;
      offset += length;
    }
    n += 4;
  };
  let lastRequest: string[] | null = null;
  let lastResponse: string[] | null = null;
  for (const ex of exchanges) {
    v[n] = ex.seq;
    v[n + 1] = ex.connectionId;
    v[n + 2] = ex.startedAt;
    v[n + 3] = ex.ttfbMs ?? NaN;
    v[n + 4] = ex.durationMs ?? NaN;
    v[n + 5] = ex.status ?? NaN;
    const request = ex.requestHeaders;
    const response = ex.responseHeaders;
    if (lastRequest !== null && sameStrings(request, lastRequest)) v[n + 6] = SAME_HEADERS;
    else {
      v[n + 6] = request.length;
      for (const h of request) headers.push(h);
      lastRequest = request;
    }
    if (response === null) v[n + 7] = -1;
    else if (lastResponse !== null && sameStrings(response, lastResponse)) v[n + 7] = SAME_HEADERS;
    else {
      v[n + 7] = response.length;
      for (const h of response) headers.push(h);
      lastResponse = response;
    }
    n += 8;
    body(ex.requestBody);
    body(ex.responseBody);
    texts.push(ex.protocol, ex.method, ex.url, ex.target ?? null, ex.error, ex.httpVersion ?? null, ex.upstreamHttpVersion ?? null,
      ex.requestBody.sha256 ?? null, ex.responseBody.sha256 ?? null);
  }
  return { columns: { count: exchanges.length, numbers: v, texts, headers }, offset };
}

function sameStrings(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The exchanges of `c` again (bodies as views into `buffer`), and how many body bytes they held. Headers sent as
 * SAME_HEADERS are the previous exchange's array itself (so what is made from them can be reused by identity).
 */
export function unpackExchanges(c: ExchangeColumns, buffer: ArrayBuffer): { exchanges: CapturedExchange[]; bytes: number } {
  const v = c.numbers;
  const t = c.texts;
  const exchanges: CapturedExchange[] = [];
  let bytes = 0;
  let h = 0;
  const body = (n: number, sha256: string | null): BodyCapture => {
    if (v[n] < 0) return { data: null, size: 0, truncated: false };
    bytes += v[n + 1];
    return { data: new Uint8Array(buffer, v[n], v[n + 1]), size: v[n + 2], truncated: v[n + 3] === 1, sha256: sha256 ?? undefined };
  };
  let lastRequest: string[] = [];
  let lastResponse: string[] = [];
  for (let i = 0; i < c.count; i++) {
    const n = i * EXCHANGE_NUMBERS;
    const s = i * EXCHANGE_TEXTS;
    const requestHeaders = v[n + 6] === SAME_HEADERS ? lastRequest : (lastRequest = c.headers.slice(h, (h += v[n + 6])));
    const responseHeaders = v[n + 7] === SAME_HEADERS ? lastResponse : v[n + 7] < 0 ? null : (lastResponse = c.headers.slice(h, (h += v[n + 7])));
    const ex: CapturedExchange = {
      seq: v[n],
      protocol: t[s] as Protocol,
      connectionId: v[n + 1],
      startedAt: v[n + 2],
      ttfbMs: nullIfNaN(v[n + 3]),
      durationMs: nullIfNaN(v[n + 4]),
      method: t[s + 1] as string,
      url: t[s + 2] as string,
      status: nullIfNaN(v[n + 5]),
      requestHeaders,
      responseHeaders,
      requestBody: body(n + 8, t[s + 7]),
      responseBody: body(n + 12, t[s + 8]),
      error: t[s + 4],
    };
    if (t[s + 3] !== null) ex.target = t[s + 3] as string;
    if (t[s + 5] !== null) ex.httpVersion = t[s + 5] as string;
    if (t[s + 6] !== null) ex.upstreamHttpVersion = t[s + 6] as string;
    exchanges.push(ex);
  }
  return { exchanges, bytes };
}

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}
