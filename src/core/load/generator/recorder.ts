/**
 * Latencies as they are recorded during a run: a flat count array with the bucket layout of the run's HDR
 * histograms (1 µs up, 3 significant digits), so recording a value is an index and an increment, merging two is an
 * add over the slots in use, and percentiles are one pass. hdr-histogram-js's own record costs a log2, a pow and
 * several calls, and its percentiles a scan each plus an iterator for the mean: too slow for the generator's loop,
 * where a millisecond spent on figures delays the responses being timed. Percentiles equal hdr-histogram-js's for
 * the same values (test/unit/load-recorder.test.ts), and `foldInto` turns a recorder into a real HDR histogram.
 */
import type { Histogram } from 'hdr-histogram-js';
import ulp from 'hdr-histogram-js/dist/ulp';
import type { LatencyPercentiles } from '../types';

/** HDR with 3 significant digits: 2048 sub-buckets, of which a bucket past the first uses its upper half. */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_MASK = 2047;
/** Values up to 2^32 - 1 µs (over an hour, the generator's cap): bucket index at most 21. */
const SLOTS = (21 << SUB_BUCKET_HALF_MAGNITUDE) + SUB_BUCKET_MASK + 1;
const PERCENTILES = [50, 90, 95, 99, 99.9] as const;

/** The slot of a value (an integer from 1 to 2^32 - 1): HDR's counts index for it. */
export function slotOf(value: number): number {
  const bucket = 31 - SUB_BUCKET_HALF_MAGNITUDE - Math.clz32(value | SUB_BUCKET_MASK);
  return (bucket << SUB_BUCKET_HALF_MAGNITUDE) + (value >>> bucket);
}

function bucketOf(slot: number): number {
  return slot <= SUB_BUCKET_MASK ? 0 : (slot >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
}

/** The lowest value of a slot (any value of the slot records into the same HDR bucket). */
function slotValue(slot: number): number {
  const bucket = bucketOf(slot);
  return (slot - (bucket << SUB_BUCKET_HALF_MAGNITUDE)) * 2 ** bucket;
}

export class Recorder {
  count = 0;
  private _counts: Uint32Array | null = null;
  private _low = SLOTS;
  private _high = -1;
  private _min = Infinity;
  private _max = 0;

  get empty(): boolean {
    return this.count === 0;
  }

  /** Records an integer value from 1 to 2^32 - 1 (the caller clamps). */
  record(value: number): void {
    const counts = this._counts ?? (this._counts = new Uint32Array(SLOTS));
    const slot = slotOf(value);
    counts[slot]++;
    this.count++;
    if (slot < this._low) this._low = slot;
    if (slot > this._high) this._high = slot;
    if (value < this._min) this._min = value;
    if (value > this._max) this._max = value;
  }

  /** Adds another recorder's values to this one. */
  add(other: Recorder): void {
    const from = other._counts;
    if (!from || other.count === 0) return;
    const counts = this._counts ?? (this._counts = new Uint32Array(SLOTS));
    for (let slot = other._low; slot <= other._high; slot++) counts[slot] += from[slot];
    this.count += other.count;
    if (other._low < this._low) this._low = other._low;
    if (other._high > this._high) this._high = other._high;
    if (other._min < this._min) this._min = other._min;
    if (other._max > this._max) this._max = other._max;
  }

  clear(): void {
    if (this._counts && this.count > 0) this._counts.fill(0, this._low, this._high + 1);
    this.count = 0;
    this._low = SLOTS;
    this._high = -1;
    this._min = Infinity;
    this._max = 0;
  }

  /** p50 to p99.9 as hdr-histogram-js gives them (the top of the percentile's bucket, never above max), mean, min, max. */
  percentiles(): LatencyPercentiles {
    const total = this.count;
    const counts = this._counts;
    if (!counts || total === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, 'p99.9': 0, max: 0, mean: 0, min: 0 };
    const at: number[] = [];
    let next = 0;
    let wanted = rank(PERCENTILES[0], total);
    let running = 0;
    let sum = 0;
    for (let slot = this._low; slot <= this._high; slot++) {
      const n = counts[slot];
      if (n === 0) continue;
      running += n;
      const width = 2 ** bucketOf(slot);
      const lowest = slotValue(slot);
      sum += (lowest + Math.floor(width / 2)) * n;
      while (next < PERCENTILES.length && running >= wanted) {
        at.push(Math.min(this._max, lowest + width - 1));
        if (++next < PERCENTILES.length) wanted = rank(PERCENTILES[next], total);
      }
    }
    return { p50: at[0], p90: at[1], p95: at[2], p99: at[3], 'p99.9': at[4], max: this._max, mean: Math.round(sum / total), min: this._min };
  }

  /**
   * Adds what was recorded to each HDR histogram given. Every value of a slot falls in the same HDR bucket: the
   * min's slot goes in as the min, the max once as itself, the rest as their slot's lowest value, so the
   * histograms' min and max stay exact.
   */
  foldInto(...into: Histogram[]): void {
    const counts = this._counts;
    if (!counts || this.count === 0) return;
    const minSlot = slotOf(this._min);
    const maxSlot = slotOf(this._max);
    for (let slot = this._low; slot <= this._high; slot++) {
      let n = counts[slot];
      if (n === 0) continue;
      const rest = slot === minSlot ? this._min : slotValue(slot);
      if (slot === maxSlot && this._max !== rest) {
        for (const h of into) h.recordValue(this._max);
        n--;
      }
      if (n > 0) for (const h of into) h.recordValueWithCount(rest, n);
    }
  }
}

/** How many values lie at or below a percentile: hdr-histogram-js's rounding, to the ulp. */
function rank(percentile: number, total: number): number {
  const fp = (percentile / 100) * total;
  return Math.max(Math.ceil(fp - ulp(fp)), 1);
}
