import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BodyCapture, CapturedExchange, CapturedMessage } from '../capture/types';
import { StoreError } from '../errors';
import type { NewSession } from './database';
import type { AnswerOf, TrafficQuery } from './queries';
import type { WireCall } from '../protocols/types';
import { WireBatchBuilder, wireBodies, type WireRecordContext } from '../protocols/wireRecord';
import { packExchanges } from './exchangeColumns';
import type { PackedChunks } from '../protocols/rawChunks';
import type { DecodedCounts, WireStreamSpec } from './wireDecoding';
import type { FromWorker, PackedBody, PackedMessage, RedactionSpec, ToWorker } from './protocol';

export interface StoreWriterOptions {
  redaction?: RedactionSpec;
  /** Flush queued records to the worker this often (ms). The journal is written per flush. */
  flushMs?: number;
  /** Shortest time between two snapshots of the SQLite file (ms). */
  snapshotMinMs?: number;
  /** Records waiting for the worker beyond which new ones are dropped (and counted). */
  maxPendingRecords?: number;
  /** Body bytes waiting for the worker beyond which new records are dropped. */
  maxPendingBytes?: number;
  /**
   * Run the worker at the lowest CPU priority: for a capture of wire protocols only, whose chunks the worker
   * decodes (openWireStream), so that decoding and storing yield the CPU to the traffic and catch up after.
   */
  lowPriority?: boolean;
}

/** Raw chunks of one wire listener, decoded and stored in the worker (see deferredDecoder.ts). */
export interface WireChunkStream {
  send(packed: PackedChunks): void;
  /** Resolves once every chunk sent before is decoded and stored. */
  drain(): Promise<void>;
}

export interface WriterStats {
  enqueued: number;
  stored: number;
  dropped: number;
  pending: number;
}

/**
 * Finds a worker entry beside the bundle (dist/). Running from source (tests under tsx), the built one in the
 * repository's dist/ is used: Node 20 does not carry tsx's loader into worker threads.
 */
export function workerEntry(name: string): string {
  const js = path.join(__dirname, `${name}.js`);
  if (fs.existsSync(js)) return js;
  const built = path.resolve(__dirname, '..', '..', '..', 'dist', `${name}.js`);
  if (fs.existsSync(built)) return built;
  return path.join(__dirname, `${name}.ts`);
}

/**
 * The proxy's side of the store. `enqueue*` only pushes onto an array: no I/O, no SQLite, no copying on the
 * forwarding path. A timer packs the queue into one transferable buffer and posts it to the store worker.
 * Back-pressure is by counting: past the limits, records are dropped and counted, never waited for.
 */
/** How many times the record limit wire calls may take before they are dropped (see enqueueWireCall). */
const WIRE_RECORDS_HEADROOM = 4;

export class StoreWriter extends EventEmitter {
  private _exchanges: CapturedExchange[] = [];
  private _messages: CapturedMessage[] = [];
  /** Wire calls, flat (see WireBatch), and how many exchanges were queued before each (to keep the order). */
  private _wire = new WireBatchBuilder();
  private _wireAt: number[] = [];
  private _wireBytes = 0;
  private _queuedBytes = 0;
  private _inFlightRecords = 0;
  private _inFlightBytes = 0;
  private _timer: NodeJS.Timeout | undefined;
  private _waiters: Array<{ type: FromWorker['type']; resolve: (m: FromWorker) => void; reject: (e: Error) => void }> = [];
  private _closed = false;
  private _answers = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private _nextQueryId = 1;
  private _nextStream = 0;
  private readonly _streams = new Map<number, (decoded: DecodedCounts & { bytes: number }) => void>();
  private _failed: Error | undefined;
  readonly stats: WriterStats = { enqueued: 0, stored: 0, dropped: 0, pending: 0 };
  sessionId = 0;
  private readonly _caughtUpWaiters: Array<() => void> = [];

