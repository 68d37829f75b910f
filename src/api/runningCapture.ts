/**
 * The object every {@link Capture} call returns: one running capture (an HTTP proxy, or several listeners of any
 * protocol) with its store, its optional fault API, progress and stop. The CLI's `observe` prints from the same one.
 */
import { EventEmitter } from 'node:events';
import type { CaptureStats, CaptureSummary } from '../core/capture/captureSession';
import type { ListenerStats } from '../core/capture/captureRun';
import type { FaultApi } from '../core/faults/api';

/** A protocol a capture listener speaks. */
export type CaptureProtocol = 'http' | 'postgres' | 'mysql' | 'redis' | 'kafka' | 'grpc';

/** One listener of a running capture. */
export interface CaptureListenerInfo {
  /** Its name in the fault API and the stats (default: the protocol). */
  name: string;
  protocol: CaptureProtocol;
  /** The address it listens on, as bound. */
  host: string;
  /** The port it listens on (the real one when 0 was asked). */
  port: number;
  /** HOST:PORT (IPv6 in brackets). */
  listen: string;
  /** The backend URL (http) or HOST:PORT (wire); 'forward' for a forward proxy. */
  target: string;
}

/** Counts of a running capture: the totals and each listener's. */
export interface CaptureProgress extends CaptureStats {
  listeners: ListenerStats[];
  /** Milliseconds since the capture started. */
  elapsedMs: number;
}

/** What a running capture is made of: the parts {@link Capture} started. */
export interface CaptureParts {
  mode: 'reverse' | 'forward';
  listeners: CaptureListenerInfo[];
  file: string;
  sessionId: number;
  tls?: { source: string };
  store: EventEmitter;
  interceptErrors?: EventEmitter;
  totals(): CaptureStats;
  perListener(): ListenerStats[];
  faultApi?: { api: FaultApi; host: string; port: number };
  stop(): Promise<CaptureSummary>;
}

/** A running capture: where it listens, its counts, its events ({@link RunningCapture.on}) and stop. */
export class RunningCapture {
  /** Where clients send requests: http(s)://HOST:PORT of the first listener (HOST:PORT for a wire protocol). */
  readonly url: string;
  /** HOST:PORT of the first listener. */
  readonly address: string;
  /** The port of the first listener. */
  readonly port: number;
  readonly mode: 'reverse' | 'forward';
  readonly listeners: readonly CaptureListenerInfo[];
  /** The database file (absolute). */
  readonly file: string;
  /** The capture session the exchanges are stored under. */
  readonly sessionId: number;
  /** The certificate an HTTPS listener serves (where it came from). */
  readonly tls?: { source: string };
  /** The fault API serving this capture's listeners, when `faultApi` was given. */
  readonly faultApi?: { host: string; port: number; url: string };
  private readonly _events = new EventEmitter();
  private readonly _t0 = Date.now();
  private _stopping: Promise<CaptureSummary> | undefined;
  private readonly _ticker: NodeJS.Timeout | undefined;
  private readonly _onAbort: (() => void) | undefined;
  private readonly _signal: AbortSignal | undefined;

  /** @internal Made by {@link Capture.start}. */
  constructor(
    private readonly _parts: CaptureParts,
    options: { signal?: AbortSignal; onProgress?: (p: CaptureProgress) => void; progressIntervalMs?: number } = {},
  ) {
    const first = _parts.listeners[0];
    this.mode = _parts.mode;
    this.listeners = _parts.listeners;
    this.address = first.listen;
    this.port = first.port;
    this.url = first.protocol === 'http' ? `${_parts.tls ? 'https' : 'http'}://${first.listen}` : first.listen;
    this.file = _parts.file;
    this.sessionId = _parts.sessionId;
    if (_parts.tls) this.tls = _parts.tls;
    if (_parts.faultApi) {
      const { host, port } = _parts.faultApi;
      this.faultApi = { host, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
    }
    _parts.store.on('error', (e: Error) => this._events.emit('storeError', e));
    _parts.interceptErrors?.on('interceptError', (m: string) => this._events.emit('interceptError', m));
    const { onProgress, signal } = options;
    if (onProgress) this._ticker = setInterval(() => onProgress(this.stats()), options.progressIntervalMs ?? 1000).unref();
    if (signal) {
      this._onAbort = () => void this.stop().catch(() => undefined);
      signal.addEventListener('abort', this._onAbort, { once: true });
      if (signal.aborted) this._onAbort();
    }
    this._signal = signal;
  }

  /** The store failed: exchanges are no longer recorded; call stop(). */
  on(event: 'storeError', listener: (error: Error) => void): this;
  /** Forward mode with interceptTls: a TLS handshake that could not be intercepted (host:port: cause). */
  on(event: 'interceptError', listener: (message: string) => void): this;
  on(event: 'storeError' | 'interceptError', listener: ((error: Error) => void) | ((message: string) => void)): this {
    this._events.on(event, listener);
    return this;
  }

  /** Requests (or calls) seen, exchanges recorded and stored, dropped and failed so far, in total and per listener. */
  stats(): CaptureProgress {
    return { ...this._parts.totals(), listeners: this._parts.perListener(), elapsedMs: Date.now() - this._t0 };
  }

  /** Requests seen so far. */
  get requests(): number {
    return this._parts.totals().requests;
  }

  /** Exchanges written to the store so far. */
  get stored(): number {
    return this._parts.totals().stored;
  }

  /**
   * Stops accepting, lets in-flight exchanges finish, closes the fault API, flushes and closes the file.
   * Idempotent: after the signal fired, it returns the summary of that stop.
   */
  stop(): Promise<CaptureSummary> {
    this._stopping ??= (async () => {
      if (this._ticker) clearInterval(this._ticker);
      if (this._onAbort) this._signal?.removeEventListener('abort', this._onAbort);
      await this._parts.faultApi?.api.close();
      return this._parts.stop();
    })();
    return this._stopping;
  }
}
