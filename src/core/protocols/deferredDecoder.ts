/**
 * Decoding off the forwarding thread: the capture proxy's tap only copies the chunks it forwarded into one buffer
 * and, every 20 ms, packs them into one buffer for the store worker, which runs the parsers there
 * (store/wireDecoding.ts) and stores the calls. A capture of wire protocols only runs that worker at the lowest
 * CPU priority (StoreWriterOptions.lowPriority): under saturation the capture then costs the traffic little more
 * than a bare pipe does, the calls reach the file as soon as there is CPU to decode them, and all of them are in
 * it when the capture stops (close() waits for the worker to finish). What a `kill -9` loses is what was not
 * decoded yet: at most MAX_UNDECODED bytes, and on a machine with CPU to spare, the last few milliseconds.
 *
 * Bounded: past MAX_UNDECODED bytes handed over and not yet decoded, `behind` is true and the capture holds its
 * clients (as it does when the store is behind) until the worker is below half of that.
 */
import type { WireChunkStream } from '../store/writer';
import type { DecodedCounts, WireStreamSpec } from '../store/wireDecoding';
import { ChunkPacker, CLIENT, END, SERVER, type Side } from './rawChunks';

const FLUSH_MS = 20;
const FLUSH_BYTES = 256 * 1024;
export const MAX_UNDECODED = 64 * 1024 * 1024;

/** Where the chunks go: the StoreWriter. */
export interface WireChunkSink {
  openWireStream(spec: WireStreamSpec, onDecoded: (decoded: DecodedCounts & { bytes: number }) => void): WireChunkStream;
}

export class DeferredDecoder {
  private readonly _stream: WireChunkStream;
  private readonly _packer = new ChunkPacker();
  private _timer: NodeJS.Timeout | undefined;
  private _undecoded = 0;
  private _waiters: Array<() => void> = [];
  private _closed: Promise<void> | undefined;

  constructor(sink: WireChunkSink, spec: WireStreamSpec, private readonly _nextSeq: () => number, private readonly _onDecoded: (counts: DecodedCounts) => void) {
    this._stream = sink.openWireStream(spec, (d) => this._decoded(d));
  }

  /** More bytes are waiting to be decoded than the bound allows: hold the clients. */
  get behind(): boolean {
    return this._undecoded + this._packer.bytes > MAX_UNDECODED;
  }

  whenCaughtUp(fn: () => void): void {
    if (!this.behind) fn();
    else this._waiters.push(fn);
  }

  client(connection: number, chunk: Buffer, at: number): void {
    this._push(connection, CLIENT, at, chunk);
  }

  server(connection: number, chunk: Buffer, at: number): void {
    this._push(connection, SERVER, at, chunk);
  }

  end(connection: number, at: number): void {
    this._push(connection, END, at, null);
  }

  /** Hands over what is left and waits until every call is decoded and stored. */
  close(): Promise<void> {
    this._closed ??= (async () => {
      this.flush();
      await this._stream.drain();
      this._undecoded = 0;
      this._release(true);
    })();
    return this._closed;
  }

  flush(): void {
    if (this._timer) clearTimeout(this._timer);
    this._timer = undefined;
    if (this._packer.empty) return;
    this._undecoded += this._packer.bytes;
    this._stream.send(this._packer.take());
  }

  private _push(connection: number, side: Side, at: number, chunk: Buffer | null): void {
    this._packer.push(connection, side, at, this._nextSeq(), chunk);
    if (this._packer.bytes >= FLUSH_BYTES) this.flush();
    else this._timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private _decoded(d: DecodedCounts & { bytes: number }): void {
    this._undecoded -= d.bytes;
    if (d.calls || d.failures) this._onDecoded(d);
    if (this._waiters.length) this._release(false);
  }

  private _release(force: boolean): void {
    // Resume below half the bound, so the clients are not held and let go on every transfer.
    if (!force && this._undecoded > MAX_UNDECODED / 2) return;
    const waiters = this._waiters;
    this._waiters = [];
    for (const fn of waiters) fn();
  }
}
