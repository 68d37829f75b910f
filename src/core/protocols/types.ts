/**
 * The contract between a TCP capture proxy and a wire parser (PostgreSQL, MySQL, Redis, Kafka, gRPC). The proxy
 * forwards bytes unchanged and hands the parser a copy of each chunk, per direction, per connection; the parser
 * emits one WireCall per query, command or call once its reply is complete (or the connection ends without one).
 * A parser never throws past `client`/`server` (the proxy also catches and turns parsing off for that connection,
 * recording why), never holds bytes back (it only reads copies), and keeps at most a bounded amount of state.
 */

export type WireProtocol = 'postgres' | 'mysql' | 'redis' | 'kafka' | 'grpc';
export const WIRE_PROTOCOLS: readonly WireProtocol[] = ['postgres', 'mysql', 'redis', 'kafka', 'grpc'];

/** One query, command or call, as the store keeps it (see toCapturedExchange in wireRecord.ts). */
export interface WireCall {
  /** Epoch ms when the request's first byte was seen. */
  startedAt: number;
  /** Request start → first reply byte. */
  ttfbMs: number | null;
  /** Request start → reply complete. */
  durationMs: number | null;
  /**
   * What kind of call, upper case, short: postgres QUERY | PARSE | BIND | EXECUTE | COPY …, mysql COM_QUERY |
   * COM_STMT_PREPARE | COM_STMT_EXECUTE …, redis the command name (GET, SET, MULTI…), kafka the API name (Produce,
   * Fetch, Metadata, ApiVersions…), grpc 'POST'.
   */
  method: string;
  /**
   * The human-readable call, which the store puts where HTTP has its URL: the SQL text, the Redis command with its
   * arguments (long ones cut, e.g. `SET user:1 <1,204 bytes>`), `Produce orders[0,1]`, `/pkg.Service/Method`.
   */
  statement: string;
  /** A protocol status where the protocol has one (gRPC status code; otherwise null). */
  status: number | null;
  /** Request details as JSON-able data: parameters, argument lists, topics and partitions, the decoded message. */
  request?: unknown;
  /**
   * The result summary as JSON-able data: rows returned or affected, the command tag, reply type, error code and
   * message, transaction state, message counts, decoded reply.
   */
  response?: unknown;
  /**
   * The JSON text of `response`, when the parser has it already (a summary it has seen before): the store takes it
   * instead of serialising `response` again.
   */
  responseJson?: string;
  /** The server answered with an error ("ERROR 42P01: relation \"x\" does not exist"), or the call never finished. */
  error: string | null;
}

export interface WireParserContext {
  /** Epoch ms now (injectable for tests). */
  now(): number;
  emit(call: WireCall): void;
  /** Options from the listener's config, e.g. { protoFiles: [...] } for gRPC. */
  options?: Record<string, unknown>;
}

/** One parser per proxied connection. */
export interface WireParser {
  /** A copy of bytes the client sent (client → server). */
  client(chunk: Buffer): void;
  /** A copy of bytes the server sent (server → client). */
  server(chunk: Buffer): void;
  /** The connection ended: emit calls still waiting for a reply with error 'connection closed before the reply'. */
  end(): void;
}

export interface WireProtocolDefinition {
  name: WireProtocol;
  defaultPort: number;
  createParser(context: WireParserContext): WireParser;
}
