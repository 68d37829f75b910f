/**
 * The per-response half of the latency histograms: a flat count array with the bucket layout of the run's HDR
 * histograms (1 µs up, 3 significant digits), so recording a value is an index and an increment. Each second the
 * counts are folded into real HDR histograms (hdr-histogram-js's own record costs a log2, a pow and several calls).
 * Folded histograms equal ones recorded value by value: same buckets, same counts, exact min and max.
 */
import type { Histogram } from 'hdr-histogram-js';

/** HDR with 3 significant digits: 2048 sub-buckets, of which a bucket past the first uses its upper half. */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_MASK = 2047;
/** Values up to 2^32 - 1 µs (over an hour, the generator's cap): bucket index at most 21. */
const SLOTS = (21 << SUB_BUCKET_HALF_MAGNITUDE) + SUB_BUCKET_MASK + 1;

/** The slot of a value (an integer from 1 to 2^32 - 1): HDR's counts index for it. */
export function slotOf(value: number): number {
  const bucket = 31 - SUB_BUCKET_HALF_MAGNITUDE - Math.clz32(value | SUB_BUCKET_MASK);
  return (bucket << SUB_BUCKET_HALF_MAGNITUDE) + (value >>> bucket);
}

/** The lowest value of a slot (any value of the slot records into the same HDR bucket). */
function slotValue(slot: number): number {
  const bucket = slot < SUB_BUCKET_MASK + 1 ? 0 : (slot >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  return (slot - (bucket << SUB_BUCKET_HALF_MAGNITUDE)) * 2 ** bucket;
}

export class Recorder {
  private _counts: Uint32Array | null = null;
  private _low = SLOTS;
  private _high = -1;
  private _min = Infinity;
  private _max = 0;

  get empty(): boolean {
    return this._high < 0;
  }

  /** Records an integer value from 1 to 2^32 - 1 (the caller clamps). */
  record(value: number): void {
    const counts = this._counts ?? (this._counts = new Uint32Array(SLOTS));
    const slot = slotOf(value);
    counts[slot]++;
    if (slot < this._low) this._low = slot;
    if (slot > this._high) this._high = slot;
    if (value < this._min) this._min = value;
    if (value > this._max) this._max = value;
  }

  /** Adds what was recorded to each histogram given, then starts empty. */
  foldInto(...into: Histogram[]): void {
    const counts = this._counts;
    if (!counts || this._high < 0) return;
    const minSlot = slotOf(this._min);
    const maxSlot = slotOf(this._max);
    for (let slot = this._low; slot <= this._high; slot++) {
      let n = counts[slot];
      if (n === 0) continue;
      counts[slot] = 0;
      // Every value of a slot falls in the same HDR bucket: the min's slot goes in as the min, the max once as
      // itself, the rest as their slot's lowest value, so min and max stay exact.
      const rest = slot === minSlot ? this._min : slotValue(slot);
      if (slot === maxSlot && this._max !== rest) {
        for (const h of into) h.recordValue(this._max);
        n--;
      }
      if (n > 0) for (const h of into) h.recordValueWithCount(rest, n);
    }
    this._low = SLOTS;
    this._high = -1;
    this._min = Infinity;
    this._max = 0;
  }
}
