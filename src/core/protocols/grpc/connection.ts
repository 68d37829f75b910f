/**
 * One cleartext HTTP/2 (h2c, prior knowledge) connection carrying gRPC: frames per direction, header blocks through
 * one HPACK decoder per direction, and per stream a call: the path, request metadata, messages each way, response
 * headers and trailers (grpc-status, grpc-message). A header block that cannot be decoded leaves HPACK state unknown,
 * so parsing stops there for the connection, quietly. TLS is detected and noted once, not parsed.
 */
import type { WireCall, WireParser, WireParserContext } from '../types';
import { FLAG, FRAME, H2FrameSplitter, type H2Frame } from './h2frames';
import { HeaderBlockDecoder, type HeaderList } from './hpack';
import { GrpcMessageReader, KeptBudget } from './messages';
import { buildCall, type GrpcStream } from './summary';

/**
 * Open calls followed per connection (each keeps at most its header block and 64 KB of messages per direction, and
 * all of them together at most CONNECTION_KEPT_BYTES of messages).
 */
const MAX_STREAMS = 1_000;
const MAX_HEADER_BLOCK = 256 * 1024;

type Side = 'client' | 'server';

interface PendingBlock {
  streamId: number;
  fragments: Buffer[];
  size: number;
  endStream: boolean;
  startedAt: number;
  /** A PUSH_PROMISE block: decoded only to keep the HPACK table in step. */
  discard: boolean;
}

const RST_CODES = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];
const codeName = (code: number): string => RST_CODES[code] ?? `0x${code.toString(16)}`;

export class GrpcConnection implements WireParser {
  private readonly streams = new Map<number, GrpcStream>();
  private readonly decoders: Record<Side, HeaderBlockDecoder> = { client: new HeaderBlockDecoder(), server: new HeaderBlockDecoder() };
  private readonly splitters: Record<Side, H2FrameSplitter>;
  private readonly pending: Record<Side, PendingBlock | null> = { client: null, server: null };
  private stopped = false;
  private sniffed = false;
  private readonly kept = new KeptBudget();

  constructor(private readonly context: WireParserContext) {
    this.splitters = {
      client: new H2FrameSplitter((f) => this.onFrame('client', f), context.now, true),
      server: new H2FrameSplitter((f) => this.onFrame('server', f), context.now, false),
    };
  }

  get bufferedBytes(): number {
    let n = this.splitters.client.bufferedBytes + this.splitters.server.bufferedBytes;
    for (const s of this.streams.values()) n += s.requestMessages.bufferedBytes + s.responseMessages.bufferedBytes;
    for (const p of Object.values(this.pending)) n += p?.size ?? 0;
    return n;
  }

  client(chunk: Buffer): void {
    if (this.stopped) return;
    if (!this.sniffed && chunk.length > 0) {
      this.sniffed = true;
      if (chunk[0] === 0x16) return this.noteTls();
    }
    this.guard(() => this.splitters.client.push(chunk));
  }

  server(chunk: Buffer): void {
    if (this.stopped) return;
    this.guard(() => this.splitters.server.push(chunk));
  }

  end(): void {
    if (this.stopped) return;
    this.guard(() => {
      for (const s of [...this.streams.values()]) this.finish(s, 'connection closed before the reply');
    });
    this.stop();
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch {
      this.stop();
    }
  }

  private stop(): void {
    this.stopped = true;
    this.streams.clear();
    this.pending.client = this.pending.server = null;
  }

  private noteTls(): void {
    const now = this.context.now();
    this.context.emit({
      startedAt: now, ttfbMs: null, durationMs: null, method: 'TLS', statement: 'TLS ClientHello (gRPC over TLS is not decoded)', status: null, error: null,
      response: { note: 'the connection is encrypted: point the client at the capture port in plaintext (h2c) to see its calls' },
    });
    this.stop();
  }

  private onFrame(side: Side, frame: H2Frame): void {
    const pending = this.pending[side];
    if (pending && frame.type !== FRAME.CONTINUATION) throw new Error('h2: header block interrupted');
    switch (frame.type) {
      case FRAME.HEADERS:
      case FRAME.PUSH_PROMISE:
        return this.onHeaders(side, frame);
      case FRAME.CONTINUATION:
        return this.onContinuation(side, frame);
      case FRAME.DATA:
        return this.onData(side, frame);
      case FRAME.RST_STREAM: {
        const stream = this.streams.get(frame.streamId);
        if (stream && frame.payload.length >= 4) this.finish(stream, `RST_STREAM ${codeName(frame.payload.readUInt32BE(0))} from the ${side}`);
        return;
      }
      case FRAME.GOAWAY: {
        // Its last-stream-id is about streams the sender's peer opened: only a server's GOAWAY says which of the
        // client's calls were not processed. A client's GOAWAY (a graceful close) leaves its open calls to finish.
        if (side !== 'server' || frame.payload.length < 8) return;
        const last = frame.payload.readUInt32BE(0) & 0x7fffffff;
        const code = codeName(frame.payload.readUInt32BE(4));
        for (const s of [...this.streams.values()]) if (s.id > last) this.finish(s, `GOAWAY ${code} from the ${side}: not processed`);
        return;
      }
      default:
        return; // SETTINGS, PING, PRIORITY, WINDOW_UPDATE
    }
  }

