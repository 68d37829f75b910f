/**
 * PostgreSQL v3 framing for one direction: typed messages (a type byte, an int32 length that counts itself, the
 * body), the untyped startup messages (an int32 length, the body), and the single-byte answers to SSLRequest and
 * GSSENCRequest. Bodies the session does not need (DataRow, CopyData) are skipped by their length; the rest are kept
 * up to MAX_KEPT_BODY bytes and cut beyond, so a direction never buffers more than that.
 */

/** The most of one message body kept for decoding; the rest is skipped by the length prefix. */
export const MAX_KEPT_BODY = 1024 * 1024;
/** PostgreSQL's own limits: startup packets up to 10,000 bytes, other messages under 1 GiB. */
const MAX_STARTUP_LENGTH = 10_000;
const MAX_MESSAGE_LENGTH = 0x3fffffff;

export type FrameMode = 'typed' | 'untyped' | 'byte';

export interface Frame {
  /** The type byte as a character ('Q', 'P', …); '' for an untyped startup message. */
  type: string;
  /** The body's length as the length prefix says. */
  length: number;
  /** The body, or its first MAX_KEPT_BODY bytes (truncated); empty when the session skips this type. */
  body: Buffer;
  truncated: boolean;
  /** Epoch ms when the frame's first byte was seen. */
  at: number;
}

const EMPTY = Buffer.alloc(0);

/** The bytes cannot be PostgreSQL's framing: the session stops parsing the connection. */
export class DesyncError extends Error {}

interface Pending {
  type: string;
  length: number;
  keep: number;
  parts: Buffer[];
  got: number;
  at: number;
}

export class FrameReader {
  mode: FrameMode;
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  private headerAt = 0;
  private pending: Pending | null = null;
  private skip = 0;

  constructor(
    mode: FrameMode,
    private readonly keepBody: (type: string) => boolean,
    private readonly onFrame: (frame: Frame) => void,
  ) {
    this.mode = mode;
  }

  /** Bytes held for a frame in progress (bounded by MAX_KEPT_BODY + the header). */
  get bufferedBytes(): number {
    return this.headerFill + (this.pending?.got ?? 0);
  }

  /** Reads `chunk`; onFrame runs for each complete frame and may change `mode` for the next one. */
  push(chunk: Buffer, at: number): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - offset);
        this.skip -= n;
        offset += n;
        continue;
      }
      if (this.pending) {
        offset = this.fill(chunk, offset);
        continue;
      }
      if (this.mode === 'byte') {
        this.onFrame({ type: String.fromCharCode(chunk[offset]), length: 0, body: EMPTY, truncated: false, at });
        offset++;
        continue;
      }
      const headerSize = this.mode === 'typed' ? 5 : 4;
      if (this.headerFill === 0) this.headerAt = at;
      // The common case: a whole header in this chunk, read in place.
      if (this.headerFill === 0 && chunk.length - offset >= headerSize) {
        offset = this.begin(chunk, offset, at, true);
        continue;
      }
      const n = Math.min(headerSize - this.headerFill, chunk.length - offset);
      chunk.copy(this.header, this.headerFill, offset, offset + n);
      this.headerFill += n;
      offset += n;
      if (this.headerFill === headerSize) {
        this.headerFill = 0;
        this.begin(this.header, 0, this.headerAt, false);
      }
    }
  }

  /**
   * Reads a header at `offset` of `buf`; returns the offset after what it used. A body already whole in the chunk
   * (`inChunk`: `buf` is the chunk, not the header's copy) becomes its frame at once, read in place.
   */
  private begin(buf: Buffer, offset: number, at: number, inChunk: boolean): number {
    const typed = this.mode === 'typed';
    const type = typed ? String.fromCharCode(buf[offset]) : '';
    const length = buf.readInt32BE(typed ? offset + 1 : offset) - 4;
    if (length < 0 || length > (typed ? MAX_MESSAGE_LENGTH : MAX_STARTUP_LENGTH)) throw new DesyncError(`bad ${typed ? `'${type}' message` : 'startup packet'} length ${length + 4}`);
    const keep = this.keepBody(type) ? Math.min(length, MAX_KEPT_BODY) : 0;
    const start = offset + (typed ? 5 : 4);
    if (keep === 0 || (inChunk && buf.length - start >= keep)) {
      this.skip = length - keep;
      this.onFrame({ type, length, body: keep === 0 ? EMPTY : buf.subarray(start, start + keep), truncated: keep < length, at });
      return start + keep;
    }
    this.pending = { type, length, keep, parts: [], got: 0, at };
    return start;
  }

  private fill(chunk: Buffer, offset: number): number {
    const p = this.pending as Pending;
    const n = Math.min(p.keep - p.got, chunk.length - offset);
    p.parts.push(chunk.subarray(offset, offset + n));
    p.got += n;
    if (p.got === p.keep) this.finish();
    return offset + n;
  }

  private finish(): void {
    const p = this.pending as Pending;
    this.pending = null;
    this.skip = p.length - p.keep;
    const body = p.parts.length === 1 ? p.parts[0] : Buffer.concat(p.parts);
    this.onFrame({ type: p.type, length: p.length, body, truncated: p.keep < p.length, at: p.at });
  }
}
