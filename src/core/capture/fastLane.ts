import type * as net from 'node:net';
import type { ExchangeRecorder } from './exchangeRecorder';
import { SMALL_BODY, lastRelayedLength, requestHeadOf, responseHeaders, upstreamCause, type UpstreamRoute } from './forward';
import type { Parser, ParserClass, UpstreamConnection, UpstreamHandler, UpstreamPool } from './upstreamPool';

/**
 * The fast lane of a plain-HTTP reverse proxy: requests read straight off the client's socket by Node's own llhttp
 * binding (the parser http.Server uses, so the same requests are refused), forwarded over the lean upstream pool, and
 * answered by writing the response head ourselves. It skips what http.Server costs per request (IncomingMessage,
 * ServerResponse, their header checks and stream machinery): at 1,000 req/s on 2 cores, about 0.1 ms of the
 * 0.3–0.4 ms the proxy added to a request's p50 (bench/capture.mjs).
 *
 * Only the common request takes it: HTTP/1.x, origin-form target, no body or a small Content-Length one that has
 * arrived whole, no Upgrade, Expect or Transfer-Encoding, and no faults armed. At the first request that is anything
 * else (or that does not parse, or whose head has not arrived whole) the connection is handed to http.Server with the
 * bytes not yet served, and http.Server serves the rest of it exactly as before: a malformed request gets its 400,
 * a slow head its headers timeout, a WebSocket its upgrade.
 */

/** What the lane asks of the proxy it serves. */
export interface LaneHost {
  pool: UpstreamPool;
  route: UpstreamRoute;
  origin: string;
  timeoutMs: number;
  /** How long a new connection may take to send its first request (http.Server's headersTimeout). */
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** False while faults are armed or the proxy is down: requests then take the full path. */
  laneOpen(): boolean;
  /** The request counted, and its recorder when its path is recorded. */
  begin(socket: net.Socket, method: string, url: string, rawHeaders: string[], httpVersion: string): ExchangeRecorder | null;
  countError(): void;
  /** Serves the connection with http.Server from here on, `unread` first. */
  handOff(socket: net.Socket, unread: Buffer | null): void;
}

/** Methods the lane forwards; any other (CONNECT, TRACE, WebDAV…) takes the full path. */
const LANE_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Pipelined bytes held while a response is under way, before the socket stops reading. */
const MAX_HELD = 64 * 1024;
const NOT_LANE = -1;

/** The head llhttp read last (one parser serves every connection: a head is parsed whole, in one call). */
interface ParsedHead {
  method: string;
  url: string;
  headers: string[];
  http10: boolean;
  keepAlive: boolean;
  contentLength: number;
}

export class FastLane {
  /** Requests served by the lane (the rest went to http.Server). */
  served = 0;
  private readonly _parser: Parser;
  private readonly _P: ParserClass;
  private _head: ParsedHead | null = null;
  private _partial: string[] | null = null;
  /** The URL as reported before the head's end: llhttp hands it over with the fields once a head has 32 or more. */
  private _partialUrl = '';
  private readonly _open = new Set<LaneConnection>();
  private _closing = false;

  /**
   * A lane, or null when Node's parser does not behave as the lane relies on (the binding is internal to Node): it
   * must stop at the end of a head when told to, and report the head's method and framing.
   */
  static create(host: LaneHost, methods: string[]): FastLane | null {
    const lane = new FastLane(host, methods);
    const head = 'POST /probe HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n';
    try {
      const n = lane.parse(Buffer.from(`${head}okGET / HTTP/1.1\r\n`));
      const h = n === NOT_LANE ? null : lane.head;
      return n === head.length && h?.method === 'POST' && h.url === '/probe' && h.contentLength === 2 && h.keepAlive ? lane : null;
    } catch {
      return null;
    }
  }

