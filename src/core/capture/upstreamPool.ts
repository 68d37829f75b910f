import * as net from 'node:net';
import * as tls from 'node:tls';

/**
 * A lean HTTP/1.1 client for plain-http upstreams (requests without a body or with a Content-Length one): a pool of keep-alive sockets per host:port, the request head
 * written by the caller as one string, responses parsed by Node's own llhttp binding (the parser http.request
 * uses), body bytes handed on as they arrive. It skips what http.request costs per request (ClientRequest,
 * IncomingMessage, the agent's bookkeeping, a stream pipe) and keeps its semantics where they show: idle sockets
 * unref'd (see the constructor) and dropped before the server's Keep-Alive timeout, a socket reused only after a complete response the
 * server allows to be kept, errors and timeouts reported once per request.
 *
 * The binding is internal to Node (`_http_common`); `loadParser` checks it works and the caller falls back to
 * http.request when it does not.
 */

export interface Parser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  execute(data: Buffer): number | Error;
  finish(): Error | undefined;
  close?(): void;
  [callback: number]: unknown;
}

export interface ParserClass {
  new (): Parser;
  RESPONSE: number;
  REQUEST: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}

/** What one request on an upstream connection hears back. Exactly one of onEnd / onError ends it. */
export interface UpstreamHandler {
  /** The final (non-1xx) response head. */
  onResponse(status: number, statusMessage: string, rawHeaders: string[]): void;
  onBody(chunk: Buffer): void;
  onEnd(): void;
  onError(err: Error, timedOut: boolean): void;
}

/** Same margin as Node's agent: stop reusing an idle socket this long before the server's announced timeout. */
const KEEP_ALIVE_MARGIN_MS = 1000;
const MAX_IDLE_PER_HOST = 1024;

/** TLS to the upstream (intercepted requests): one context for every connection, verified unless told not to. */
export interface UpstreamTls {
  secureContext: tls.SecureContext;
  rejectUnauthorized: boolean;
}

let parserClass: ParserClass | null | undefined;
/** The binding's method names, by the index it reports a request's method with (not http.METHODS' sorted order). */
let parserMethods: string[] | null = null;

/** The method names of the parser loadParser() returned, when it has them. */
export function loadParserMethods(): string[] | null {
  return loadParser() === null ? null : parserMethods;
}

/** Node's HTTP parser binding if it is there and parses a response as expected; null otherwise (or when disabled). */
export function loadParser(): ParserClass | null {
  if (parserClass !== undefined) return parserClass;
  parserClass = null;
  if (process.env.CHAOS_TESTING_HTTP_CLIENT === 'node') return null;
  try {
    const P = (require('_http_common') as { HTTPParser?: ParserClass }).HTTPParser;
    if (typeof P !== 'function' || typeof P.prototype.execute !== 'function' || typeof P.prototype.initialize !== 'function') return null;
    if (![P.RESPONSE, P.kOnHeaders, P.kOnHeadersComplete, P.kOnBody, P.kOnMessageComplete].every((k) => typeof k === 'number')) return null;
    const p = new P();
    p.initialize(P.RESPONSE, {}, 0, 0);
    const seen: unknown[] = [];
    p[P.kOnHeaders] = () => undefined;
    p[P.kOnHeadersComplete] = (_ma: number, _mi: number, headers: string[], _m: unknown, _u: unknown, status: number, message: string, _up: boolean, keepAlive: boolean) => {
      seen.push(status, message, headers.join(','), keepAlive);
      return 0;
    };
    p[P.kOnBody] = (b: Buffer) => seen.push(Buffer.isBuffer(b) ? b.toString('latin1') : null);
    p[P.kOnMessageComplete] = () => seen.push('end');
    const sample = Buffer.from('HTTP/1.1 201 Made\r\nContent-Length: 2\r\nX-A: b\r\n\r\nok');
    const n = p.execute(sample);
    p.close?.();
    if (n === sample.length && seen.join('|') === '201|Made|Content-Length,2,X-A,b|true|ok|end') {
      parserClass = P;
      parserMethods = (require('_http_common') as { methods?: string[] }).methods ?? null;
    }
  } catch {
    parserClass = null;
  }
  return parserClass;
}

/** The pool's key for an upstream: plain and TLS connections to the same host:port are kept apart. */
export function poolKey(host: string, port: number, secure: boolean): string {
  return secure ? `tls:${host}:${port}` : `${host}:${port}`;
}

export class UpstreamPool {
  private readonly _idle = new Map<string, UpstreamConnection[]>();
  private readonly _all = new Set<UpstreamConnection>();
  private _closed = false;

  constructor(readonly parser: ParserClass) {}

