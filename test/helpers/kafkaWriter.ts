/**
 * Writes Kafka's primitive types, for the minimal broker's responses and for hand-built frames in parser tests
 * (flexible versions, which kafkajs never sends). `compact` switches strings, bytes and arrays to varint lengths.
 */
export class KafkaWriter {
  private parts: Buffer[] = [];

  constructor(private readonly compact = false) {}

  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    return this.push(b);
  }

  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.push(b);
  }

  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }

  int64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    return this.push(b);
  }

  uvarint(v: number): this {
    const out: number[] = [];
    let n = v;
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return this.push(Buffer.from(out));
  }

  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  raw(b: Buffer): this {
    return this.push(b);
  }

  string(s: string | null): this {
    if (s === null) return this.compact ? this.uvarint(0) : this.int16(-1);
    const b = Buffer.from(s);
    return (this.compact ? this.uvarint(b.length + 1) : this.int16(b.length)).push(b);
  }

  bytes(b: Buffer | null): this {
    if (b === null) return this.compact ? this.uvarint(0) : this.int32(-1);
    return (this.compact ? this.uvarint(b.length + 1) : this.int32(b.length)).push(b);
  }

  array<T>(items: T[] | null, write: (item: T) => void): this {
    if (items === null) return this.compact ? this.uvarint(0) : this.int32(-1);
    if (this.compact) this.uvarint(items.length + 1);
    else this.int32(items.length);
    for (const item of items) write(item);
    return this;
  }

  /** An empty tagged-field section (flexible versions only). */
  tags(): this {
    return this.compact ? this.uvarint(0) : this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** The whole frame: a 4-byte size, then what was written. */
  frame(): Buffer {
    const body = this.build();
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    return Buffer.concat([size, body]);
  }
}
