/**
 * Raw wire chunks of many connections, packed for one transfer to the decoder worker (deferredDecoder.ts): the
 * bytes back to back in one ArrayBuffer, and per chunk five numbers (connection id, side, arrival time, length,
 * sequence). A side of END marks a connection's end, so the parser's `end()` runs in order with its last bytes.
 *
 * The sequence orders a session's records across listeners (the exchanges' `seq`). A decoded call must take its
 * place by when its chunk arrived, not by when the decoder got to it; so each chunk takes a sequence number as it
 * arrives, from a sequence that advances by SEQ_STRIDE, and the calls decoded from it take the numbers after it.
 */
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
 * Keeps references to the chunks (Node's own read buffers, never reused: see ConnectionTap) and copies them only
 * when packed, once per transfer rather than once per chunk.
 */
export class ChunkPacker {
  private _chunks: Array<Buffer | null> = [];
  private _meta: number[] = [];
  private _bytes = 0;

  get bytes(): number {
    return this._bytes;
  }

  get empty(): boolean {
    return this._chunks.length === 0;
  }

  push(connection: number, side: Side, at: number, seq: number, chunk: Buffer | null): void {
    this._chunks.push(chunk);
    this._meta.push(connection, side, at, chunk ? chunk.length : 0, seq);
    if (chunk) this._bytes += chunk.length;
  }

  take(): PackedChunks {
    const bytes = new ArrayBuffer(this._bytes);
    const view = new Uint8Array(bytes);
    let offset = 0;
    for (const chunk of this._chunks) {
      if (!chunk) continue;
      view.set(chunk, offset);
      offset += chunk.length;
    }
    const meta = Float64Array.from(this._meta);
    this._chunks = [];
    this._meta = [];
    this._bytes = 0;
    return { bytes, meta };
  }
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
