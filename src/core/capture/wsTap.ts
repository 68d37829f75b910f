import type { Duplex } from 'node:stream';
import type { CapturedMessage } from './types';

// ws's frame parser, used read-only on a copy of the stream: the proxy forwards frames untouched.
const { Receiver } = require('ws') as { Receiver: new (opts: Record<string, unknown>) => ReceiverLike };

interface ReceiverLike {
  write(chunk: Buffer): boolean;
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'ping' | 'pong', fn: (data: Buffer) => void): this;
  on(event: 'conclude', fn: (code: number, reason: Buffer) => void): this;
  on(event: 'error', fn: (e: Error) => void): this;
  removeAllListeners(): this;
}

/**
 * Records the messages of one direction of a WebSocket connection by parsing a copy of its bytes.
 * `fromClient` frames are masked (the parser runs as a server); server frames are not. A frame the parser
 * rejects (or an oversized message) stops the recording of that direction, never the connection.
 */
export function tapWebSocket(
  stream: Duplex,
  head: Buffer | undefined,
  fromClient: boolean,
  cap: number,
  onMessage: (m: Omit<CapturedMessage, 'exchangeSeq'>) => void,
): void {
  const receiver = new Receiver({ isServer: fromClient, binaryType: 'nodebuffer', maxPayload: 64 * 1024 * 1024, skipUTF8Validation: true });
  const direction = fromClient ? 'client' : 'server';
  const emit = (opcode: number, data: Buffer): void => {
    const kept = data.length > cap ? data.subarray(0, cap) : data;
    // Copy: the parser may hand out views of its internal buffers.
    onMessage({ direction, at: Date.now(), opcode, size: data.length, data: Buffer.from(kept), truncated: kept.length < data.length });
  };
  receiver.on('message', (data, isBinary) => emit(isBinary ? 2 : 1, data));
  receiver.on('ping', (data) => emit(9, data));
  receiver.on('pong', (data) => emit(10, data));
  receiver.on('conclude', (code, reason) => {
    // 1005 is the parser's "no status code": the frame's payload was empty, and so is the stored one.
    if (code === 1005) {
      emit(8, Buffer.alloc(0));
      return;
    }
    const payload = Buffer.alloc(2 + reason.length);
    payload.writeUInt16BE(code, 0);
    reason.copy(payload, 2);
    emit(8, payload);
  });
  // The parser unmasks client payloads in place: give it a copy, or the forwarded bytes are corrupted.
  const onData = (chunk: Buffer): void => {
    receiver.write(fromClient ? Buffer.from(chunk) : chunk);
  };
  receiver.on('error', () => {
    stream.off('data', onData);
    receiver.removeAllListeners();
  });
  if (head && head.length) receiver.write(fromClient ? Buffer.from(head) : head);
  stream.on('data', onData);
}