  private constructor(readonly host: LaneHost, methods: string[]) {
    const P = (this._P = host.pool.parser);
    const parser = (this._parser = new P());
    parser[P.kOnHeaders] = (headers: string[], url: string) => {
      (this._partial ??= []).push(...headers);
      this._partialUrl += url;
    };
    parser[P.kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, _s: unknown, _m: unknown, upgrade: boolean, keepAlive: boolean): number => {
      if (headers === undefined) headers = this._partial ?? [];
      if (url === undefined) url = this._partialUrl;
      this._partial = null;
      this._partialUrl = '';
      this._head = upgrade || major !== 1 ? null : laneHead(methods[method], url, headers, minor === 0, keepAlive);
      return 2; // stop at the end of the head: llhttp returns how many bytes it was (its upgrade exit)
    };
    parser[P.kOnBody] = () => undefined;
    parser[P.kOnMessageComplete] = () => undefined;
  }

  serve(socket: net.Socket): void {
    this._open.add(new LaneConnection(this, socket));
  }

  /** The proxy is closing: idle connections end now, busy ones after their response. */
  close(): void {
    this._closing = true;
    for (const c of this._open) c.closeIdle();
  }

  get closing(): boolean {
    return this._closing;
  }

  /** @internal */
  _closed(c: LaneConnection): void {
    this._open.delete(c);
  }

  /**
   * Parses the head at the start of `buf`: its length when the request can take the lane (its fields in `head`),
   * NOT_LANE otherwise (incomplete, malformed, or not a lane request).
   */
  parse(buf: Buffer): number {
    const P = this._P;
    this._head = null;
    this._partial = null;
    this._partialUrl = '';
    try {
      this._parser.initialize(P.REQUEST, {}, 0, 0);
      const n = this._parser.execute(buf);
      if (typeof n !== 'number' || this._head === null) return NOT_LANE;
      return n;
    } catch {
      return NOT_LANE; // anything the lane did not foresee is http.Server's to answer, never a crash
    }
  }

  get head(): ParsedHead {
    return this._head!;
  }
}

/** A head's fields when it can take the lane, else null. */
function laneHead(method: string, url: string, headers: string[], http10: boolean, keepAlive: boolean): ParsedHead | null {
  if (!LANE_METHODS.has(method) || url.charCodeAt(0) !== 47 /* / */) return null;
  let contentLength = 0;
  let host = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const n = name.length;
    if (n !== 4 && n !== 6 && n !== 7 && n !== 14 && n !== 17) continue;
    const lower = name.toLowerCase();
    if (lower === 'host') host = true;
    else if (lower === 'expect' || lower === 'upgrade' || lower === 'transfer-encoding') return null;
    else if (lower === 'content-length') contentLength = Number(headers[i + 1]); // llhttp checked it is one number
  }
  // HTTP/1.1 without Host: http.Server's 400 (requireHostHeader).
  if (!host && !http10) return null;
  return { method, url, headers, http10, keepAlive, contentLength };
}

/** `Date` as http.Server writes it, made once a second. */
let dateSecond = 0;
let dateValue = '';
function utcDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

function hasHeader(headers: string[], lowerName: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i].length === lowerName.length && headers[i].toLowerCase() === lowerName) return true;
  return false;
}

/** One client connection on the lane: one request upstream at a time, pipelined ones held until it is answered. */
class LaneConnection implements UpstreamHandler {
  private _held: Buffer | null = null;
  private _busy = false;
  private _upstream: UpstreamConnection | null = null;
  private _rec: ExchangeRecorder | null = null;
  private _isHead = false;
  private _keepAlive = false;
  private _http10 = false;
  /** The response: its head (written with the body when that is small), how its body is framed. */
  private _responseHead: string | null = null;
  private _small = false;
  private _chunked = false;
  /** The upstream's response began: a failure from here on cuts the client (its status is on its way). */
  private _responding = false;
  private _served = false;
  private _first: Buffer | null = null;
  private _more: Buffer[] | null = null;
  private _waitingDrain = false;
  private readonly _remoteAddress: string;
  private readonly _onData = (chunk: Buffer): void => this._received(chunk);
  private readonly _onTimeout = (): void => {
    if (!this._busy) this._socket.destroy();
  };
  private readonly _onClose = (): void => this._clientClosed();
  private _handedOff = false;
  /**
   * The client ended its side. As http.Server does (httpAllowHalfOpen is off), a request still upstream is given up
   * and recorded as the client's close, requests held behind it are dropped, and the connection ends.
   */
  private readonly _onEnd = (): void => {
    this._held = null;
    this._abandon();
    this._socket.end();
  };

