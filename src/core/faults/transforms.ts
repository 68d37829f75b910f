/**
 * The byte-level toxics' Transforms (see toxics.ts for the data). A Transform works on one direction of one TCP
 * connection, or on one body of one HTTP exchange.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Toxic } from './toxics';

/** What a toxic may do to its whole connection, beyond transforming the bytes. */
export interface LinkControl {
  /** Abort both sides with a TCP RST (the client sees ECONNRESET). */
  reset(): void;
  /** Close both sides now. */
  close(): void;
}

/**
 * A Transform whose timers all die with it: destroy() clears every pending one (no leaks when a connection ends).
 * remove() is the toxic being removed while its connection lives (as Toxiproxy heals live links): the timers are
 * cleared, whatever the toxic holds is let through at once (_release), and from then on it passes every chunk.
 * update() is the toxic's attributes changed while its connection lives (as Toxiproxy updates live links): what
 * comes next is treated with the new ones; what it already holds keeps the time it was given.
 */
export abstract class ToxicTransform extends Transform {
  private readonly _timers = new Set<NodeJS.Timeout>();
  protected _removed = false;

  constructor() {
    // A socket reads up to 64 KiB at a time; with the default 16 KiB every chunk would stop and restart the pipe.
    super({ highWaterMark: 64 * 1024 });
  }

  protected _later(ms: number, fn: () => void): void {
    if (this.destroyed || this._removed) return;
    const timer = setTimeout(() => {
      this._timers.delete(timer);
      if (!this.destroyed) fn();
    }, Math.max(0, ms));
    this._timers.add(timer);
  }

  get pendingTimers(): number {
    return this._timers.size;
  }

  get removed(): boolean {
    return this._removed;
  }

  /** The toxic is gone: from now on a pass-through. Idempotent. */
  remove(): void {
    if (this._removed || this.destroyed) return;
    this._removed = true;
    this._clearTimers();
    this._release();
  }

  /** The toxic's attributes changed (they were validated for its type). Ignored once removed. */
  update(attributes: Record<string, number>): void {
    if (this._removed || this.destroyed) return;
    this._update(attributes);
  }

  protected abstract _update(a: Record<string, number>): void;

  /** Lets through what the toxic holds and calls the callbacks it kept; the default holds nothing. */
  protected _release(): void {}

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this._clearTimers();
    callback(error);
  }

  protected _clearTimers(): void {
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
  }
}

/** Bytes a latency toxic holds before it stops taking more (backpressure): a bandwidth-delay product of 80 MB/s × 50 ms. */
const LATENCY_MAX_HELD = 4 * 1024 * 1024;

/**
 * Each chunk is released latency ± jitter after it arrived, in order. Chunks arriving while earlier ones wait are
 * taken at once with their own release time, so on a stream the delays do not add up (as in Toxiproxy, which
 * stamps each chunk when it is read). With no delay the chunk passes synchronously: a zero latency costs no timer.
 */
class Latency extends ToxicTransform {
  private readonly _queue: { chunk: Buffer; at: number }[] = [];
  private _held = 0;
  private _lastAt = 0;
  private _writeCb: TransformCallback | undefined;
  private _flushCb: TransformCallback | undefined;

  constructor(private _a: Record<string, number>) {
    super();
  }

  protected override _update(a: Record<string, number>): void {
    this._a = a;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._removed) return cb(null, chunk);
    const jitter = this._a.jitter ? (Math.random() * 2 - 1) * this._a.jitter : 0;
    const delay = Math.max(0, this._a.latency + jitter);
    if (delay === 0 && this._queue.length === 0) return cb(null, chunk);
    // Never before the chunk ahead of it: jitter must not reorder bytes.
    const at = Math.max(performance.now() + delay, this._lastAt);
    this._lastAt = at;
    this._queue.push({ chunk, at });
    this._held += chunk.length;
    if (this._queue.length === 1) this._armRelease();
    if (this._held < LATENCY_MAX_HELD) cb();
    else this._writeCb = cb;
  }

  override _flush(cb: TransformCallback): void {
    if (this._queue.length === 0) cb();
    else this._flushCb = cb;
  }

  private _takeFlush(): TransformCallback | undefined {
    const cb = this._flushCb;
    this._flushCb = undefined;
    return cb;
  }

  private _armRelease(): void {
    this._later(this._queue[0].at - performance.now(), () => this._release());
  }

  protected override _release(): void {
    // Within 1 ms counts as due: a timer may fire a fraction early, and re-arming would cost a whole ms.
    const now = this._removed ? Infinity : performance.now() + 1;
    while (this._queue.length && this._queue[0].at <= now) {
      const { chunk } = this._queue.shift()!;
      this._held -= chunk.length;
      this.push(chunk);
    }
    if (this._writeCb && this._held < LATENCY_MAX_HELD) {
      const cb = this._writeCb;
      this._writeCb = undefined;
      cb();
    }
    if (this._queue.length) this._armRelease();
    else this._takeFlush()?.();
  }
}

