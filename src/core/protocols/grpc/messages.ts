/**
 * Reads one direction of a gRPC stream's DATA as length-prefixed messages (1-byte compressed flag, 4-byte length,
 * the message): counts them and their sizes, and keeps the first few uncompressed ones (each capped) for decoding.
 * Anything else is skipped by its length, so at most MAX_KEPT_BYTES stay per direction.
 */
const MAX_KEPT = 8;
const MAX_KEPT_BYTES = 64 * 1024;
const MAX_SIZES = 32;

export interface MessageSummary {
  messages: number;
  /** Sizes of the first messages. */
  sizes: number[];
  compressed: number;
}

export class GrpcMessageReader {
  readonly summary: MessageSummary = { messages: 0, sizes: [], compressed: 0 };
  /** Complete uncompressed messages kept for decoding, in order. */
  readonly kept: Buffer[] = [];
  private header = Buffer.alloc(5);
  private headerHave = 0;
  private bodyLeft = 0;
  private body: Buffer[] | null = null;

  get bufferedBytes(): number {
    return this.kept.reduce((n, b) => n + b.length, 0) + (this.body?.reduce((n, b) => n + b.length, 0) ?? 0);
  }

  /** The DATA was cut (a skipped oversized frame): message boundaries are lost for this direction. */
  lost = false;

  push(data: Buffer): void {
    if (this.lost) return;
    let at = 0;
    while (at < data.length) {
      if (this.bodyLeft === 0 && this.headerHave < 5) {
        const n = Math.min(5 - this.headerHave, data.length - at);
        data.copy(this.header, this.headerHave, at, at + n);
        this.headerHave += n;
        at += n;
        if (this.headerHave < 5) return;
        this.startMessage();
        continue;
      }
      const n = Math.min(this.bodyLeft, data.length - at);
      this.body?.push(Buffer.from(data.subarray(at, at + n)));
      this.bodyLeft -= n;
      at += n;
      if (this.bodyLeft === 0) this.finishMessage();
    }
  }

  private startMessage(): void {
    const compressed = this.header[0] !== 0;
    const length = this.header.readUInt32BE(1);
    this.summary.messages++;
    if (this.summary.sizes.length < MAX_SIZES) this.summary.sizes.push(length);
    if (compressed) this.summary.compressed++;
    this.bodyLeft = length;
    const keptBytes = this.kept.reduce((n, b) => n + b.length, 0);
    this.body = !compressed && keptBytes + length <= MAX_KEPT_BYTES && this.kept.length < MAX_KEPT ? [] : null;
    if (length === 0) this.finishMessage();
  }

  private finishMessage(): void {
    if (this.body) this.kept.push(Buffer.concat(this.body));
    this.body = null;
    this.headerHave = 0;
  }
}