  constructor(private readonly _lane: FastLane, private readonly _socket: net.Socket) {
    this._remoteAddress = _socket.remoteAddress ?? '';
    _socket.on('data', this._onData);
    _socket.on('close', this._onClose);
    _socket.on('end', this._onEnd);
    _socket.on('error', ignore);
    // Until its first request the connection has the headers timeout (nginx's client_header_timeout: a client that
    // opens a connection and sends nothing is let go quietly), then the keep-alive one. A head that has begun is
    // http.Server's (a partial head is handed over), which answers 408 at the same timeout.
    _socket.setTimeout(_lane.host.headersTimeoutMs, this._onTimeout);
  }

  closeIdle(): void {
    if (!this._busy) this._socket.destroy();
  }

  private _received(chunk: Buffer): void {
    const held = this._held;
    this._held = held === null ? chunk : Buffer.concat([held, chunk]);
    if (this._busy) {
      if (this._held.length > MAX_HELD) this._socket.pause();
      return;
    }
    this._serveHeld();
  }

  /** Serves the held requests in order until one is upstream (or none is left, or one leaves the lane). */
  private _serveHeld(): void {
    const lane = this._lane;
    while (!this._busy && this._held !== null) {
      const buf = this._held;
      const headLength = lane.host.laneOpen() ? lane.parse(buf) : NOT_LANE;
      const head = headLength === NOT_LANE ? null : lane.head;
      if (head === null || head.contentLength > SMALL_BODY || buf.length < headLength + head.contentLength) {
        this._handOff();
        return;
      }
      const end = headLength + head.contentLength;
      this._held = end < buf.length ? buf.subarray(end) : null;
      this._forward(head, head.contentLength > 0 ? buf.subarray(headLength, end) : null);
    }
    if (this._socket.isPaused()) this._socket.resume();
  }

  private _handOff(): void {
    this._handedOff = true;
    const s = this._socket;
    s.off('data', this._onData);
    s.off('close', this._onClose);
    s.off('end', this._onEnd);
    s.off('error', ignore);
    s.setTimeout(0);
    s.removeListener('timeout', this._onTimeout);
    this._lane._closed(this);
    const unread = this._held;
    this._held = null;
    this._lane.host.handOff(s, unread);
  }

  private _forward(head: ParsedHead, body: Buffer | null): void {
    const host = this._lane.host;
    this._lane.served++;
    if (!this._served) {
      this._served = true;
      this._socket.setTimeout(host.keepAliveTimeoutMs);
    }
    this._busy = true;
    this._isHead = head.method === 'HEAD';
    this._keepAlive = head.keepAlive && !this._lane.closing;
    this._http10 = head.http10;
    this._responseHead = null;
    this._responding = false;
    this._first = null;
    this._more = null;
    const rec = (this._rec = host.begin(this._socket, head.method, head.url, head.headers, head.http10 ? '1.0' : '1.1'));
    const route = host.route;
    // (Never null here: the lane takes no Transfer-Encoding.)
    const upstreamHead = requestHeadOf(head.method, head.url, head.headers, this._remoteAddress, route.host, true)!;
    const up = (this._upstream = host.pool.request(route.poolKey, route.hostname, route.port, null, upstreamHead, this._isHead, body !== null, host.timeoutMs, this));
    if (body !== null) {
      rec?.request.push(body);
      up.writeBody(this, body);
      up.requestSent(this);
    }
  }

