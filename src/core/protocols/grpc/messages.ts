/**
 * Reads one direction of a gRPC stream's DATA as length-prefixed messages (1-byte compressed flag, 4-byte length,
 * the message): counts them and their sizes, and keeps the first few uncompressed ones (each capped) for decoding.
 * Anything else is skipped by its length, so at most MAX_KEPT_BYTES stay per direction, and at most the
 * connection's KeptBudget over all its open calls.
 */
const MAX_KEPT = 8;
const MAX_KEPT_BYTES = 64 * 1024;
const MAX_SIZES = 32;
/** What one connection's open calls may keep at once: without it, 1,000 open calls could keep 128 MB. */
export const CONNECTION_KEPT_BYTES = 8 * 1024 * 1024;

/** The bytes a connection's calls may still keep; a call gives back what it kept when it is recorded. */
export class KeptBudget {
  constructor(public left = CONNECTION_KEPT_BYTES) {}
}

export interface MessageSummary {
  messages: number;
  /** Sizes of the first messages. */
  sizes: number[];
  compressed: number;
  /** Messages not kept for decoding because the connection's open calls already kept CONNECTION_KEPT_BYTES. */
  notKept: number;
}

export class GrpcMessageReader {
  readonly summary: MessageSummary = { messages: 0, sizes: [], compressed: 0, notKept: 0 };
  /** Complete uncompressed messages kept for decoding, in order. */
  readonly kept: Buffer[] = [];
  private header = Buffer.alloc(5);
  private headerHave = 0;
  private bodyLeft = 0;
  private body: Buffer[] | null = null;
  /** Bytes taken from the budget for kept messages (given back by release()). */
  private reserved = 0;

  constructor(private readonly budget: KeptBudget = new KeptBudget()) {}

  /** The call is recorded: what it kept goes back to the connection's budget. */
  release(): void {
    this.budget.left += this.reserved;
    this.reserved = 0;
  }

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
    const wanted = !compressed && keptBytes + length <= MAX_KEPT_BYTES && this.kept.length < MAX_KEPT;
    if (wanted && length > this.budget.left) this.summary.notKept++;
    this.body = wanted && length <= this.budget.left ? [] : null;
    if (this.body) {
      this.budget.left -= length;
      this.reserved += length;
    }
    if (length === 0) this.finishMessage();
  }

  private finishMessage(): void {
    if (this.body) this.kept.push(Buffer.concat(this.body));
    this.body = null;
    this.headerHave = 0;
  }
}
