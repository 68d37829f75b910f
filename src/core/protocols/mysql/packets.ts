/**
 * MySQL packet framing for one direction: 3-byte little-endian payload length, 1-byte sequence id, payload. A
 * payload of exactly 0xFFFFFF bytes continues in the next packet (how 16 MiB and larger packets are split); those
 * are joined into one logical packet. Memory stays bounded: at most `maxPayload` bytes of a logical packet are
 * kept; the rest is skipped by its length prefix and the packet is marked truncated with its full length.
 */

export const MAX_FRAME = 0xffffff;

export interface Packet {
  seq: number;
  /** The payload (its first `maxPayload` bytes when truncated). */
  payload: Buffer;
  /** The full payload length, split packets joined. */
  length: number;
  truncated: boolean;
  /** When the packet's first byte was seen. */
  at: number;
}

export class PacketReader {
  private _chunks: Buffer[] = [];
  private _buffered = 0;
  /** Payload bytes of the current frame still to drop (beyond the kept part). */
  private _skip = 0;
  /** The logical packet being joined from split frames. */
  private _parts: Buffer[] = [];
  private _kept = 0;
  private _length = 0;
  private _seq = -1;
  private _at = 0;
  private _continues = false;
  private _pendingSince: number | null = null;

  constructor(private readonly _maxPayload: number) {}

  /** Bytes held: buffered input plus the kept part of a packet being joined. */
  get bufferedBytes(): number {
    return this._buffered + this._kept;
  }

  push(chunk: Buffer, now: number): Packet[] {
    const out: Packet[] = [];
    if (chunk.length === 0) return out;
    if (this._buffered === 0) this._pendingSince = now;
    this._chunks.push(chunk);
    this._buffered += chunk.length;
    // Each pass consumes bytes or stops, so this ends; the bound is a guard against a logic error.
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (this._skip > 0) {
        const n = Math.min(this._skip, this._buffered);
        if (n === 0) break;
        this._take(n);
        this._skip -= n;
        if (this._skip === 0) this._frameDone(out);
        continue;
      }
      if (this._buffered < 4) break;
      const header = this._peek(4);
      const length = header.readUIntLE(0, 3);
      const room = this._maxPayload - this._kept;
      const keep = Math.min(length, room);
      if (this._buffered < 4 + keep) break;
      this._take(4);
      if (!this._continues) {
        this._seq = header[3];
        this._at = this._pendingSince ?? now;
        this._length = 0;
      }
      if (keep > 0) {
        this._parts.push(this._take(keep));
        this._kept += keep;
      }
      this._length += length;
      this._continues = length === MAX_FRAME;
      this._skip = length - keep;
      if (this._skip === 0) this._frameDone(out);
      if (this._buffered > 0) this._pendingSince = now;
    }
    if (this._buffered === 0) this._pendingSince = null;
    return out;
  }

  private _frameDone(out: Packet[]): void {
    if (this._continues) return;
    const payload = this._parts.length === 1 ? this._parts[0] : Buffer.concat(this._parts);
    out.push({ seq: this._seq, payload, length: this._length, truncated: this._length > payload.length, at: this._at });
    this._parts = [];
    this._kept = 0;
  }

  private _peek(n: number): Buffer {
    if (this._chunks[0].length >= n) return this._chunks[0].subarray(0, n);
    const out = Buffer.alloc(n);
    let at = 0;
    for (const c of this._chunks) {
      if (at >= n) break;
      at += c.copy(out, at, 0, Math.min(c.length, n - at));
    }
    return out;
  }

  private _take(n: number): Buffer {
    let head = this._chunks[0];
    if (head.length < n) {
      head = Buffer.concat(this._chunks);
      this._chunks = [head];
    }
    const taken = head.subarray(0, n);
    if (head.length === n) this._chunks.shift();
    else this._chunks[0] = head.subarray(n);
    this._buffered -= n;
    return taken;
  }
}
