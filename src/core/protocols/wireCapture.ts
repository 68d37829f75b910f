/**
 * A TCP capture proxy for one wire protocol: the fault proxy (tcpProxy.ts, so toxics and `down` apply) with a tap
 * on each connection that runs the protocol's parser over copies of the bytes and records every call it emits.
 * The forward path never waits on the parser; a parser that throws is dropped for that connection (a note is
 * recorded as an exchange with the error) and the bytes keep flowing unchanged.
 */
import type { RecordSink } from '../capture/proxy';
import { epochNow as now } from '../clock';
import { formatHostPort, TcpProxy, type ConnectionTap, type FlowControl, type HostPort } from '../faults/tcpProxy';
import type { WireCall, WireParser, WireProtocolDefinition } from './types';
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
  /** The session's sequence (shared by every listener of one capture). */
  nextSeq: () => number;
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

  constructor(
    readonly definition: WireProtocolDefinition,
    private readonly _options: WireCaptureOptions,
    private readonly _sink: WireRecordSink,
  ) {
    this._target = formatHostPort(_options.target);
    this.proxy = new TcpProxy({ name: _options.name, listen: _options.listen, upstream: _options.target, tap: (id) => this._tap(id) });
  }

  get protocol(): string {
    return this.definition.name;
  }

  async listen(): Promise<HostPort> {
    return this.proxy.start();
  }

  close(): Promise<void> {
    return this.proxy.close();
  }

  private _tap(connectionId: number): ConnectionTap {
    const record: WireRecordContext = { protocol: this.definition.name, target: this._target, connectionId, seq: 0, bodyCap: this._options.bodyCap ?? DEFAULT_BODY_CAP };
    const emit = (call: WireCall): void => {
      this.stats.calls++;
      if (call.error !== null) this.stats.errors++;
      record.seq = this._options.nextSeq();
      const sink = this._sink;
      if (sink.enqueueWireCall ? sink.enqueueWireCall(call, record) : sink.enqueueExchange(toCapturedExchange(call, record))) this.stats.recorded++;
    };
    let parser: WireParser | undefined;
    const fail = (where: string, e: unknown): void => {
      parser = undefined;
      this.stats.parserFailures++;
      const at = now();
      emit({ startedAt: at, ttfbMs: null, durationMs: null, method: 'PARSER', statement: `${this.definition.name} parser stopped`, status: null, error: `parser failed on the ${where} side and was turned off for this connection: ${(e as Error)?.message ?? String(e)}` });
    };
    try {
      parser = this.definition.createParser({ now, emit, options: this._options.options });
    } catch (e) {
      fail('start', e);
    }
    this.stats.openConnections++;
    const sink = this._sink;
    const gated = sink.whenCaughtUp && sink.behind !== undefined ? (sink as Required<Pick<WireRecordSink, 'behind' | 'whenCaughtUp'>>) : undefined;
    /*
     * While the store is behind, the connection is held: neither socket is read until the store has caught up, so
     * a database client waits a little, as it would for a slow server, instead of its calls going unrecorded. Both
     * sides are held: a pipelined client may have sent thousands of commands before the first reply, and it is the
     * replies that make calls. Checked after each chunk (the chunk itself was forwarded already).
     */
    let flow: FlowControl | undefined;
    let held = false;
    const release = (): void => {
      held = false;
      flow?.resume();
    };
    const holdIfBehind = (): void => {
      if (held || !gated || !flow || !gated.behind) return;
      held = true;
      flow.pause();
      gated.whenCaughtUp(release);
    };
    return {
      flow: (control) => (flow = control),
      client(chunk) {
        if (parser) {
          try {
            parser.client(chunk);
          } catch (e) {
            fail('client', e);
          }
        }
        holdIfBehind();
      },
      server(chunk) {
        if (parser) {
          try {
            parser.server(chunk);
          } catch (e) {
            fail('server', e);
          }
        }
        holdIfBehind();
      },
      end: () => {
        this.stats.openConnections--;
        const p = parser;
        parser = undefined;
        if (!p) return;
        try {
          p.end();
        } catch (e) {
          fail('end', e);
        }
      },
    };
  }
}