  onResponse(status: number, statusMessage: string, rawHeaders: string[]): void {
    this._rec?.responseStarted(status, rawHeaders);
    this._responding = true;
    if (this._socket.destroyed) {
      this._upstream?.abort(this);
      return;
    }
    const headers = responseHeaders(rawHeaders);
    const length = lastRelayedLength();
    const noBody = this._isHead || status === 204 || status === 304;
    let head = `HTTP/1.1 ${status} ${statusMessage}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    if (!hasHeader(headers, 'date')) head += `Date: ${utcDate()}\r\n`;
    this._chunked = false;
    this._small = noBody || (length >= 0 && length <= SMALL_BODY);
    // No length: chunked to an HTTP/1.1 client; to an HTTP/1.0 one the body ends with the connection.
    if (!noBody && length < 0) {
      if (this._http10) this._keepAlive = false;
      else this._chunked = true;
    }
    // In http.Server's order: Connection and Keep-Alive, then the framing.
    head += this._keepAlive ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this._lane.host.keepAliveTimeoutMs / 1000)}\r\n` : 'Connection: close\r\n';
    head += this._chunked ? 'Transfer-Encoding: chunked\r\n\r\n' : '\r\n';
    if (this._small) {
      this._responseHead = head; // written with the body, in one write
      return;
    }
    this._socket.write(head, 'latin1');
  }

  onBody(chunk: Buffer): void {
    this._rec?.response.push(chunk);
    if (this._small) {
      if (this._first === null) this._first = chunk;
      else (this._more ??= [this._first]).push(chunk);
      return;
    }
    const s = this._socket;
    if (s.destroyed) return;
    let ok: boolean;
    if (this._chunked) {
      s.cork();
      s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      ok = s.write('\r\n', 'latin1');
      s.uncork();
    } else ok = s.write(chunk);
    if (!ok && !this._waitingDrain && this._upstream !== null) {
      const up = this._upstream;
      this._waitingDrain = true;
      up.pause();
      s.once('drain', () => {
        this._waitingDrain = false;
        up.resume();
      });
    }
  }

  onEnd(): void {
    const rec = this._rec;
    rec?.responseEnded();
    const s = this._socket;
    if (s.destroyed) return; // the close handler recorded it
    if (this._responseHead !== null) {
      const body = this._first === null ? null : this._more === null ? this._first : Buffer.concat(this._more);
      if (body === null) s.write(this._responseHead, 'latin1');
      else {
        s.cork();
        s.write(this._responseHead, 'latin1');
        s.write(body);
        s.uncork();
      }
    } else if (this._chunked) s.write('0\r\n\r\n', 'latin1');
    rec?.finish(null);
    this._done();
  }

  onError(err: Error, timedOut: boolean): void {
    const s = this._socket;
    if (s.destroyed) return; // the client left first: the close handler recorded it
    const status = timedOut ? 504 : 502;
    const cause = upstreamCause(err, timedOut);
    this._lane.host.countError();
    this._rec?.fail(cause, status);
    if (this._responding) {
      s.destroy();
      return;
    }
    const text = Buffer.from(`chaos-testing: ${this._lane.host.origin} ${cause}\n`);
    const connection = this._keepAlive ? 'keep-alive' : 'close';
    s.cork();
    s.write(`HTTP/1.1 ${status} ${status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\r\ncontent-type: text/plain; charset=utf-8\r\nContent-Length: ${text.length}\r\nDate: ${utcDate()}\r\nConnection: ${connection}\r\n\r\n`, 'latin1');
    s.write(text);
    s.uncork();
    this._done();
  }

  /** The response is out: the next held request, or the end of a connection that is not kept. */
  private _done(): void {
    this._busy = false;
    this._upstream = null;
    this._rec = null;
    this._first = null;
    this._more = null;
    if (!this._keepAlive || this._lane.closing) {
      this._socket.end();
      return;
    }
    this._serveHeld();
  }

  private _clientClosed(): void {
    this._lane._closed(this);
    this._abandon();
  }

  /** The client left while a request was upstream: the upstream request is aborted, the exchange recorded so. */
  private _abandon(): void {
    if (!this._busy) return;
    this._busy = false;
    this._upstream?.abort(this);
    const rec = this._rec;
    if (rec && !rec.finished) rec.finish('client closed the connection before the response completed');
  }
}

function ignore(): void {
  // Socket errors end in 'close', which is handled.
}
