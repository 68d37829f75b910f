/**
 * Raw wire chunks of many connections, packed for one transfer to the decoder worker (deferredDecoder.ts): the
 * bytes back to back in one ArrayBuffer, and per chunk five numbers (connection id, side, arrival time, length,
 * sequence). A side of END marks a connection's end, so the parser's `end()` runs in order with its last bytes.
 *
 * The sequence orders a session's records across listeners (the exchanges' `seq`). A decoded call must take its
 * place by when its chunk arrived, not by when the decoder got to it; so each chunk takes a sequence number as it
 * arrives, from a sequence that advances by SEQ_STRIDE, and the calls decoded from it take the numbers after it.
 */
import { doubled } from './wireRecord';

export const CLIENT = 0;
export const SERVER = 1;
export const END = 2;
export type Side = typeof CLIENT | typeof SERVER | typeof END;

const FIELDS = 5;
/** Room for the calls one chunk can complete (a 64 KiB read of pipelined replies is at most ~13k). */
export const SEQ_STRIDE = 2 ** 20;

export interface PackedChunks {
  bytes: ArrayBuffer;
  /** FIELDS numbers per chunk: connection id, side, epoch ms of arrival, byte length, sequence number. */
  meta: Float64Array;
}

/**
 * Copies each chunk into one buffer as it comes (the socket's own buffer then dies young), with its numbers in a
 * Float64Array beside; both are reused from transfer to transfer, and `take` hands out copies of the used parts.
 */
export class ChunkPacker {
  private _bytes: Uint8Array<ArrayBuffer> = new Uint8Array(64 * 1024);
  private _meta = new Float64Array(FIELDS * 256);
  private _used = 0;
  private _count = 0;

  get bytes(): number {
    return this._used;
  }

  get empty(): boolean {
    return this._count === 0;
  }

  push(connection: number, side: Side, at: number, seq: number, chunk: Buffer | null): void {
    const length = chunk ? chunk.length : 0;
    if (this._used + length > this._bytes.length) this._bytes = grow(this._bytes, this._used + length, this._used);
    if (chunk) this._bytes.set(chunk, this._used);
    this._used += length;
    let m = this._count * FIELDS;
    if (m + FIELDS > this._meta.length) this._meta = doubled(this._meta);
    const meta = this._meta;
    meta[m++] = connection;
    meta[m++] = side;
    meta[m++] = at;
    meta[m++] = length;
    meta[m] = seq;
    this._count++;
  }

  take(): PackedChunks {
    const packed = { bytes: this._bytes.slice(0, this._used).buffer, meta: this._meta.slice(0, this._count * FIELDS) };
    this._used = 0;
    this._count = 0;
    return packed;
  }
}

function grow(bytes: Uint8Array<ArrayBuffer>, need: number, keep: number): Uint8Array<ArrayBuffer> {
  let size = bytes.length * 2;
  while (size < need) size *= 2;
  const grown = new Uint8Array(size);
  grown.set(bytes.subarray(0, keep));
  return grown;
}

/** Calls `fn` for each packed chunk in order; the Buffer is a view into the packed bytes (END: empty). */
export function forEachChunk(packed: PackedChunks, fn: (connection: number, side: Side, at: number, seq: number, chunk: Buffer) => void): void {
  const { meta } = packed;
  let offset = 0;
  for (let i = 0; i < meta.length; i += FIELDS) {
    const length = meta[i + 3];
    fn(meta[i], meta[i + 1] as Side, meta[i + 2], meta[i + 4], Buffer.from(packed.bytes, offset, length));
    offset += length;
  }
}
