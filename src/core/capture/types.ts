/** What the proxy hands to the recorder: raw, as seen on the wire. Plain data, safe to post to a worker. */
import type { WireProtocol } from '../protocols/types';

/** HTTP and its kin, or a wire protocol whose calls a TCP capture proxy parsed (see protocols/wireRecord.ts). */
export type Protocol = 'http' | 'https' | 'ws' | 'wss' | 'tunnel' | WireProtocol;

/** Header pairs in wire order, names as sent. */
export type HeaderPairs = Array<[string, string]>;

/** Headers as node gives them (`rawHeaders`): [name, value, name, value, ...]. The proxy keeps this form, which
 * costs nothing to take; the store worker turns it into pairs. */
export type RawHeaders = string[];

export interface BodyCapture {
  /** The first `cap` bytes as sent on the wire (still compressed if the sender compressed). */
  data: Uint8Array | null;
  /** Full size on the wire in bytes. */
  size: number;
  /** True when `data` holds fewer bytes than `size`. */
  truncated: boolean;
  /** sha256 (hex) of the full body, computed by the proxy only when the body was truncated. */
  sha256?: string;
  /** The type to take when the headers have no Content-Type: a HAR's `postData.mimeType` or `content.mimeType`. */
  mimeType?: string;
}

export interface CapturedExchange {
  /** Order within the capture session, assigned by the proxy. */
  seq: number;
  protocol: Protocol;
  connectionId: number;
  /** Epoch milliseconds. */
  startedAt: number;
  ttfbMs: number | null;
  durationMs: number | null;
  method: string;
  /** Absolute URL of the upstream request; `host:port` for tunnels; the statement of a wire protocol's call. */
  url: string;
  /** A wire protocol's target `host:port` (stored as the exchange's host); absent for HTTP. */
  target?: string;
  status: number | null;
  requestHeaders: RawHeaders;
  responseHeaders: RawHeaders | null;
  requestBody: BodyCapture;
  responseBody: BodyCapture;
  error: string | null;
  /** HTTP exchanges: the version the client spoke to the proxy ('1.0', '1.1', '2'). */
  httpVersion?: string;
  /** HTTP exchanges: the version the proxy spoke upstream ('1.1', or '2' for an intercepted h2 origin). */
  upstreamHttpVersion?: string;
}

export interface CapturedMessage {
  /** `seq` of the WebSocket handshake exchange this message belongs to. */
  exchangeSeq: number;
  direction: 'client' | 'server';
  at: number;
  opcode: number;
  size: number;
  data: Uint8Array | null;
  truncated: boolean;
}

export const EMPTY_BODY: BodyCapture = { data: null, size: 0, truncated: false };

export function rawHeadersToPairs(raw: string[]): HeaderPairs {
  const pairs: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
}

export function pairsToRawHeaders(pairs: HeaderPairs): RawHeaders {
  const raw: RawHeaders = [];
  for (const [k, v] of pairs) raw.push(k, v);
  return raw;
}

export function headerValue(headers: HeaderPairs | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  // (Lengths first: most names differ in length, and lowering one makes a new string.)
  for (const [k, v] of headers) if (k.length === lower.length && k.toLowerCase() === lower) return v;
  return undefined;
}
