/**
 * When the store worker decodes wire chunks (see deferredDecoder.ts): at once while the wire traffic is light, so
 * calls show up live; held while it is heavy, so that a saturated database or cache is not slowed by decoding on
 * the same cores (a redis-benchmark through the capture ran at 0.78× the bare pipe decoding as it went, 0.95× with
 * decoding held to the end). Held transfers are decoded, oldest first, once the traffic calms down, past
 * `maxHeldBytes`, or when the capture drains.
 */
export interface InflowLimits {
  /** Wire bytes per second above which decoding waits. */
  heavyBytesPerS: number;
  /** Held bytes beyond which the oldest are decoded anyway (down to half). */
  maxHeldBytes: number;
  /** The window the rate is measured over. */
  windowMs: number;
  /** Bytes let go per `due` call, so other work in the worker runs between slices. */
  sliceBytes: number;
}

export const DEFAULT_INFLOW_LIMITS: InflowLimits = { heavyBytesPerS: 1024 * 1024, maxHeldBytes: 32 * 1024 * 1024, windowMs: 100, sliceBytes: 1024 * 1024 };

export class WireInflow<T> {
  private _windowStart = -Infinity;
  private _windowBytes = 0;
  private _lastRate = 0;
  private _held: Array<{ item: T; bytes: number }> = [];
  private _heldBytes = 0;

  constructor(private readonly _limits: InflowLimits = DEFAULT_INFLOW_LIMITS) {}

  get holding(): boolean {
    return this._held.length > 0;
  }

  get heldBytes(): number {
    return this._heldBytes;
  }

  /** A transfer arrived: what to decode now, in order (it, or held ones past the bound, or nothing). */
  arrive(item: T, bytes: number, now: number): T[] {
    this._roll(now);
    this._windowBytes += bytes;
    if (!this._heavy(now) && !this._held.length) return [item];
    this._held.push({ item, bytes });
    this._heldBytes += bytes;
    return this._heldBytes > this._limits.maxHeldBytes ? this._take(this._heldBytes - this._limits.maxHeldBytes / 2) : [];
  }

  /** Called now and then while holding: a slice of what is held once the traffic is light again. */
  due(now: number): T[] {
    this._roll(now);
    return this._heavy(now) ? [] : this._take(this._limits.sliceBytes);
  }

  /** Everything held, oldest first (a drain or the end). */
  takeAll(): T[] {
    return this._take(Infinity);
  }

  private _roll(now: number): void {
    const elapsed = now - this._windowStart;
    if (elapsed < this._limits.windowMs) return;
    this._lastRate = Number.isFinite(elapsed) ? (this._windowBytes * 1000) / elapsed : 0;
    this._windowStart = now;
    this._windowBytes = 0;
  }

  private _heavy(now: number): boolean {
    const current = (this._windowBytes * 1000) / Math.max(now - this._windowStart, this._limits.windowMs);
    return Math.max(this._lastRate, current) > this._limits.heavyBytesPerS;
  }

  private _take(bytes: number): T[] {
    const out: T[] = [];
    let taken = 0;
    while (this._held.length && taken < bytes) {
      const next = this._held.shift()!;
      taken += next.bytes;
      this._heldBytes -= next.bytes;
      out.push(next.item);
    }
    return out;
  }
}
