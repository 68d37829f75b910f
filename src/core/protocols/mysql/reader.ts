/** Reads the protocol's integer and string encodings from one payload; reading past its end throws a RangeError. */
export class PayloadReader {
  pos = 0;

  constructor(readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private _need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new RangeError(`packet too short: need ${n} bytes at ${this.pos} of ${this.buf.length}`);
  }

  skip(n: number): void {
    this._need(n);
    this.pos += n;
  }

  int(n: 1 | 2 | 3 | 4 | 6): number {
    this._need(n);
    const v = this.buf.readUIntLE(this.pos, n);
    this.pos += n;
    return v;
  }

  /** An 8-byte integer: a number when it is exact, otherwise its decimal text. */
  int8(signed = false): number | string {
    this._need(8);
    const v = signed ? this.buf.readBigInt64LE(this.pos) : this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }

  /** A length-encoded integer; null for the 0xFB NULL marker. */
  lenenc(): number | null {
    const first = this.int(1);
    if (first < 0xfb) return first;
    if (first === 0xfb) return null;
    if (first === 0xfc) return this.int(2);
    if (first === 0xfd) return this.int(3);
    if (first === 0xfe) {
      const v = this.int8();
      if (typeof v !== 'number') throw new RangeError('length-encoded integer out of range');
      return v;
    }
    throw new RangeError('invalid length-encoded integer 0xff');
  }

  bytes(n: number): Buffer {
    this._need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  lenencBytes(): Buffer | null {
    const n = this.lenenc();
    return n === null ? null : this.bytes(n);
  }

  lenencString(): string | null {
    return this.lenencBytes()?.toString('utf8') ?? null;
  }

  /** A NUL-terminated string (or the rest of the payload when no NUL follows). */
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    const stop = end === -1 ? this.buf.length : end;
    const s = this.buf.toString('utf8', this.pos, stop);
    this.pos = end === -1 ? this.buf.length : end + 1;
    return s;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return b;
  }
}
