import type * as http from 'node:http';
import { BodyTap } from './bodyTap';
import { EMPTY_BODY, type CapturedExchange, type CapturedMessage, type Protocol } from './types';

export interface ExchangeStart {
  seq: number;
  protocol: Protocol;
  connectionId: number;
  method: string;
  url: string;
  /** Flat [name, value, name, value, ...] as the client sent them. */
  requestHeaders: string[];
  /** The client's HTTP version as node reports it ('1.1', '2.0'). */
  httpVersion: string;
}

/**
 * One exchange being recorded: collects the request and response as they stream and hands one plain object to
 * `emit` when done. Every field is set in the constructor so V8 keeps one hidden class for all recorders; the
 * emitted object is built as a literal with a fixed shape (no spreads: they cost more than the rest together).
 */
export class ExchangeRecorder {
  /** Made on the first request body chunk: most requests have no body. */
  private _request: BodyTap | null = null;
  readonly response: BodyTap;
  private readonly _startedAt: number;
  private readonly _t0: number;
  private _ttfb: number | null = null;
  private _endAt: number | null = null;
  private _status: number | null = null;
  private _responseHeaders: string[] | null = null;
  private _error: string | null = null;
  responded = false;
  finished = false;
  /** Which faults hit this exchange (`faults: name (type), ...`); stored after the error, if any. */
  faults: string | null = null;
  /** What the proxy spoke upstream: set to '2' by the HTTP/2 upstream path. */
  upstreamHttpVersion = '1.1';

  constructor(
    private readonly _start: ExchangeStart,
    private readonly _cap: number,
    private readonly _emit: (ex: CapturedExchange) => void,
    private readonly _emitMessage: (m: CapturedMessage) => void = () => undefined,
  ) {
    this.response = new BodyTap(_cap);
    this._t0 = performance.now();
    // epochNow()'s clock (clock.ts): the wire listeners' calls are compared with this window when linking.
    this._startedAt = performance.timeOrigin + this._t0;
  }

  /** The request body's tap. */
  get request(): BodyTap {
    return (this._request ??= new BodyTap(this._cap));
  }

  /** Response headers arrived; the body (if the status has one) streams through `response`. */
  responseStarted(status: number, rawHeaders: string[]): void {
    this.responded = true;
    this._ttfb = performance.now() - this._t0;
    this._status = status;
    this._responseHeaders = rawHeaders;
  }

  responseEnded(): void {
    this._endAt = performance.now();
  }

  /** A WebSocket handshake completed: the exchange is stored now; its messages follow as they pass. */
  upgraded(proxyRes: http.IncomingMessage): void {
    this.responseStarted(proxyRes.statusCode ?? 101, proxyRes.rawHeaders);
    this.responseEnded();
    this.finish(null);
  }

  message(m: Omit<CapturedMessage, 'exchangeSeq'>): void {
    this._emitMessage({ exchangeSeq: this._start.seq, direction: m.direction, at: m.at, opcode: m.opcode, size: m.size, data: m.data, truncated: m.truncated });
  }

  fail(error: string, status: number): void {
    this._error = error;
    if (this._status === null) this._status = status;
    this.finish(error);
  }

  finish(error: string | null): void {
    if (this.finished) return;
    this.finished = true;
    const s = this._start;
    this._emit({
      seq: s.seq,
      protocol: s.protocol,
      connectionId: s.connectionId,
      startedAt: this._startedAt,
      ttfbMs: this._ttfb,
      durationMs: (this._endAt ?? performance.now()) - this._t0,
      method: s.method,
      url: s.url,
      status: this._status,
      requestHeaders: s.requestHeaders,
      responseHeaders: this._responseHeaders,
      requestBody: this._request === null ? EMPTY_BODY : this._request.finish(),
      responseBody: this.response.finish(),
      error: this.faults === null ? this._error ?? error : withNote(this._error ?? error, this.faults),
      httpVersion: s.httpVersion === '2.0' ? '2' : s.httpVersion,
      upstreamHttpVersion: this.upstreamHttpVersion,
    });
  }
}

function withNote(error: string | null, note: string): string {
  return error === null ? note : `${error}; ${note}`;
}
