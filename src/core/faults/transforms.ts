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

/** Each chunk waits latency ± jitter after it arrived; order is kept (like Toxiproxy, delays do not add up). */
class Latency extends ToxicTransform {
  constructor(private readonly _a: Record<string, number>) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const jitter = this._a.jitter ? (Math.random() * 2 - 1) * this._a.jitter : 0;
    const delay = Math.max(0, this._a.latency + jitter);
    this._later(delay, () => cb(null, chunk));
  }
}

/** At most `rate` KB/s: chunks are cut into 100 ms pieces, each followed by the time it takes at that rate. */
class Bandwidth extends ToxicTransform {
  constructor(private readonly _rate: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this._rate <= 0) return cb(null, chunk);
    const bytesPerMs = this._rate; // KB/s with 1 KB = 1000 bytes
    const piece = Math.max(1, Math.floor(bytesPerMs * 100));
    const send = (offset: number): void => {
      if (offset >= chunk.length) return cb();
      const part = chunk.subarray(offset, offset + piece);
      this._later(part.length / bytesPerMs, () => {
        this.push(part);
        send(offset + part.length);
      });
    };
    send(0);
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
