/**
 * Reads Kafka's primitive types from one frame. Every read checks bounds and throws a RangeError past the end, which
 * the caller catches per frame (a frame cut short or misread costs that call its details, never the connection).
 * `flexible` switches strings, arrays and bytes to their compact (varint-length) forms and enables tagged fields.
 */
export class KafkaReader {
  offset = 0;

  constructor(readonly buf: Buffer, readonly flexible = false) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.buf.length) throw new RangeError(`kafka: read past the end at ${this.offset}`);
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** As a number: offsets and watermarks stay far below 2^53 in practice. */
  int64(): number {
    this.need(8);
    const v = Number(this.buf.readBigInt64BE(this.offset));
    this.offset += 8;
    return v;
  }

  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const b = this.buf[this.offset++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new RangeError('kafka: varint too long');
  }

  /** Zig-zag varint or varlong (records use both; numbers past 2^53 lose precision, which summaries do not need). */
  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      this.need(1);
      const b = this.buf[this.offset++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    throw new RangeError('kafka: varlong too long');
  }

  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  take(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A (nullable) string, compact in flexible versions. */
  string(): string | null {
    const len = this.flexible ? this.uvarint() - 1 : this.int16();
    if (len < 0) return null;
    return this.take(len).toString('utf8');
  }

  /** A (nullable) byte array, compact in flexible versions. */
  bytes(): Buffer | null {
    const len = this.flexible ? this.uvarint() - 1 : this.int32();
    if (len < 0) return null;
    return this.take(len);
  }

  uuid(): string {
    return this.take(16).toString('hex');
  }

  /** An array's element count; -1 means null (Metadata's "all topics"). */
  arrayLength(): number {
    const n = this.flexible ? this.uvarint() - 1 : this.int32();
    // Every element takes at least one byte: a larger count is a misread, not a huge array.
    if (n > this.remaining) throw new RangeError(`kafka: array of ${n} in ${this.remaining} bytes`);
    return n;
  }

  array<T>(item: () => T): T[] {
    const n = this.arrayLength();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }

  /** Flexible versions end most structures with tagged fields: skipped, their contents are optional extras. */
  taggedFields(): void {
    if (!this.flexible) return;
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }
}