  private onHeaders(side: Side, frame: H2Frame): void {
    if (frame.skipped) throw new Error('h2: header block too large');
    let p = frame.payload;
    let pad = 0;
    if (frame.flags & FLAG.PADDED) {
      pad = p[0];
      p = p.subarray(1);
    }
    if (frame.type === FRAME.PUSH_PROMISE) p = p.subarray(4);
    else if (frame.flags & FLAG.PRIORITY) p = p.subarray(5);
    if (pad > p.length) throw new Error('h2: padding past the frame');
    const fragment = p.subarray(0, p.length - pad);
    const block: PendingBlock = { streamId: frame.streamId, fragments: [Buffer.from(fragment)], size: fragment.length, endStream: (frame.flags & FLAG.END_STREAM) !== 0, startedAt: frame.startedAt, discard: frame.type === FRAME.PUSH_PROMISE };
    if (frame.flags & FLAG.END_HEADERS) this.onHeaderBlock(side, block);
    else this.pending[side] = block;
  }

  private onContinuation(side: Side, frame: H2Frame): void {
    const block = this.pending[side];
    if (!block || frame.streamId !== block.streamId || frame.skipped) throw new Error('h2: unexpected CONTINUATION');
    block.fragments.push(Buffer.from(frame.payload));
    block.size += frame.payload.length;
    if (block.size > MAX_HEADER_BLOCK) throw new Error('h2: header block too large');
    if (frame.flags & FLAG.END_HEADERS) {
      this.pending[side] = null;
      this.onHeaderBlock(side, block);
    }
  }

  private onHeaderBlock(side: Side, block: PendingBlock): void {
    const headers = this.decoders[side].decode(Buffer.concat(block.fragments));
    if (block.discard) return;
    if (side === 'client') return this.onRequestHeaders(block, headers);
    const stream = this.streams.get(block.streamId);
    if (!stream) return;
    stream.ttfbAt ??= block.startedAt;
    if (!stream.responseHeaders) stream.responseHeaders = headers;
    // A trailers-only response (an immediate error) has one block carrying headers and grpc-status.
    if (block.endStream) {
      stream.trailers = headers;
      this.finish(stream, null);
    }
  }

  private onRequestHeaders(block: PendingBlock, headers: HeaderList): void {
    if (this.streams.has(block.streamId)) return;
    const path = headers.find(([n]) => n === ':path')?.[1] ?? '';
    if (this.streams.size >= MAX_STREAMS) return this.noteDropped(block, path, headers);
    this.streams.set(block.streamId, {
      id: block.streamId, startedAt: block.startedAt, ttfbAt: null, path, requestHeaders: headers, responseHeaders: null, trailers: null,
      requestMessages: new GrpcMessageReader(this.kept), responseMessages: new GrpcMessageReader(this.kept),
    });
  }

  /** A call past MAX_STREAMS: recorded at once with what its headers say, so it is not lost without a trace. */
  private noteDropped(block: PendingBlock, path: string, headers: HeaderList): void {
    const stream: GrpcStream = {
      id: block.streamId, startedAt: block.startedAt, ttfbAt: null, path, requestHeaders: headers, responseHeaders: null, trailers: null,
      requestMessages: new GrpcMessageReader(), responseMessages: new GrpcMessageReader(),
    };
    const error = `not followed: more than ${MAX_STREAMS.toLocaleString('en-US')} calls open on this connection`;
    this.context.emit(buildCall(stream, error, this.context.now(), this.context.options));
  }

  private onData(side: Side, frame: H2Frame): void {
    const stream = this.streams.get(frame.streamId);
    if (!stream) return;
    const reader = side === 'client' ? stream.requestMessages : stream.responseMessages;
    if (side === 'server') stream.ttfbAt ??= frame.startedAt;
    if (frame.skipped) reader.lost = true;
    else {
      let p = frame.payload;
      if (frame.flags & FLAG.PADDED) {
        const pad = p[0];
        if (pad >= p.length) throw new Error('h2: padding past the frame');
        p = p.subarray(1, p.length - pad);
      }
      reader.push(p);
    }
    if (side === 'server' && frame.flags & FLAG.END_STREAM) this.finish(stream, null);
  }

  private finish(stream: GrpcStream, error: string | null): void {
    this.streams.delete(stream.id);
    const call: WireCall = buildCall(stream, error, this.context.now(), this.context.options);
    stream.requestMessages.release();
    stream.responseMessages.release();
    this.context.emit(call);
  }
}
