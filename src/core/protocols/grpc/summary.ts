/**
 * Turns a finished gRPC stream into its WireCall: status and error from the trailers, metadata, message counts and
 * sizes each way, and the first messages decoded to JSON when `.proto` files were given.
 */
import type { WireCall } from '../types';
import type { HeaderList } from './hpack';
import type { GrpcMessageReader } from './messages';
import { STATUS_NAMES, decodeGrpcMessage, header, toMetadata } from './metadata';
import { decodeMessage, findMethod, loadProtos } from './protos';

export interface GrpcStream {
  id: number;
  startedAt: number;
  /** Epoch ms of the server's first frame on this stream. */
  ttfbAt: number | null;
  path: string;
  requestHeaders: HeaderList;
  responseHeaders: HeaderList | null;
  trailers: HeaderList | null;
  requestMessages: GrpcMessageReader;
  responseMessages: GrpcMessageReader;
}

const MAX_STATEMENT = 1000;
const TRAILER_FIELDS = ['grpc-status', 'grpc-message'];

function messages(reader: GrpcMessageReader): Record<string, unknown> {
  const { messages: count, sizes, compressed, notKept } = reader.summary;
  return { messages: count, sizes, ...(compressed ? { compressed } : {}), ...(notKept ? { notKept } : {}), ...(reader.lost ? { incomplete: true } : {}) };
}

function protoFiles(options: Record<string, unknown> | undefined): string[] | null {
  const files = options?.protoFiles;
  return Array.isArray(files) && files.length && files.every((f) => typeof f === 'string') ? files : null;
}

/** Adds `decoded` (or why not) to request and response, when .proto files were given. */
function decode(stream: GrpcStream, files: string[], request: Record<string, unknown>, response: Record<string, unknown>): void {
  const root = loadProtos(files);
  if (root instanceof Error) {
    request.decodeError = root.message;
    return;
  }
  const types = findMethod(root, stream.path);
  if (!types) {
    request.decodeError = `${stream.path} is not in the .proto files`;
    return;
  }
  request.decoded = stream.requestMessages.kept.map((b) => decodeMessage(types.request, b));
  response.decoded = stream.responseMessages.kept.map((b) => decodeMessage(types.response, b));
}

export function buildCall(stream: GrpcStream, error: string | null, now: number, options?: Record<string, unknown>): WireCall {
  const trailers = stream.trailers ?? [];
  const rawStatus = header(trailers, 'grpc-status');
  const status = rawStatus !== undefined && /^\d+$/.test(rawStatus) ? Number(rawStatus) : null;
  const message = decodeGrpcMessage(header(trailers, 'grpc-message') ?? '');
  const request: Record<string, unknown> = {
    authority: header(stream.requestHeaders, ':authority') ?? null,
    metadata: toMetadata(stream.requestHeaders),
    ...messages(stream.requestMessages),
  };
  const response: Record<string, unknown> = {
    httpStatus: Number(header(stream.responseHeaders ?? [], ':status') ?? 0) || null,
    metadata: toMetadata(stream.responseHeaders ?? [], TRAILER_FIELDS),
    trailers: stream.trailers && stream.trailers !== stream.responseHeaders ? toMetadata(stream.trailers, TRAILER_FIELDS) : {},
    ...messages(stream.responseMessages),
  };
  const files = protoFiles(options);
  if (files) decode(stream, files, request, response);

  let callError = error;
  if (!callError && status !== null && status !== 0) callError = `${status} ${STATUS_NAMES[status] ?? 'UNKNOWN'}${message ? `: ${message}` : ''}`;
  if (!callError && status === null) callError = stream.responseHeaders ? 'the stream ended without a grpc-status' : 'no response';
  const path = stream.path.length > MAX_STATEMENT ? `${stream.path.slice(0, MAX_STATEMENT)}…<${stream.path.length} bytes>` : stream.path;
  return {
    startedAt: stream.startedAt,
    ttfbMs: stream.ttfbAt === null ? null : Math.max(0, stream.ttfbAt - stream.startedAt),
    durationMs: Math.max(0, now - stream.startedAt),
    method: 'POST',
    statement: path,
    status,
    request,
    response,
    error: callError,
  };
}
