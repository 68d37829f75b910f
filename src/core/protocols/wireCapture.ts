/**
 * A TCP capture proxy for one wire protocol: the fault proxy (tcpProxy.ts, so toxics and `down` apply) with a tap
 * on each connection that runs the protocol's parser over copies of the bytes and records every call it emits,
 * on this thread or (deferDecoding) in the store worker.
 * The forward path never waits on the parser; a parser that throws is dropped for that connection (a note is
 * recorded as an exchange with the error) and the bytes keep flowing unchanged.
 */
import type { RecordSink } from '../capture/proxy';
import { epochNow as now } from '../clock';
import { describeError } from '../errors';
import { formatHostPort, TcpProxy, type ConnectionTap, type FlowControl, type HostPort } from '../faults/tcpProxy';
import { ConnectionParser } from './connectionParser';
import { DeferredDecoder, type WireChunkSink } from './deferredDecoder';
import type { DecodedCounts } from '../store/wireDecoding';
import type { WireCall, WireProtocolDefinition } from './types';
import { toCapturedExchange, type WireRecordContext } from './wireRecord';

/** A sink that takes wire calls as they are (StoreWriter) records them without making an exchange here. */
export interface WireRecordSink extends RecordSink {
  enqueueWireCall?(call: WireCall, context: WireRecordContext): boolean;
  /** The store is behind: hold the clients back (see StoreWriter.behind) rather than drop their calls. */
  readonly behind?: boolean;
  whenCaughtUp?(fn: () => void): void;
}

export interface WireCaptureOptions {
  /** The proxy's name in the fault API. */
  name: string;
  listen: HostPort;
  target: HostPort;
  /** The listener's `options` (e.g. { protoFiles } for gRPC), handed to the parser. */
  options?: Record<string, unknown>;
  bodyCap?: number;
  /**
   * The session's sequence (shared by every listener of one capture). With deferDecoding it must advance by
   * SEQ_STRIDE (rawChunks.ts): the calls decoded from a chunk take the numbers after the chunk's.
   */
  nextSeq: () => number;
  /**
   * Parse in the store worker (deferredDecoder.ts) rather than on the forwarding thread, when the sink can take
   * raw chunks (StoreWriter). The definition must then be the registry's (the worker loads it by name).
   */
  deferDecoding?: boolean;
}

export interface WireCaptureStats {
  calls: number;
  recorded: number;
  errors: number;
  /** Connections whose parser threw and was dropped. */
  parserFailures: number;
  openConnections: number;
}

const DEFAULT_BODY_CAP = 1024 * 1024;

export class WireCapture {
  readonly proxy: TcpProxy;
  readonly stats: WireCaptureStats = { calls: 0, recorded: 0, errors: 0, parserFailures: 0, openConnections: 0 };
  private readonly _target: string;
  private readonly _decoder: DeferredDecoder | undefined;

  constructor(
    readonly definition: WireProtocolDefinition,
    private readonly _options: WireCaptureOptions,
    private readonly _sink: WireRecordSink,
  ) {
    this._target = formatHostPort(_options.target);
    const chunkSink = (_sink as Partial<WireChunkSink>).openWireStream ? (_sink as WireRecordSink & WireChunkSink) : undefined;
    if (_options.deferDecoding && chunkSink) {
      const spec = { protocol: definition.name, target: this._target, bodyCap: _options.bodyCap ?? DEFAULT_BODY_CAP, options: _options.options };
      this._decoder = new DeferredDecoder(chunkSink, spec, _options.nextSeq, (d) => this._decoded(d));
    }
    this.proxy = new TcpProxy({ name: _options.name, listen: _options.listen, upstream: _options.target, tap: (id) => this._tap(id) });
  }

  get protocol(): string {
    return this.definition.name;
  }

  async listen(): Promise<HostPort> {
    return this.proxy.start();
  }

  /** Stops listening, ends every connection and, when decoding is deferred, waits until every call is recorded. */
  async close(): Promise<void> {
    await this.proxy.close();
    await this._decoder?.close();
  }

