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
  const requestBody = jsonBody(call.request, c.bodyCap);
  const responseBody = jsonBody(call.response, c.bodyCap);
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

function jsonBody(value: unknown, cap: number): BodyCapture {
  if (value === undefined) return NO_BODY;
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    text = JSON.stringify({ unserialisable: (e as Error).message });
  }
  const data = Buffer.from(text);
  if (data.length <= cap) return { data, size: data.length, truncated: false };
  return { data: data.subarray(0, cap), size: data.length, truncated: true };
}
