/**
 * gRPC metadata as recorded: headers without HTTP/2 pseudo-headers, long values cut; and gRPC status codes by name.
 * Secret values (authorization, tokens, …) are kept whole here: the store redacts them with its salted markers, as it
 * does HTTP headers, so different secrets get different markers.
 */
import { DEFAULT_REDACTED_HEADERS, fieldPattern } from '../../capture/redact';
import type { HeaderList } from './hpack';
import { decodeOrKeep } from '../../uri';

const SECRET_NAME = fieldPattern();
const SECRET_HEADERS = new Set(DEFAULT_REDACTED_HEADERS);
const MAX_VALUE = 256;
const MAX_ENTRIES = 64;

export const STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/** Cuts a long value; not a secret's, whose marker would then stand for its first bytes only. */
function cut(name: string, value: string): string {
  if (SECRET_HEADERS.has(name) || SECRET_NAME.test(name)) return value;
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…<${Buffer.byteLength(value).toLocaleString('en-US')} bytes>` : value;
}

/** Headers without pseudo-headers and without `skip`, as { name: value } (repeated names joined with ", "). */
export function toMetadata(headers: HeaderList, skip: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of headers) {
    if (name.startsWith(':') || skip.includes(name)) continue;
    const shown = cut(name, value);
    if (name in out) out[name] += `, ${shown}`;
    else if (n++ < MAX_ENTRIES) out[name] = shown;
  }
  return out;
}

export function header(headers: HeaderList, name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}

/** grpc-message is percent-encoded. */
export function decodeGrpcMessage(raw: string): string {
  return decodeOrKeep(raw);
}