  private _record(call: WireCall, record: WireRecordContext): void {
    this.stats.calls++;
    if (call.error !== null) this.stats.errors++;
    record.seq = this._options.nextSeq();
    const sink = this._sink;
    if (sink.enqueueWireCall ? sink.enqueueWireCall(call, record) : sink.enqueueExchange(toCapturedExchange(call, record))) this.stats.recorded++;
  }

  private _context(connectionId: number): WireRecordContext {
    return { protocol: this.definition.name, target: this._target, connectionId, seq: 0, bodyCap: this._options.bodyCap ?? DEFAULT_BODY_CAP };
  }

  /** What the store worker decoded (and stored) from this listener's chunks. */
  private _decoded(d: DecodedCounts): void {
    this.stats.calls += d.calls;
    this.stats.recorded += d.calls;
    this.stats.errors += d.errors;
    this.stats.parserFailures += d.failures;
  }

  private _parser(record: WireRecordContext): ConnectionParser {
    return new ConnectionParser(this.definition, { now, emit: (call) => this._record(call, record), failed: () => this.stats.parserFailures++, options: this._options.options });
  }

  private _tap(connectionId: number): ConnectionTap {
    this.stats.openConnections++;
    const decoder = this._decoder;
    // Where this connection's chunks go: the decoder (parsed in the store worker) or a parser on this thread.
    const feed = decoder
      ? {
          client: (chunk: Buffer) => decoder.client(connectionId, chunk, now()),
          server: (chunk: Buffer) => decoder.server(connectionId, chunk, now()),
          end: () => decoder.end(connectionId, now()),
        }
      : this._parser(this._context(connectionId));
    const sink = this._sink;
    const store = sink.whenCaughtUp && sink.behind !== undefined ? (sink as Required<Pick<WireRecordSink, 'behind' | 'whenCaughtUp'>>) : undefined;
    /*
     * While the store (or the decoder) is behind, the connection is held: neither socket is read until it has
     * caught up, so a database client waits a little, as it would for a slow server, instead of its calls going
     * unrecorded. Both sides are held: a pipelined client may have sent thousands of commands before the first
     * reply, and it is the replies that make calls. Checked after each chunk (the chunk itself was forwarded already).
     */
    let flow: FlowControl | undefined;
    let held = false;
    const waitFor = (): { whenCaughtUp(fn: () => void): void } | undefined => (store?.behind ? store : decoder?.behind ? decoder : undefined);
    // The store's whenCaughtUp also lets go when it closes or fails; the decoder is not behind once it has failed.
    const release = (): void => {
      if (decoder?.behind) return decoder.whenCaughtUp(release);
      held = false;
      flow?.resume();
    };
    const holdIfBehind = (): void => {
      if (held || !flow) return;
      const gate = waitFor();
      if (!gate) return;
      held = true;
      flow.pause();
      gate.whenCaughtUp(release);
    };
    return {
      flow: (control) => (flow = control),
      client(chunk) {
        feed.client(chunk);
        holdIfBehind();
      },
      server(chunk) {
        feed.server(chunk);
        holdIfBehind();
      },
      upstreamFailed: (e) => this._record(upstreamFailure(this._target, e), this._context(connectionId)),
      end: () => {
        this.stats.openConnections--;
        feed.end();
      },
    };
  }
}

/**
 * The target did not take the connection: one call on that connection says so (the client only sees a reset, and
 * its calls would otherwise read as if the server had hung up mid-call); it counts as an error in the status line.
 */
function upstreamFailure(target: string, e: Error): WireCall {
  const code = (e as NodeJS.ErrnoException).code;
  const error = code === 'ECONNREFUSED' ? `target ${target} refused the connection (ECONNREFUSED)` : `cannot connect to target ${target}: ${describeError(e)}`;
  return { startedAt: now(), ttfbMs: null, durationMs: null, method: 'CONNECT', statement: `connect to ${target}`, status: null, error };
}
