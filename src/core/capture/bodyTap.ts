import { createHash, type Hash } from 'node:crypto';
import type { BodyCapture } from './types';

/**
 * Watches a body stream go by without holding it up: keeps the first `cap` bytes (references, no copy), counts
 * the rest, and hashes the whole body only once it outgrows the cap (a short body is hashed later, in the worker).
 */
export class BodyTap {
  private _chunks: Buffer[] = [];
  private _kept = 0;
  private _size = 0;
  private _hash: Hash | undefined;

  constructor(private readonly _cap: number) {}

  push(chunk: Buffer): void {
    const before = this._size;
    this._size += chunk.length;
    if (this._kept < this._cap) {
      const take = Math.min(chunk.length, this._cap - this._kept);
      this._chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      this._kept += take;
    }
    if (this._size > this._cap) {
      if (!this._hash) {
        this._hash = createHash('sha256');
        // Everything before this chunk was at most `cap` bytes, so it is all in the kept chunks.
        let left = before;
        for (const c of this._chunks) {
          if (left <= 0) break;
          const part = c.length <= left ? c : c.subarray(0, left);
          this._hash.update(part);
          left -= part.length;
        }
      }
      this._hash.update(chunk);
    }
  }

  get size(): number {
    return this._size;
  }

  finish(): BodyCapture {
    if (this._size === 0) return { data: null, size: 0, truncated: false };
    const data = this._chunks.length === 1 ? this._chunks[0] : Buffer.concat(this._chunks, this._kept);
    const truncated = this._size > this._kept;
    return { data, size: this._size, truncated, sha256: truncated ? this._hash?.digest('hex') : undefined };
  }
}
