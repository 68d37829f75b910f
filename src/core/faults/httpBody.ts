/**
 * http_body's Transforms: truncate a body to N bytes, or corrupt an exact share of its bytes. The HTTP runner
 * (httpFaults.ts) fixes Content-Length for a truncated body, so the message stays well formed.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { seededRandom } from '../random';

/** Passes the first `bytes` bytes and drops the rest; the stream still ends when its source does. */
export class TruncateBody extends Transform {
  private _left: number;
  constructor(bytes: number) {
    super();
    this._left = bytes;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._left <= 0) return cb();
    const part = chunk.length <= this._left ? chunk : chunk.subarray(0, this._left);
    this._left -= part.length;
    cb(null, part);
  }
}


/**
 * Changes exactly round(fraction × length) bytes, each XORed with a non-zero value (so each chosen byte really
 * differs), at positions chosen by selection sampling (Knuth's Algorithm S): every byte is chosen with probability
 * (still to choose) / (still to see). With `total` known (Content-Length) bytes stream through; otherwise the body
 * is held until its end to learn its length.
 */
export class CorruptBody extends Transform {
  private readonly _random: () => number;
  private _toChoose = -1;
  private _unseen = 0;
  private readonly _held: Buffer[] | null;

  constructor(private readonly _fraction: number, seed: number, total: number) {
    super();
    this._random = seededRandom(seed === 0 ? Math.floor(Math.random() * 2 ** 32) : seed);
    this._held = total >= 0 ? null : [];
    if (total >= 0) this._start(total);
  }

  private _start(total: number): void {
    this._toChoose = Math.round(this._fraction * total);
    this._unseen = total;
  }

  private _corrupt(chunk: Buffer): Buffer {
    if (this._toChoose <= 0) {
      this._unseen -= chunk.length;
      return chunk;
    }
    const out = Buffer.from(chunk);
    for (let i = 0; i < out.length; i++) {
      if (this._toChoose > 0 && this._random() * this._unseen < this._toChoose) {
        out[i] ^= 1 + Math.floor(this._random() * 255);
        this._toChoose--;
      }
      this._unseen--;
    }
    return out;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._held) {
      this._held.push(chunk);
      return cb();
    }
    cb(null, this._corrupt(chunk));
  }

  override _flush(cb: TransformCallback): void {
    if (!this._held) return cb();
    const body = Buffer.concat(this._held);
    this._start(body.length);
    cb(null, this._corrupt(body));
  }
}
