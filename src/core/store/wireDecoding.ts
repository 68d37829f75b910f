/**
 * Wire chunks decoded in the store worker (see deferredDecoder.ts): one WireStreamDecoder per wire listener runs
 * the protocol's parser for each of its connections over the raw chunks, in arrival order, and turns every call
 * into the same flat batch a call queued on the proxy's thread makes (WireBatchBuilder), so the rows are prepared,
 * redacted and stored by the one path (prepareWireCall).
 */
import { ConnectionParser } from '../protocols/connectionParser';
import { END, forEachChunk, SERVER, type PackedChunks } from '../protocols/rawChunks';
import type { WireCall, WireProtocolDefinition } from '../protocols/types';
import { WireBatchBuilder, wireBodies, type WireRecordContext } from '../protocols/wireRecord';

export interface WireStreamSpec {
  protocol: string;
  target: string;
  bodyCap: number;
  /** The listener's options, handed to the parser (e.g. { protoFiles } for gRPC). */
  options?: Record<string, unknown>;
}

export interface DecodedCounts {
  calls: number;
  errors: number;
  /** Connections whose parser threw and was turned off. */
  failures: number;
}

export class WireStreamDecoder {
  private readonly _parsers = new Map<number, ConnectionParser>();
  private readonly _context: WireRecordContext;
  private _at = 0;
  private _seq = 0;
  private _builder: WireBatchBuilder | undefined;
  private _counts: DecodedCounts = { calls: 0, errors: 0, failures: 0 };
  private readonly _hooks;

  constructor(private readonly _definition: WireProtocolDefinition, spec: WireStreamSpec) {
    this._context = { protocol: _definition.name, target: spec.target, connectionId: 0, seq: 0, bodyCap: spec.bodyCap };
    this._hooks = {
      now: () => this._at,
      emit: (call: WireCall) => this._emit(call),
      failed: () => this._counts.failures++,
      options: spec.options,
    };
  }

  /** Decodes a transfer's chunks into `builder`; returns what it found. */
  decode(packed: PackedChunks, builder: WireBatchBuilder): DecodedCounts {
    this._builder = builder;
    this._counts = { calls: 0, errors: 0, failures: 0 };
    forEachChunk(packed, (connection, side, at, seq, chunk) => {
      this._at = at;
      this._seq = seq + 1;
      this._context.connectionId = connection;
      let parser = this._parsers.get(connection);
      if (side === END) {
        parser?.end();
        this._parsers.delete(connection);
        return;
      }
      if (!parser) this._parsers.set(connection, (parser = new ConnectionParser(this._definition, this._hooks)));
      if (side === SERVER) parser.server(chunk);
      else parser.client(chunk);
    });
    this._builder = undefined;
    return this._counts;
  }

  private _emit(call: WireCall): void {
    const context = this._context;
    context.seq = this._seq++;
    const { request, response } = wireBodies(call, context);
    this._builder!.push(call, context, request, response);
    this._counts.calls++;
    if (call.error !== null) this._counts.errors++;
  }
}
