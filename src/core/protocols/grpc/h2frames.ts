/**
 * Splits one direction of a cleartext HTTP/2 connection into frames (9-byte header: 24-bit length, type, flags,
 * 31-bit stream id), after the client's connection preface. Payloads up to `maxPayload` are buffered and handed over
 * whole; a larger frame (beyond any SETTINGS_MAX_FRAME_SIZE gRPC peers use) is skipped by its length, and reported.
 */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export interface H2Frame {
  type: number;
  flags: number;
  streamId: number;
  /** Empty when the frame was skipped (`skipped` is then its length). */
  payload: Buffer;
  skipped: number;
  /** Epoch ms when the frame's first byte was seen. */
  startedAt: number;
}

export const FRAME = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

const EMPTY = Buffer.alloc(0);

export class H2FrameSplitter {
  private buffered: Buffer = EMPTY;
  private startedAt = 0;
  private skip = 0;
  private skipped: Omit<H2Frame, 'startedAt'> | null = null;
  private prefaceLeft: number;

  constructor(
    private readonly onFrame: (frame: H2Frame) => void,
    private readonly now: () => number,
    expectPreface: boolean,
    private readonly maxPayload = 1024 * 1024,
  ) {
    this.prefaceLeft = expectPreface ? PREFACE.length : 0;
  }

  get bufferedBytes(): number {
    return this.buffered.length;
  }

  /** Throws when the client's bytes are not the HTTP/2 preface. */
  push(chunk: Buffer): void {
    const at = this.now();
    let data = chunk;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, data.length);
      const offset = PREFACE.length - this.prefaceLeft;
      if (!data.subarray(0, n).equals(PREFACE.subarray(offset, offset + n))) throw new Error('not an HTTP/2 connection preface');
      this.prefaceLeft -= n;
      data = data.subarray(n);
    }
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      data = data.subarray(n);
      if (this.skip > 0) return;
      if (this.skipped) this.onFrame({ ...this.skipped, startedAt: this.startedAt });
      this.skipped = null;
    }
    if (!data.length) return;
    if (!this.buffered.length) this.startedAt = at;
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, data]) : data;
    while (this.buffered.length >= 9) {
      const b = this.buffered;
      const length = b.readUIntBE(0, 3);
      const frame = { type: b[3], flags: b[4], streamId: b.readUInt32BE(5) & 0x7fffffff };
      if (length > this.maxPayload) {
        this.skip = length;
        this.skipped = { ...frame, payload: EMPTY, skipped: length };
        const rest = b.subarray(9);
        this.buffered = EMPTY;
        this.push(rest);
        return;
      }
      if (b.length < 9 + length) return;
      const startedAt = this.startedAt;
      this.buffered = b.subarray(9 + length);
      this.startedAt = at;
      this.onFrame({ ...frame, payload: b.subarray(9, 9 + length), skipped: 0, startedAt });
    }
  }
}
