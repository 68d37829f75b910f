/**
 * Toxics, modelled on Toxiproxy's: a toxic is data (name, type, stream, toxicity, attributes), validated in one
 * place, and each type has a factory of a Node Transform that one direction of one connection pipes through.
 * The runner (tcpProxy.ts), not the toxic, applies toxicity and direction, as Toxiproxy's ToxicStub.Run does.
 *
 * Units follow Toxiproxy: latency, jitter, timeouts and slow_close delay in milliseconds, bandwidth `rate` in KB/s
 * (1 KB = 1000 bytes), slicer `delay` in microseconds, limit_data `bytes` in bytes.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { InputError } from '../errors';

export type Stream = 'upstream' | 'downstream';
export const TOXIC_TYPES = ['latency', 'bandwidth', 'reset_peer', 'timeout', 'slicer', 'limit_data', 'slow_close'] as const;
export type ToxicType = (typeof TOXIC_TYPES)[number];

export interface Toxic {
  name: string;
  type: ToxicType;
  /** upstream: client → backend; downstream: backend → client. */
  stream: Stream;
  /** Probability 0..1, drawn once per connection. */
  toxicity: number;
  attributes: Record<string, number>;
}

/** What a toxic may do to its whole connection, beyond transforming the bytes. */
export interface LinkControl {
  /** Abort both sides with a TCP RST (the client sees ECONNRESET). */
  reset(): void;
  /** Close both sides now. */
  close(): void;
}

/** Each type's attributes: default and what the value means (for the error line). */
const ATTRIBUTES: Record<ToxicType, Record<string, { default: number; unit: string; integer?: boolean }>> = {
  latency: { latency: { default: 0, unit: 'milliseconds' }, jitter: { default: 0, unit: 'milliseconds' } },
  bandwidth: { rate: { default: 0, unit: 'KB/s (0 = unlimited)' } },
  reset_peer: { timeout: { default: 0, unit: 'milliseconds' } },
  timeout: { timeout: { default: 0, unit: 'milliseconds (0 = hold forever)' } },
  slicer: { average_size: { default: 0, unit: 'bytes', integer: true }, size_variation: { default: 0, unit: 'bytes', integer: true }, delay: { default: 0, unit: 'microseconds' } },
  limit_data: { bytes: { default: 0, unit: 'bytes', integer: true } },
  slow_close: { delay: { default: 0, unit: 'milliseconds' } },
};

export function parseStream(value: unknown, where: string): Stream {
  if (value === undefined) return 'downstream';
  if (value === 'upstream' || value === 'downstream') return value;
  throw new InputError(`${where}: stream must be 'upstream' or 'downstream', not '${String(value)}'`);
}

/** Validates untrusted input (API body, CLI flags) into a Toxic with defaults filled in; throws a one-line InputError. */
export function parseToxic(input: unknown): Toxic {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InputError('a toxic must be a JSON object with a type');
  const o = input as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || !(TOXIC_TYPES as readonly string[]).includes(type)) {
    throw new InputError(`toxic type '${String(type)}' is unknown; types are: ${TOXIC_TYPES.join(', ')}`);
  }
  const t = type as ToxicType;
  const stream = parseStream(o.stream, `toxic '${String(o.name ?? t)}'`);
  const name = o.name === undefined ? `${t}_${stream}` : o.name;
  if (typeof name !== 'string' || !/^[\w.-]{1,64}$/.test(name)) throw new InputError(`toxic name '${String(name)}' must be 1-64 letters, digits, '_', '.' or '-'`);
  const where = `toxic '${name}'`;
  const toxicity = o.toxicity === undefined ? 1 : o.toxicity;
  if (typeof toxicity !== 'number' || !(toxicity >= 0 && toxicity <= 1)) throw new InputError(`${where}: toxicity must be a number from 0 to 1`);
  const given = o.attributes === undefined ? {} : o.attributes;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new InputError(`${where}: attributes must be an object`);
  const attributes: Record<string, number> = {};
  const specs = ATTRIBUTES[t];
  for (const key of Object.keys(given)) {
    if (!(key in specs)) throw new InputError(`${where}: ${t} has no attribute '${key}'; it takes: ${Object.keys(specs).join(', ')}`);
  }
  for (const [key, spec] of Object.entries(specs)) {
    const v = (given as Record<string, unknown>)[key] ?? spec.default;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (spec.integer && !Number.isInteger(v))) {
      throw new InputError(`${where}: ${key} must be a ${spec.integer ? 'whole ' : ''}number of ${spec.unit} ≥ 0`);
    }
    attributes[key] = v;
  }
  if (t === 'slicer' && attributes.average_size < 1) throw new InputError(`${where}: average_size must be a whole number of bytes ≥ 1`);
  if (t === 'slicer' && attributes.size_variation >= attributes.average_size) throw new InputError(`${where}: size_variation must be smaller than average_size`);
  return { name, type: t, stream, toxicity, attributes };
}

/** A Transform whose timers all die with it: destroy() clears every pending one (no leaks when a connection ends). */
abstract class ToxicTransform extends Transform {
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
  const a = toxic.attributes;
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
  }
}