  private constructor(private readonly _worker: Worker, private readonly _options: Required<StoreWriterOptions>) {
    super();
    _worker.on('message', (m: FromWorker) => this._onMessage(m));
    _worker.on('error', (e) => this._fail(new StoreError(`store worker crashed: ${e.message}`)));
    _worker.on('exit', (code) => {
      if (!this._closed || this._waiters.length) this._fail(new StoreError(`store worker exited (code ${code})`));
    });
  }

  /** Opens (or creates) the database file in a worker; rejects with a StoreError for a foreign, corrupt or unwritable file. */
  static async open(file: string, options: StoreWriterOptions = {}): Promise<StoreWriter> {
    const opts: Required<StoreWriterOptions> = {
      redaction: options.redaction ?? { enabled: true, extraFields: [] },
      flushMs: options.flushMs ?? 50,
      // The journal holds everything since the last snapshot (a kill -9 loses only the last flush), so the file need
      // not be rewritten often: a 35 MB export every second was a tenth of a core at 8k pgbench calls/s.
      snapshotMinMs: options.snapshotMinMs ?? 5000,
      maxPendingRecords: options.maxPendingRecords ?? 100_000,
      maxPendingBytes: options.maxPendingBytes ?? 256 * 1024 * 1024,
      lowPriority: options.lowPriority ?? false,
    };
    // A small young generation: V8 grows the worker's semispaces to ~32 MB under a fast capture, and that memory is
    // never handed back; capped, 200k exchanges capture in ~90 MB less RSS at the same rate (bench:capture memory).
    const worker = new Worker(workerEntry('storeWorker'), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    const writer = new StoreWriter(worker, opts);
    try {
      await writer._request({ type: 'init', file, redaction: opts.redaction, snapshotMinMs: opts.snapshotMinMs, lowPriority: opts.lowPriority }, 'ready');
    } catch (e) {
      writer._closed = true;
      await worker.terminate();
      throw e;
    }
    return writer;
  }

  async startSession(session: NewSession): Promise<number> {
    const reply = await this._request({ type: 'session', session }, 'session');
    this.sessionId = (reply as { id: number }).id;
    return this.sessionId;
  }

  get failed(): Error | undefined {
    return this._failed;
  }

  private _pendingRecords(): number {
    return this._inFlightRecords + this._exchanges.length + this._messages.length + this._wireAt.length;
  }

  /**
   * Half way to the drop limits. A producer that can hold its input without blocking the event loop (a wire
   * capture, which can stop reading a client socket) waits here, so that nothing it records is dropped.
   */
  get behind(): boolean {
    return this._pendingRecords() >= this._options.maxPendingRecords / 2 || this._inFlightBytes + this._queuedBytes >= this._options.maxPendingBytes / 2;
  }

  /** Calls `fn` once the worker has caught up to a quarter of the limits (or at once; or when the writer ends). */
  whenCaughtUp(fn: () => void): void {
    if (!this.behind || this._closed || this._failed) fn();
    else this._caughtUpWaiters.push(fn);
  }

  private _releaseCaughtUp(force: boolean): void {
    if (!this._caughtUpWaiters.length) return;
    const caughtUp = this._pendingRecords() <= this._options.maxPendingRecords / 4 && this._inFlightBytes + this._queuedBytes <= this._options.maxPendingBytes / 4;
    if (force || caughtUp) for (const fn of this._caughtUpWaiters.splice(0)) fn();
  }

  private _accept(bytes: number, headroom = 1): boolean {
    if (this._closed || this._failed) return false;
    if (this._pendingRecords() >= this._options.maxPendingRecords * headroom || this._inFlightBytes + this._queuedBytes + bytes > this._options.maxPendingBytes) {
      this.stats.dropped++;
      return false;
    }
    this._queuedBytes += bytes;
    this._schedule();
    return true;
  }

  /** Queues an exchange; false if it was dropped because the store is behind. */
  enqueueExchange(ex: CapturedExchange): boolean {
    const bytes = (ex.requestBody.data?.length ?? 0) + (ex.responseBody.data?.length ?? 0);
    if (!this._accept(bytes)) return false;
    this._exchanges.push(ex);
    this.stats.enqueued++;
    return true;
  }

  /**
   * Queues a wire protocol's call as flat fields: the row is made in the worker (prepareWireCall), exactly as
   * enqueueExchange(toCapturedExchange(call, context)) would store it, at a fraction of the cost on this thread.
   */
  enqueueWireCall(call: WireCall, context: WireRecordContext): boolean {
    if (this._closed || this._failed) return false;
    const { request, response, bytes } = wireBodies(call, context);
    // A wire capture holds its clients back once the store is `behind` (half the limit), but what is already on
    // the wire still arrives: a chunk of pipelined replies is thousands of calls. Room for those, not a drop.
    if (!this._accept(bytes, WIRE_RECORDS_HEADROOM)) return false;
    this._wire.push(call, context, request, response);
    this._wireAt.push(this._exchanges.length);
    this._wireBytes += bytes;
    this.stats.enqueued++;
    return true;
  }

  enqueueMessage(m: CapturedMessage): boolean {
    if (!this._accept(m.data?.length ?? 0)) return false;
    this._messages.push(m);
    return true;
  }

  private _schedule(): void {
    if (this._timer) return;
    this._timer = setTimeout(() => {
      this._timer = undefined;
      this.flush();
    }, this._options.flushMs);
    this._timer.unref();
  }

  /**
   * Packs every queued body into one fresh buffer (never a pooled slice: a clone would copy the whole pool), and
   * the exchanges into columns (exchangeColumns.ts).
   */
  flush(): void {
    if (this._failed || (!this._exchanges.length && !this._messages.length && !this._wireAt.length)) return;
    const exchanges = this._exchanges;
    const messages = this._messages;
    const wire = { batch: this._wire.take(), at: this._wireAt, bytes: this._wireBytes };
    this._exchanges = [];
    this._messages = [];
    this._wireAt = [];
    this._wireBytes = 0;
    const bytes = this._queuedBytes;
    this._queuedBytes = 0;
    // Wire calls' bodies travel as text in `wire`, not in the buffer.
    const buffer = new ArrayBuffer(bytes - wire.bytes);
    const view = new Uint8Array(buffer);
    let offset = 0;
    const pack = (b: BodyCapture): PackedBody | null => {
      if (b.size === 0) return null;
      // Counted but not kept (a CONNECT tunnel's bytes): the size still goes to the store.
      if (!b.data) return { offset, length: 0, size: b.size, truncated: b.truncated, sha256: b.sha256 };
      view.set(b.data, offset);
      const packed: PackedBody = { offset, length: b.data.length, size: b.size, truncated: b.truncated, sha256: b.sha256 };
      offset += b.data.length;
      return packed;
    };
    const packed = packExchanges(exchanges, view, offset);
    offset = packed.offset;
    const packedMessages: PackedMessage[] = messages.map((m) => ({ ...m, data: pack({ data: m.data, size: m.size, truncated: m.truncated }) }));
    this._inFlightRecords += exchanges.length + messages.length + wire.at.length;
    this._inFlightBytes += bytes;
    const columns = packed.columns;
    this._post({ type: 'batch', exchanges: columns, messages: packedMessages, buffer, wire }, [buffer, wire.batch.numbers.buffer as ArrayBuffer, columns.numbers.buffer as ArrayBuffer]);
  }

  /**
   * A wire listener's raw chunks, to be decoded and stored in the worker; `onDecoded` hears, per transfer, how many
   * bytes were decoded and what they held. The chunks go straight to the worker: no queue here, and the caller
   * bounds what it has sent and not yet heard back about.
   */
  openWireStream(spec: WireStreamSpec, onDecoded: (decoded: DecodedCounts & { bytes: number }) => void): WireChunkStream {
    const stream = ++this._nextStream;
    this._streams.set(stream, onDecoded);
    this._post({ type: 'wireStream', stream, spec });
    return {
      send: (packed) => {
        if (this._closed || this._failed) return;
        this._post({ type: 'wireChunks', stream, ...packed }, [packed.bytes, packed.meta.buffer as ArrayBuffer]);
      },
      drain: async () => {
        if (this._closed || this._failed) return;
        await this._ask({ type: 'wireDrain', id: this._nextQueryId++ });
      },
    };
  }

  /** Asks the worker about the database it holds; answered after every batch posted before it. */
  query<Q extends TrafficQuery>(query: Q): Promise<AnswerOf<Q>> {
    return this._ask({ type: 'query', id: this._nextQueryId++, query }) as Promise<AnswerOf<Q>>;
  }

  /** Deletes exchanges (journaled and snapshotted like any write). */
  deleteExchanges(ids: number[]): Promise<number> {
    this.flush();
    return this._ask({ type: 'delete', id: this._nextQueryId++, ids }) as Promise<number>;
  }

  private _ask(msg: Extract<ToWorker, { id: number }>): Promise<unknown> {
    if (this._failed) return Promise.reject(this._failed);
    if (this._closed) return Promise.reject(new StoreError('the capture has stopped; the database is closed'));
    return new Promise((resolve, reject) => {
      this._answers.set(msg.id, { resolve, reject });
      this._post(msg);
    });
  }

  /** Flushes, finishes the session, writes the final snapshot and stops the worker. */
  async close(): Promise<{ exchanges: number; fileBytes: number }> {
    if (this._closed) return { exchanges: this.stats.stored, fileBytes: 0 };
    if (this._timer) clearTimeout(this._timer);
    this._timer = undefined;
    this.flush();
    this._closed = true;
    this._releaseCaughtUp(true);
    if (this._failed) {
      await this._worker.terminate();
      throw this._failed;
    }
    const reply = (await this._request({ type: 'close', dropped: this.stats.dropped }, 'closed')) as { exchanges: number; fileBytes: number };
    await this._worker.terminate();
    return reply;
  }

  private _post(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this._worker.postMessage(msg, transfer);
  }

  private _request(msg: ToWorker, expect: FromWorker['type']): Promise<FromWorker> {
    if (this._failed) return Promise.reject(this._failed);
    return new Promise((resolve, reject) => {
      this._waiters.push({ type: expect, resolve, reject });
      this._post(msg);
    });
  }

  private _onMessage(m: FromWorker): void {
    if (m.type === 'wireAck') {
      this.stats.stored += m.calls;
      this._streams.get(m.stream)?.(m);
      return;
    }
    if (m.type === 'ack') {
      this._inFlightRecords -= m.exchanges + m.messages;
      this._inFlightBytes -= m.bytes;
      this.stats.stored += m.exchanges;
      this.stats.pending = this._inFlightRecords + this._exchanges.length + this._wireAt.length;
      this._releaseCaughtUp(false);
      return;
    }
    if (m.type === 'error') {
      this._fail(new StoreError(m.message));
      return;
    }
    if (m.type === 'answer') {
      const waiter = this._answers.get(m.id);
      this._answers.delete(m.id);
      if (m.ok) waiter?.resolve(m.result);
      else waiter?.reject(new StoreError(m.error));
      return;
    }
    const i = this._waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) this._waiters.splice(i, 1)[0].resolve(m);
  }

  private _fail(e: Error): void {
    if (this._failed) return;
    this._failed = e;
    this._releaseCaughtUp(true);
    for (const w of this._waiters.splice(0)) w.reject(e);
    for (const a of this._answers.values()) a.reject(e);
    this._answers.clear();
    // Nobody listens while open() is still waiting: it rejects instead.
    if (this.listenerCount('error')) this.emit('error', e);
  }
}
