/**
 * A WireCall as the store keeps it: one exchange row, like HTTP's, so `list`, `show`, the editor and the behaviour
 * model read it without knowing the protocol. The mapping (the one place to look when adding a protocol):
 *   protocol     → the wire protocol's name ('redis', 'postgres', ...)
 *   url          → call.statement (the SQL, the command with its arguments)
 *   host         → the listener's target host:port; path → statementShape(protocol, statement), in the store worker
 *   method, status, error, startedAt, ttfbMs, durationMs → as the parser gave them
 *   request body → JSON of call.request; response body → JSON of call.response (application/json, redacted by
 *                  field name like any JSON body; cut at the listener's body cap)
 *   headers      → none
 */
import type { BodyCapture, CapturedExchange } from '../capture/types';
import { WIRE_PROTOCOLS, type WireCall, type WireProtocol } from './types';

const JSON_HEADERS = ['content-type', 'application/json'];
const NO_BODY: BodyCapture = { data: null, size: 0, truncated: false };

export function isWireProtocol(name: string): name is WireProtocol {
  return (WIRE_PROTOCOLS as readonly string[]).includes(name);
}

export interface WireRecordContext {
  protocol: WireProtocol;
  /** host:port of the listener's target. */
  target: string;
  connectionId: number;
  seq: number;
  bodyCap: number;
}

export function toCapturedExchange(call: WireCall, c: WireRecordContext): CapturedExchange {
  const requestBody = textBody(jsonText(call.request), c.bodyCap);
  const responseBody = textBody(call.responseJson ?? jsonText(call.response), c.bodyCap);
  return {
    seq: c.seq,
    protocol: c.protocol,
    connectionId: c.connectionId,
    startedAt: call.startedAt,
    ttfbMs: call.ttfbMs,
    durationMs: call.durationMs,
    method: call.method,
    url: call.statement,
    target: c.target,
    status: call.status,
    requestHeaders: requestBody.size ? JSON_HEADERS : [],
    responseHeaders: responseBody.size ? JSON_HEADERS : null,
    requestBody,
    responseBody,
    error: call.error,
  };
}

/**
 * Wire calls flattened for the store worker: the numbers of each call in one Float64Array (null as NaN), its text
 * in one array of strings. The proxy's thread only turns request and response into JSON text; the worker makes the
 * row (prepareWireCall reads it), so both threads' share of the work is as small as it can be, and a batch crosses to the
 * worker as one transferred buffer and an array of strings, with no object per call to clone.
 */
export interface WireBatch {
  count: number;
  /** WIRE_NUMBERS per call: seq, connectionId, bodyCap, startedAt, ttfbMs, durationMs, status. */
  numbers: Float64Array;
  /**
   * WIRE_TEXTS per call: protocol, target, method, statement, error, request JSON, response JSON. Crossing to the
   * worker, a text equal to the previous call's is undefined (most are: the same protocol, target, command, reply),
   * so it is copied once; expandRepeats puts them back.
   */
  texts: Array<string | null | undefined>;
}
export const WIRE_NUMBERS = 7;
export const WIRE_TEXTS = 7;

/** A copy of `a` in an array twice its length (flat numeric batches grow this way). */
export function doubled(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(a.length * 2);
  grown.set(a);
  return grown;
}

export class WireBatchBuilder {
  private _numbers = new Float64Array(WIRE_NUMBERS * 256);
  private _texts: Array<string | null | undefined> = [];
  private _count = 0;
  /** The previous call's texts in this batch (see WireBatch.texts); undefined matches nothing (a batch's first call). */
  private _last: Array<string | null | undefined> = new Array<undefined>(WIRE_TEXTS);

  get count(): number {
    return this._count;
  }

  /** Appends one call whose bodies' JSON text is already made (see wireBodies). */
  push(call: WireCall, c: WireRecordContext, request: string | null, response: string | null): void {
    let n = this._count * WIRE_NUMBERS;
    if (n + WIRE_NUMBERS > this._numbers.length) this._numbers = doubled(this._numbers);
    const v = this._numbers;
    v[n++] = c.seq;
    v[n++] = c.connectionId;
    v[n++] = c.bodyCap;
    v[n++] = call.startedAt;
    v[n++] = call.ttfbMs ?? NaN;
    v[n++] = call.durationMs ?? NaN;
    v[n] = call.status ?? NaN;
    const last = this._last;
    this._texts.push(
      c.protocol === last[0] ? undefined : (last[0] = c.protocol),
      c.target === last[1] ? undefined : (last[1] = c.target),
      call.method === last[2] ? undefined : (last[2] = call.method),
      call.statement === last[3] ? undefined : (last[3] = call.statement),
      call.error === last[4] ? undefined : (last[4] = call.error),
      request === last[5] ? undefined : (last[5] = request),
      response === last[6] ? undefined : (last[6] = response),
    );
    this._count++;
  }

  /** The batch so far (its buffer is the caller's to transfer); the builder starts over. */
  take(): WireBatch {
    const batch = { count: this._count, numbers: this._numbers, texts: this._texts };
    // The next batch starts at the size this one needed: no regrowing batch after batch.
    this._numbers = new Float64Array(Math.max(WIRE_NUMBERS * 256, this._numbers.length));
    this._texts = [];
    this._last = new Array<undefined>(WIRE_TEXTS);
    this._count = 0;
    return batch;
  }
}

/** Puts back the texts a batch left out as repeats of the previous call's (see WireBatch.texts); in place, once. */
export function expandRepeats(b: WireBatch): void {
  const t = b.texts;
  for (let i = WIRE_TEXTS; i < t.length; i++) if (t[i] === undefined) t[i] = t[i - WIRE_TEXTS];
}

/** The JSON text of a call's request and response, and their length within the cap (the writer's back-pressure count). */
export function wireBodies(call: WireCall, c: WireRecordContext): { request: string | null; response: string | null; bytes: number } {
  const request = jsonText(call.request);
  const response = call.responseJson ?? jsonText(call.response);
  return { request, response, bytes: Math.min(request?.length ?? 0, c.bodyCap) + Math.min(response?.length ?? 0, c.bodyCap) };
}

/** null: no body (the value was undefined). */
function jsonText(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return JSON.stringify(value) ?? null;
  } catch (e) {
    return JSON.stringify({ unserialisable: (e as Error).message });
  }
}

function textBody(text: string | null, cap: number): BodyCapture {
  if (text === null) return NO_BODY;
  const data = Buffer.from(text);
  if (data.length <= cap) return { data, size: data.length, truncated: false };
  return { data: data.subarray(0, cap), size: data.length, truncated: true };
}
