import { createHash, type Hash } from 'node:crypto';
import { EMPTY_BODY, type BodyCapture } from './types';

/**
 * Watches a body stream go by without holding it up: keeps the first `cap` bytes (references, no copy), counts
 * the rest, and hashes the whole body only once it outgrows the cap (a short body is hashed later, in the worker).
 * Most bodies are one chunk and most requests have none: the chunk list is made only for a second chunk.
 */
export class BodyTap {
  private _first: Buffer | null = null;
  private _more: Buffer[] | null = null;
  private _kept = 0;
  private _size = 0;
  private _hash: Hash | undefined;
  /** Set by finish(): the exchange is recorded, so bytes still arriving (an upload the upstream stopped reading) are
   * forwarded but no longer watched, and a second finish() gives the same capture. */
  private _capture: BodyCapture | null = null;

  constructor(private readonly _cap: number) {}

  push(chunk: Buffer): void {
    if (this._capture !== null) return;
    const before = this._size;
    this._size += chunk.length;
    if (this._kept < this._cap) {
      const take = Math.min(chunk.length, this._cap - this._kept);
      const kept = take === chunk.length ? chunk : chunk.subarray(0, take);
      if (this._first === null) this._first = kept;
      else (this._more ??= [this._first]).push(kept);
      this._kept += take;
    }
    if (this._size > this._cap) {
      if (!this._hash) {
        this._hash = createHash('sha256');
        // Everything before this chunk was at most `cap` bytes, so it is all in the kept chunks.
        let left = before;
        for (const c of this._more ?? (this._first ? [this._first] : [])) {
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

  /** The capture; a bodiless one is the shared EMPTY_BODY (read only, like every capture). */
  finish(): BodyCapture {
    if (this._capture !== null) return this._capture;
    if (this._size === 0) return (this._capture = EMPTY_BODY);
    const data = this._more === null ? this._first : Buffer.concat(this._more, this._kept);
    const truncated = this._size > this._kept;
    return (this._capture = { data, size: this._size, truncated, sha256: truncated ? this._hash?.digest('hex') : undefined });
  }
}