/** Lateness a bandwidth toxic makes up after the link went quiet; more would let a quiet link burst. */
const BANDWIDTH_MAX_OWED_MS = 100;

/**
 * At most `rate` KB/s: chunks are cut into pieces of at most 100 ms, each sent when the link is free again. The
 * schedule is kept in absolute time, so a timer that fires late (a loaded event loop, 1 ms timer steps) is made up on
 * the next pieces instead of adding up. Time spent waiting for data earns no credit: a quiet link does not burst.
 */
class Bandwidth extends ToxicTransform {
  /** performance.now() at which the pieces scheduled so far have had their time. */
  private _freeAt = 0;
  /** performance.now() at which the last chunk was done and the link started waiting for data. */
  private _idleSince = 0;
  /** While a piece waits for its time: sends the rest of the chunk at once and takes the next. */
  private _rest: (() => void) | undefined;

  constructor(private _rate: number) {
    super();
  }

  protected override _update(a: Record<string, number>): void {
    this._rate = a.rate;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._rate <= 0 || this._removed) return cb(null, chunk);
    const bytesPerMs = this._rate; // KB/s with 1 KB = 1000 bytes
    const piece = Math.max(1, Math.floor(bytesPerMs * 100));
    // Behind schedule when it went quiet: that much is still owed; anything beyond is idle time.
    const owed = Math.min(BANDWIDTH_MAX_OWED_MS, Math.max(0, this._idleSince - this._freeAt));
    this._freeAt = Math.max(this._freeAt, performance.now() - owed);
    let offset = 0;
    const send = (): void => {
      while (offset < chunk.length) {
        const part = chunk.subarray(offset, offset + piece);
        offset += part.length;
        this._freeAt += part.length / bytesPerMs;
        const wait = this._freeAt - performance.now();
        if (wait >= 1) {
          this._rest = () => {
            this._rest = undefined;
            this.push(chunk.subarray(offset - part.length));
            cb();
          };
          this._later(wait, () => {
            this._rest = undefined;
            this.push(part);
            send();
          });
          return;
        }
        this.push(part);
      }
      this._idleSince = performance.now();
      cb();
    };
    send();
  }

  protected override _release(): void {
    this._rest?.();
  }
}

/** Cuts the stream into pieces of average_size ± size_variation bytes, `delay` µs apart. */
class Slicer extends ToxicTransform {
  /** While the next slice waits: sends the rest of the chunk at once and takes the next. */
  private _rest: (() => void) | undefined;

  constructor(private _a: Record<string, number>) {
    super();
  }

  protected override _update(a: Record<string, number>): void {
    this._a = a;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._removed) return cb(null, chunk);
    const { average_size: avg, size_variation: variation, delay } = this._a;
    const sliceSize = (): number => Math.max(1, avg + Math.round((Math.random() * 2 - 1) * variation));
    if (delay <= 0) {
      // No delay, no timer: a setTimeout(0) per slice would turn the slicer into a bandwidth limit (Toxiproxy waits
      // only for a delay).
      for (let offset = 0; offset < chunk.length; ) {
        const size = sliceSize();
        this.push(chunk.subarray(offset, offset + size));
        offset += size;
      }
      return cb();
    }
    const send = (offset: number): void => {
      if (offset >= chunk.length) return cb();
      const size = sliceSize();
      this.push(chunk.subarray(offset, offset + size));
      this._rest = () => {
        this._rest = undefined;
        if (offset + size < chunk.length) this.push(chunk.subarray(offset + size));
        cb();
      };
      this._later(delay / 1000, () => {
        this._rest = undefined;
        send(offset + size);
      });
    };
    send(0);
  }

  protected override _release(): void {
    this._rest?.();
  }
}

