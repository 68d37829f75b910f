/**
 * One Kafka connection: requests and responses matched by correlation id (clients pipeline several requests), each
 * pair emitted as one WireCall. A Produce with acks=0 has no response and is emitted at once.
 */
import type { WireCall, WireParser, WireParserContext } from '../types';
import { API, apiName, isFlexible } from './apis';
import { SizePrefixedFrames, type FrameInfo } from './frames';
import { KafkaReader } from './reader';
import { decodeRequest, produceAcks } from './requests';
import { decodeResponse } from './responses';

interface Pending {
  apiKey: number;
  version: number;
  call: WireCall;
}

const MAX_PENDING = 1024;
const MAX_STATEMENT = 1000;

function cut(text: string): string {
  if (text.length <= MAX_STATEMENT) return text;
  return `${text.slice(0, MAX_STATEMENT)}…<${Buffer.byteLength(text).toLocaleString('en-US')} bytes>`;
}

export class KafkaConnection implements WireParser {
  private readonly pending = new Map<number, Pending>();
  private readonly requests: SizePrefixedFrames;
  private readonly responses: SizePrefixedFrames;
  private sniffed = false;

  constructor(private readonly context: WireParserContext) {
    this.requests = new SizePrefixedFrames((body, info) => this.onRequest(body, info), context.now);
    this.responses = new SizePrefixedFrames((body, info) => this.onResponse(body, info), context.now);
  }

  get bufferedBytes(): number {
    return this.requests.bufferedBytes + this.responses.bufferedBytes;
  }

  client(chunk: Buffer): void {
    if (!this.sniffed && chunk.length > 0) {
      this.sniffed = true;
      // A TLS record (0x16) where a frame size would start: no Kafka frame is that large.
      if (chunk[0] === 0x16) return this.noteTls();
    }
    this.guard(() => this.requests.push(chunk));
  }

  server(chunk: Buffer): void {
    this.guard(() => this.responses.push(chunk));
  }

  end(): void {
    this.guard(() => {
      for (const { call } of this.pending.values()) this.context.emit({ ...call, error: 'connection closed before the reply' });
      this.pending.clear();
    });
    this.stop();
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch (e) {
      // The calls still waiting cannot be matched any more: recorded as such rather than dropped.
      const reason = `not parsed further: ${e instanceof Error ? e.message : String(e)}`;
      for (const { call } of this.pending.values()) this.context.emit({ ...call, error: reason });
      this.stop();
    }
  }

  private stop(): void {
    this.requests.stop();
    this.responses.stop();
    this.pending.clear();
  }

  /**
   * A client frame that is not a Kafka request: requests are not parsed further (one note says so), while the
   * responses to those already seen still pair by correlation id.
   */
  private stopRequests(startedAt: number, reason: string): void {
    this.requests.stop();
    this.context.emit({ startedAt, ttfbMs: null, durationMs: null, method: 'PARSER', statement: 'kafka requests not parsed further', status: null, error: reason });
  }

  private noteTls(): void {
    const now = this.context.now();
    this.context.emit({
      startedAt: now, ttfbMs: null, durationMs: null, method: 'TLS', statement: 'TLS ClientHello (Kafka over TLS is not decoded)', status: null, error: null,
      response: { note: 'the connection is encrypted: point the client at the capture port with a PLAINTEXT listener to see its calls' },
    });
    this.stop();
  }

  private onRequest(body: Buffer, info: FrameInfo): void {
    if (body.length < 8) return;
    const header = new KafkaReader(body);
    const apiKey = header.int16();
    const version = header.int16();
    const correlationId = header.int32();
    if (apiKey < 0 || apiKey > 1000 || version < 0 || version > 100) {
      // Not Kafka after all, or a desync.
      this.stopRequests(info.startedAt, `a client frame that is not a Kafka request (api key ${apiKey}, version ${version})`);
      return;
    }
    const flexible = isFlexible(apiKey, version);
    const name = apiName(apiKey);
    const call: WireCall = { startedAt: info.startedAt, ttfbMs: null, durationMs: null, method: name, statement: name, status: null, error: null };
    let expectsResponse = true;
    let clientId: string | null = null;
    let headerRead = false;
    const bodyReader = (): KafkaReader => {
      const r = new KafkaReader(body, flexible);
      r.offset = header.offset;
      r.taggedFields();
      return r;
    };
    try {
      clientId = header.string();
      headerRead = true;
      const r = bodyReader();
      const decoded = decodeRequest(apiKey, version, r);
      expectsResponse = decoded.expectsResponse;
      call.statement = cut(decoded.target ? `${name} ${decoded.target}` : name);
      call.request = { version, clientId, ...decoded.request, ...(info.truncated ? { truncated: true, bytes: info.size } : {}) };
    } catch {
      call.request = { version, clientId, ...(info.truncated ? { truncated: true, bytes: info.size } : { undecoded: true }) };
      // A Produce cut at the frame cap fails in its record sets: its acks, before them, still say whether a reply comes.
      if (apiKey === API.Produce && headerRead) expectsResponse = this.acksOf(version, bodyReader) !== 0;
    }
    if (!expectsResponse) {
      call.durationMs = Math.max(0, this.context.now() - info.startedAt);
      call.response = { noResponse: 'acks=0' };
      this.context.emit(call);
      return;
    }
    if (this.pending.size >= MAX_PENDING) {
      const [oldestId, oldest] = this.pending.entries().next().value as [number, Pending];
      this.pending.delete(oldestId);
      this.context.emit({ ...oldest.call, error: 'no reply seen (too many requests waiting)' });
    }
    this.pending.set(correlationId, { apiKey, version, call });
  }

  private acksOf(version: number, reader: () => KafkaReader): number | null {
    try {
      return produceAcks(version, reader());
    } catch {
      return null;
    }
  }

  private onResponse(body: Buffer, info: FrameInfo): void {
    if (body.length < 4) return;
    const correlationId = body.readInt32BE(0);
    const pending = this.pending.get(correlationId);
    if (!pending) return;
    this.pending.delete(correlationId);
    const { apiKey, version, call } = pending;
    const now = this.context.now();
    call.ttfbMs = Math.max(0, info.startedAt - call.startedAt);
    call.durationMs = Math.max(0, now - call.startedAt);
    try {
      const flexible = isFlexible(apiKey, version);
      const r = new KafkaReader(body, flexible);
      r.offset = 4;
      // ApiVersions keeps response header v0 in every version, so that any client can read it.
      if (apiKey !== API.ApiVersions) r.taggedFields();
      const decoded = decodeResponse(apiKey, version, r);
      call.response = decoded.response;
      call.error = decoded.error;
    } catch {
      call.response = info.truncated ? { truncated: true, bytes: info.size } : { undecoded: true };
    }
    this.context.emit(call);
  }
}
