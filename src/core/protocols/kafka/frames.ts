/**
 * Splits one direction of a Kafka connection into its 4-byte size-prefixed frames. Buffers at most `maxFrame` bytes
 * of a frame: a larger one is handed over as its first `maxFrame` bytes (truncated) once the rest has been skipped
 * by its length. A size no Kafka frame has (negative, or over 256 MiB: TLS, another protocol, a desync) stops it.
 */
export interface FrameInfo {
  /** Epoch ms when the frame's first byte was seen. */
  startedAt: number;
  /** The body was cut at maxFrame bytes. */
  truncated: boolean;
  size: number;
}

const MAX_SANE_SIZE = 256 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export class SizePrefixedFrames {
  private chunks: Buffer[] = [];
  private total = 0;
  private needed = 4;
  private startedAt = 0;
  private skip = 0;
  private prefix: Buffer = EMPTY;
  private size = 0;
  stopped = false;

  constructor(
    private readonly onFrame: (body: Buffer, info: FrameInfo) => void,
    private readonly now: () => number,
    private readonly maxFrame = 1024 * 1024,
  ) {}

  get bufferedBytes(): number {
    return this.total + this.prefix.length;
  }

  push(chunk: Buffer): void {
    const at = this.now();
    let data = chunk;
    while (data.length > 0 && !this.stopped) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length);
        this.skip -= n;
        data = data.subarray(n);
        if (this.skip === 0) {
          const prefix = this.prefix;
          this.prefix = EMPTY;
          this.onFrame(prefix, { startedAt: this.startedAt, truncated: true, size: this.size });
        }
        continue;
      }
      if (this.total === 0) this.startedAt = at;
      this.chunks.push(data);
      this.total += data.length;
      data = this.drain(at);
    }
  }

  /** Hands over every complete frame; returns the bytes after a frame it started skipping. */
  private drain(at: number): Buffer {
    while (this.total >= this.needed) {
      const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const size = buf.readInt32BE(0);
      if (size < 0 || size > MAX_SANE_SIZE) {
        this.stop();
        return EMPTY;
      }
      if (size > this.maxFrame) {
        if (buf.length < 4 + this.maxFrame) {
          this.keep(buf, 4 + this.maxFrame);
          return EMPTY;
        }
        this.prefix = Buffer.from(buf.subarray(4, 4 + this.maxFrame));
        this.size = size;
        this.skip = size - this.maxFrame;
        this.keep(EMPTY, 4);
        return buf.subarray(4 + this.maxFrame);
      }
      if (buf.length < 4 + size) {
        this.keep(buf, 4 + size);
        return EMPTY;
      }
      const startedAt = this.startedAt;
      const rest = buf.subarray(4 + size);
      this.keep(rest, 4);
      this.startedAt = at;
      this.onFrame(buf.subarray(4, 4 + size), { startedAt, truncated: false, size });
    }
    return EMPTY;
  }

  private keep(buf: Buffer, needed: number): void {
    this.chunks = buf.length ? [buf] : [];
    this.total = buf.length;
    this.needed = needed;
  }

  stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.total = 0;
    this.prefix = EMPTY;
  }
}
