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
  const fields: WireFields = [];
  pushWireFields(fields, call, c);
  return wireExchange(fields, 0);
}

/**
 * A wire call flattened for the store worker: primitives only, WIRE_FIELD_COUNT per call, one array per batch.
 * The proxy's thread only turns request and response into JSON text; the worker makes the exchange (the bodies'
 * bytes, the cap) with wireExchange, so both threads' share of the work is as small as it can be, and a batch
 * crosses to the worker with no object per call to clone.
 */
export type WireFields = Array<string | number | null>;
export const WIRE_FIELD_COUNT = 14;

/** Appends one call; returns the length of its bodies' JSON text, each within the cap (the writer's back-pressure count). */
export function pushWireFields(out: WireFields, call: WireCall, c: WireRecordContext): number {
  const request = jsonText(call.request);
  const response = jsonText(call.response);
  out.push(c.seq, c.protocol, c.connectionId, c.target, c.bodyCap, call.startedAt, call.ttfbMs, call.durationMs, call.method, call.statement, call.status, call.error, request, response);
  return Math.min(request?.length ?? 0, c.bodyCap) + Math.min(response?.length ?? 0, c.bodyCap);
}

/** The exchange of the call at `offset` in `fields` (see pushWireFields for the order). */
export function wireExchange(f: WireFields, offset: number): CapturedExchange {
  const cap = f[offset + 4] as number;
  const requestBody = textBody(f[offset + 12] as string | null, cap);
  const responseBody = textBody(f[offset + 13] as string | null, cap);
  return {
    seq: f[offset] as number,
    protocol: f[offset + 1] as WireProtocol,
    connectionId: f[offset + 2] as number,
    startedAt: f[offset + 5] as number,
    ttfbMs: f[offset + 6] as number | null,
    durationMs: f[offset + 7] as number | null,
    method: f[offset + 8] as string,
    url: f[offset + 9] as string,
    target: f[offset + 3] as string,
    status: f[offset + 10] as number | null,
    requestHeaders: requestBody.size ? JSON_HEADERS : [],
    responseHeaders: responseBody.size ? JSON_HEADERS : null,
    requestBody,
    responseBody,
    error: f[offset + 11] as string | null,
  };
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
