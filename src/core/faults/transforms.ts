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

/** A Transform whose timers all die with it: destroy() clears every pending one (no leaks when a connection ends). */
export abstract class ToxicTransform extends Transform {
  private readonly _timers = new Set<NodeJS.Timeout>();

  constructor() {
    // A socket reads up to 64 KiB at a time; with the default 16 KiB every chunk would stop and restart the pipe.
    super({ highWaterMark: 64 * 1024 });
  }

  protected _later(ms: number, fn: () => void): void {
    if (this.destroyed) return;
    const timer = setTimeout(() => {
      this._timers.delete(timer);
      if (!this.destroyed) fn();
    }, Math.max(0, ms));
    this._timers.add(timer);
  }

  get pendingTimers(): number {
    return this._timers.size;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    callback(error);
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

  constructor(private readonly _a: Record<string, number>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
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

  private _armRelease(): void {
    this._later(this._queue[0].at - performance.now(), () => this._release());
  }

  private _release(): void {
    // Within 1 ms counts as due: a timer may fire a fraction early, and re-arming would cost a whole ms.
    const now = performance.now() + 1;
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
    else if (this._flushCb) this._flushCb();
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

  constructor(private readonly _rate: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._rate <= 0) return cb(null, chunk);
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
          this._later(wait, () => {
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
}

/** Cuts the stream into pieces of average_size ± size_variation bytes, `delay` µs apart. */
class Slicer extends ToxicTransform {
  constructor(private readonly _a: Record<string, number>) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const { average_size: avg, size_variation: variation, delay } = this._a;
    const send = (offset: number): void => {
      if (offset >= chunk.length) return cb();
      const size = Math.max(1, avg + Math.round((Math.random() * 2 - 1) * variation));
      this.push(chunk.subarray(offset, offset + size));
      this._later(delay / 1000, () => send(offset + size));
    };
    send(0);
  }
}

/** Passes the first `bytes` bytes, then ends this direction (the peer sees exactly that many, then EOF). */
class LimitData extends ToxicTransform {
  private _passed = 0;
  constructor(private readonly _limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._passed >= this._limit) return cb();
    const part = chunk.subarray(0, this._limit - this._passed);
    this._passed += part.length;
    this.push(part);
    if (this._passed >= this._limit) this.push(null);
    cb();
  }
}

/** Lets nothing through; after `timeout` ms closes the connection, or with 0 holds it open forever. */
class Timeout extends ToxicTransform {
  constructor(timeout: number, link: LinkControl) {
    super();
    if (timeout > 0) this._later(timeout, () => link.close());
  }
  override _transform(_chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb();
  }
  override _flush(_cb: TransformCallback): void {
    // Held: the end of the stream does not get through either.
  }
}

/** After `timeout` ms (0 = at once) resets the connection with a TCP RST. */
class ResetPeer extends ToxicTransform {
  constructor(timeout: number, link: LinkControl) {
    super();
    this._later(timeout, () => link.reset());
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, chunk);
  }
}

/** Delays the end of the stream by `delay` ms. */
class SlowClose extends ToxicTransform {
  constructor(private readonly _delay: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    this._later(this._delay, () => cb());
  }
}

/** Builds the Transform for one toxic on one direction of one connection. */
export function createToxicTransform(toxic: Toxic, link: LinkControl): Transform {
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