/**
 * Passes the first `bytes` bytes, then ends this direction (the peer sees exactly that many, then EOF). With 0 the
 * first chunk ends it: nothing passes, then EOF, as Toxiproxy closes once the limit is reached.
 */
class LimitData extends ToxicTransform {
  private _passed = 0;
  private _ended = false;
  constructor(private _limit: number) {
    super();
  }

  /** A limit at or under what already passed ends the stream now, as the next chunk would. */
  protected override _update(a: Record<string, number>): void {
    this._limit = a.bytes;
    if (!this._ended && this._passed >= this._limit && this._passed > 0) this._end();
  }

  private _end(): void {
    this._ended = true;
    this.push(null);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._ended) return cb();
    if (this._removed) return cb(null, chunk);
    const part = chunk.subarray(0, Math.max(0, this._limit - this._passed));
    this._passed += part.length;
    if (part.length) this.push(part);
    if (this._passed >= this._limit) this._end();
    cb();
  }
}

/**
 * Lets nothing through; after `timeout` ms closes the connection, or with 0 holds it open forever. What arrives is
 * held, not dropped (the first chunk's callback waits, so the pipe stops reading): removed, the toxic lets it go on,
 * as Toxiproxy's, which stops reading its input while active.
 */
class Timeout extends ToxicTransform {
  private _heldChunk: { chunk: Buffer; cb: TransformCallback } | undefined;
  private _flushCb: TransformCallback | undefined;

  constructor(
    timeout: number,
    private readonly _link: LinkControl,
  ) {
    super();
    this._arm(timeout);
  }

  private _arm(timeout: number): void {
    if (timeout > 0) this._later(timeout, () => this._link.close());
  }

  /** The new timeout counts from the update (Toxiproxy starts the updated toxic anew); what it holds stays held. */
  protected override _update(a: Record<string, number>): void {
    this._clearTimers();
    this._arm(a.timeout);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._removed) return cb(null, chunk);
    this._heldChunk = { chunk, cb };
  }
  override _flush(cb: TransformCallback): void {
    // Held: the end of the stream does not get through either.
    if (this._removed) cb();
    else this._flushCb = cb;
  }
  protected override _release(): void {
    const held = this._heldChunk;
    this._heldChunk = undefined;
    if (held) held.cb(null, held.chunk);
    const flush = this._flushCb;
    this._flushCb = undefined;
    flush?.();
  }
}

/** After `timeout` ms (0 = at once) resets the connection with a TCP RST. */
class ResetPeer extends ToxicTransform {
  constructor(
    timeout: number,
    private readonly _link: LinkControl,
  ) {
    super();
    this._later(timeout, () => this._link.reset());
  }

  /** The new timeout counts from the update, as Timeout's. */
  protected override _update(a: Record<string, number>): void {
    this._clearTimers();
    this._later(a.timeout, () => this._link.reset());
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, chunk);
  }
}

/** Delays the end of the stream by `delay` ms. */
class SlowClose extends ToxicTransform {
  private _flushCb: TransformCallback | undefined;

  constructor(private _delay: number) {
    super();
  }

  /** A close already waiting keeps its time. */
  protected override _update(a: Record<string, number>): void {
    this._delay = a.delay;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this._removed) return cb();
    this._flushCb = cb;
    this._later(this._delay, () => this._release());
  }
  protected override _release(): void {
    const flush = this._flushCb;
    this._flushCb = undefined;
    flush?.();
  }
}

/** Builds the Transform for one toxic on one direction of one connection. */
export function createToxicTransform(toxic: Toxic, link: LinkControl): ToxicTransform {
  // parseToxic gave every attribute of a byte-level type a number.
  const a = toxic.attributes as Record<string, number>;
  switch (toxic.type) {
    case 'latency':
      return new Latency(a);
    case 'bandwidth':
      return new Bandwidth(a.rate);
    case 'slicer':
      return new Slicer(a);
    case 'limit_data':
      return new LimitData(a.bytes);
    case 'timeout':
      return new Timeout(a.timeout, link);
    case 'reset_peer':
      return new ResetPeer(a.timeout, link);
    case 'slow_close':
      return new SlowClose(a.delay);
    default:
      throw new Error(`${toxic.type} is not a byte-level toxic`);
  }
}