  /**
   * Sends `head` (a complete request head; a body, if any, follows through `writeBody`) on an idle connection to host:port (over TLS when `secure`) or a new one, and reports
   * the response to `handler`. `key` is poolKey(host, port, secure), which the caller makes once per upstream. Returns the connection, for `abort`.
   */
  request(key: string, host: string, port: number, secure: UpstreamTls | null, head: string, isHead: boolean, hasBody: boolean, timeoutMs: number, handler: UpstreamHandler): UpstreamConnection {
    const conn = this._takeIdle(key) ?? new UpstreamConnection(this, key, host, port, secure);
    conn.send(head, isHead, hasBody, timeoutMs, handler);
    return conn;
  }

  /** An idle connection still open: one destroyed (stray bytes, its idle timer) stays listed until its 'close'. */
  private _takeIdle(key: string): UpstreamConnection | undefined {
    const list = this._idle.get(key);
    let conn = list?.pop();
    while (conn && conn.socket.destroyed) conn = list!.pop();
    return conn;
  }

  /** @internal a connection that finished a response and may be kept. */
  _release(conn: UpstreamConnection): void {
    if (this._closed) {
      conn.socket.destroy();
      return;
    }
    let list = this._idle.get(conn.key);
    if (!list) this._idle.set(conn.key, (list = []));
    if (list.length >= MAX_IDLE_PER_HOST) conn.socket.destroy();
    else list.push(conn);
  }

  /** @internal */
  _opened(conn: UpstreamConnection): void {
    this._all.add(conn);
  }

  /** @internal a connection that closed (idle or not). */
  _closedConn(conn: UpstreamConnection): void {
    this._all.delete(conn);
    const list = this._idle.get(conn.key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) this._idle.delete(conn.key);
  }

  get openConnections(): number {
    return this._all.size;
  }

  destroy(): void {
    this._closed = true;
    for (const c of this._all) c.socket.destroy();
    this._idle.clear();
  }
}

/** One upstream socket and its parser; serves one request at a time. */
export class UpstreamConnection {
  readonly socket: net.Socket;
  private readonly _parser: Parser;
  private _handler: UpstreamHandler | null = null;
  private _partialHeaders: string[] | null = null;
  private _isHead = false;
  private _informational = false;
  private _keepAlive = false;
  /** Idle timeout from the server's Keep-Alive hint (ms, 0 = none; -1 = do not reuse). */
  private _idleMs = 0;
  private _timedOut = false;
  private _timeoutMs = 0;
  /** Bytes arrived outside a request (or a response to a request we did not send): the socket is not reused. */
  private _stray = false;
  /** The whole request (head and body) was written: only then may the socket serve another request. */
  private _requestComplete = true;

  constructor(private readonly _pool: UpstreamPool, readonly key: string, host: string, port: number, secure: UpstreamTls | null) {
    const P = _pool.parser;
    // Writes made before the TLS handshake completes are held by the socket until it has.
    this.socket = secure === null
      ? net.connect({ host, port, noDelay: true })
      // (noDelay is passed on to the TCP connect; the typings do not list it.)
      : tls.connect({ host, port, noDelay: true, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], ...secure } as tls.ConnectionOptions);
    const parser = new P();
    parser.initialize(P.RESPONSE, this, 0, 0);
    parser[P.kOnHeaders] = (headers: string[]) => {
      (this._partialHeaders ??= []).push(...headers);
    };
    parser[P.kOnHeadersComplete] = (
      _major: number, _minor: number, headers: string[] | undefined, _method: unknown, _url: unknown,
      status: number, statusMessage: string, _upgrade: boolean, keepAlive: boolean,
    ): number => this._onHeadersComplete(headers, status, statusMessage, keepAlive);
    parser[P.kOnBody] = (chunk: Buffer) => {
      if (this._handler && !this._informational) this._handler.onBody(chunk);
    };
    parser[P.kOnMessageComplete] = () => this._onMessageComplete();
    this._parser = parser;
    // Never keeps the process alive by itself: a request in flight has its client's socket, which does.
    this.socket.unref();
    this.socket.on('data', (chunk: Buffer) => this._onData(chunk));
    this.socket.on('end', () => this._onEnd());
    this.socket.on('error', (err) => this._fail(err, false));
    this.socket.on('timeout', () => this._onTimeout());
    this.socket.on('close', () => this._onClose());
    _pool._opened(this);
  }

  send(head: string, isHead: boolean, hasBody: boolean, timeoutMs: number, handler: UpstreamHandler): void {
    this._handler = handler;
    this._requestComplete = !hasBody;
    this._isHead = isHead;
    this._informational = false;
    this._keepAlive = false;
    this._timedOut = false;
    this._idleMs = 0;
    // Without a request timeout the idle timer stays armed (a timeout while busy is then ignored, see _onTimeout):
    // re-arming a timer twice per request costs more than the rest of the pool's bookkeeping.
    if (timeoutMs > 0 && this.socket.timeout !== timeoutMs) this.socket.setTimeout(timeoutMs);
    this._timeoutMs = timeoutMs;
    this.socket.write(head, 'latin1');
  }

  /** Writes request body bytes; false when the caller should wait for the socket's 'drain'. */
  writeBody(handler: UpstreamHandler, chunk: Buffer): boolean {
    if (this._handler !== handler || this.socket.destroyed) return true; // answered or failed already: drop
    return this.socket.write(chunk);
  }

  requestSent(handler: UpstreamHandler): void {
    if (this._handler === handler) this._requestComplete = true;
  }

  /** The client went away: give up on this request (only if it is still the one this connection serves). */
  abort(handler: UpstreamHandler): void {
    if (this._handler !== handler) return;
    this._handler = null;
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  private _onData(chunk: Buffer): void {
    if (!this._handler) {
      // Nothing was asked: bytes from an idle upstream mean the connection cannot be trusted for the next request.
      this.socket.destroy();
      return;
    }
    const r = this._parser.execute(chunk);
    if (r instanceof Error) this._fail(r, false);
    else if (this._stray) this.socket.destroy();
  }

  private _onHeadersComplete(headers: string[] | undefined, status: number, statusMessage: string, keepAlive: boolean): number {
    if (headers === undefined) {
      headers = this._partialHeaders ?? [];
      this._partialHeaders = null;
    }
    const h = this._handler;
    if (!h) {
      this._stray = true;
      return 1;
    }
    if (status === 101) {
      // Switching protocols on a request that asked for no upgrade (upgrades go through http-proxy): → 502.
      this._fail(unaskedUpgrade(), false);
      return 1;
    }
    if (status >= 100 && status < 200) {
      // 100 Continue, 103 Early Hints: not the answer; llhttp reads the next head after it.
      this._informational = true;
      return 1;
    }
    this._keepAlive = keepAlive;
    this._idleMs = keepAliveHint(headers);
    h.onResponse(status, statusMessage, headers);
    return this._isHead ? 1 : 0;
  }

  private _onMessageComplete(): void {
    if (this._informational) {
      this._informational = false;
      return;
    }
    // Fields still gathered are the chunked body's trailers (llhttp reports them through kOnHeaders): dropped here,
    // or they would open the next response's headers.
    this._partialHeaders = null;
    const h = this._handler;
    if (!h) {
      this._stray = true;
      return;
    }
    this._handler = null;
    // A response that came before the request body was all sent leaves the socket mid-request: not reusable.
    const keep = this._keepAlive && this._requestComplete && this._idleMs >= 0 && !this.socket.destroyed && this.socket.writable;
    h.onEnd();
    if (!keep) {
      this.socket.destroy();
      return;
    }
    if (this.socket.timeout !== this._idleMs) this.socket.setTimeout(this._idleMs);
    if (this.socket.isPaused()) this.socket.resume();
    this._pool._release(this);
  }

  private _onEnd(): void {
    if (!this._handler) return; // an idle socket the server closed: 'close' follows (allowHalfOpen is off)
    // A response delimited by the end of the connection completes here; anything else was cut short.
    this._parser.finish();
    if (this._handler) this._fail(hangUp(), false);
  }

  private _onTimeout(): void {
    if (!this._handler) {
      this.socket.destroy(); // idle past the server's hint
      return;
    }
    if (this._timeoutMs === 0) return; // the idle timer, still armed during a request that has no timeout
    this._timedOut = true;
    this._fail(new Error(`no answer within ${this._timeoutMs} ms`), true);
  }

  private _onClose(): void {
    this._pool._closedConn(this);
    this._parser.close?.();
    if (this._handler) this._fail(hangUp(), false);
  }

  private _fail(err: Error, timedOut: boolean): void {
    const h = this._handler;
    this._handler = null;
    this.socket.destroy();
    h?.onError(err, timedOut || this._timedOut);
  }
}

export function unaskedUpgrade(): Error {
  return new Error('the upstream switched protocols (101) on a request that asked for no upgrade');
}

function hangUp(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** Idle timeout to use from a `Keep-Alive: timeout=N` response header, as Node's agent does: N s minus 1 s. */
function keepAliveHint(raw: string[]): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
    const value = raw[i + 1];
    // An upstream says the same thing on every response: parse it once.
    if (value === lastHint.value) return lastHint.ms;
    const m = /^timeout=(\d+)/.exec(value);
    const left = m ? Number(m[1]) * 1000 - KEEP_ALIVE_MARGIN_MS : 0;
    const ms = !m ? 0 : left > 0 ? left : -1;
    lastHint = { value, ms };
    return ms;
  }
  return 0;
}

let lastHint = { value: '', ms: 0 };
