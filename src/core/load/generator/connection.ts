/**
 * One keep-alive HTTP/1.1 connection of the load generator: a raw `net` (or `tls`) socket that sends one prebuilt
 * request at a time and parses the response. A connection that fails is reopened on its next send; one that could
 * not connect (refused, TLS refused) waits a little first, so a target that is down is not hammered in a loop.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ErrorKind } from '../types';
import { ResponseParser } from './responseParser';
import { nowMs } from './clock';

/** What the generator does when a connection answers, fails or is free again. */
export interface ConnectionOwner {
  responded(conn: Connection, status: number, body: Buffer | null): void;
  /** `neverConnected`: the socket failed before it connected (refused, TLS verification…), with its error code. */
  failed(conn: Connection, kind: ErrorKind, neverConnected?: string): void;
  /** The connection can take a request (after a failure, and after a refused connect's pause). */
  available(conn: Connection): void;
  connected(): void;
  /** Bytes received over all connections. */
  bytesRead: number;
}

export interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
  insecure: boolean;
  servername?: string;
}

const CONNECT_FAILED_PAUSE_MS = 100;
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class Connection {
  busy = false;
  /**
   * The entry in flight, when it was meant to start and when it was written (nowMs() ms, taken just before the
   * write; on a socket still connecting, when it connects: the request goes out then, and its connect is not the
   * target's service time).
   */
  entry = 0;
  startedAt = 0;
  sentAt = 0;
  /** When the latest bytes arrived: a response ends at the read that completed it, taken before it is parsed. */
  readAt = 0;
  /** Closed model: close after the current response (the level went down). */
  retire = false;
  closed = false;
  private _socket: net.Socket | null = null;
  private _lastCode: string | undefined;
  private _connected = false;
  private _intended = Infinity;
  private _pause: NodeJS.Timeout | null = null;
  /** Set while feeding: the parser found more than the one response in flight (or bytes after it). */
  private _stray = false;
  private readonly _parser = new ResponseParser();
  private readonly _onResponse = (status: number, body: Buffer | null, close: boolean): void => this._responded(status, body, close);

  constructor(
    private readonly _endpoint: Endpoint,
    private readonly _owner: ConnectionOwner,
  ) {}

  /**
   * Writes a request. Its latency counts from `intended` (the open model's arrival time; Infinity in the closed
   * model), or from the write when that is earlier; its service time always from the write.
   */
  send(entry: number, request: Buffer, intended: number, bodiless: boolean, keepBody: boolean): void {
    this.busy = true;
    this.entry = entry;
    this._parser.bodiless = bodiless;
    this._parser.keepBody = keepBody;
    const socket = this._socket ?? this._open();
    this._intended = intended;
    this._sentNow();
    socket.write(request);
  }

  /** The request in flight is written now: its service time starts, its latency too unless its intended time was earlier. */
  private _sentNow(): void {
    const now = nowMs();
    this.sentAt = now;
    this.startedAt = this._intended < now ? this._intended : now;
  }

  /** The run ended with this request unanswered (the owner counts it): no longer in flight, the socket closed. */
  abandon(): void {
    this.busy = false;
    this._drop();
  }

  /** The request in flight took too long: counted as a timeout, and the socket replaced. */
  timeOut(): void {
    if (!this.busy) return;
    this._drop();
    this.busy = false;
    this._owner.failed(this, 'timeout');
    if (!this.closed) this._owner.available(this);
  }

  destroy(): void {
    this.closed = true;
    if (this._pause) clearTimeout(this._pause);
    this._pause = null;
    this._drop();
  }

  private _open(): net.Socket {
    const e = this._endpoint;
    const received = (chunk: Buffer, n: number): void => {
      if (socket !== this._socket) return;
      // Bytes with no request in flight (a 408 before an idle close, a second response to one request, bytes after
      // a body) answer nothing we sent: the connection is dropped, uncounted, and the next send opens another.
      if (!this.busy) {
        this._drop();
        return;
      }
      this.readAt = nowMs();
      this._owner.bytesRead += n;
      const ok = this._parser.feed(chunk, this._onResponse, n);
      if (this._stray) {
        this._stray = false;
        if (!this.busy) this._drop();
      } else if (!ok) this._fail('other');
    };
    // Plain TCP reads into one shared buffer (`onread`): no stream machinery and no allocation per read. The parser
    // copies what it keeps, since the buffer is reused by the next read.
    const socket = e.tls
      ? tls.connect({ host: e.host, port: e.port, servername: e.servername, rejectUnauthorized: !e.insecure, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: e.host, port: e.port, onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => (received(buf as Buffer, n), true) } });
    socket.setNoDelay(true);
    this._socket = socket;
    this._lastCode = undefined;
    this._connected = false;
    this._parser.reset();
    // Registered before any write: Node writes what waited for the connection right after this listener.
    socket.on(e.tls ? 'secureConnect' : 'connect', () => {
      if (socket !== this._socket) return;
      this._connected = true;
      if (this.busy) this._sentNow();
      this._owner.connected();
    });
    if (e.tls) socket.on('data', (chunk: Buffer) => received(chunk, chunk.length));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket === this._socket) this._lastCode = err.code ?? 'ERR';
    });
    socket.on('close', () => {
      if (socket !== this._socket) return;
      this._socket = null;
      const last = this._parser.end(); // a body that ran until the close
      if (last && this.busy) this._responded(last.status, last.body, last.close);
      else if (this.busy) this._fail(this._kind());
    });
    return socket;
  }

  private _kind(): ErrorKind {
    const code = this._lastCode;
    if (code === 'ECONNREFUSED') return 'refused';
    if (code === undefined || code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
    if (code === 'ETIMEDOUT') return 'timeout';
    return 'other';
  }

  private _responded(status: number, body: Buffer | null, close: boolean): void {
    if (!this.busy) {
      this._stray = true; // a response after the one we asked for, in the same read
      return;
    }
    this.busy = false;
    if (close || this.retire) this._drop();
    this._owner.responded(this, status, body);
  }

  private _fail(kind: ErrorKind): void {
    if (!this.busy) {
      this._drop();
      return;
    }
    const neverConnected = this._connected ? undefined : (this._lastCode ?? 'closed');
    this._drop();
    this.busy = false;
    this._owner.failed(this, kind, neverConnected);
    if (this.closed) return;
    if (neverConnected) {
      this._pause = setTimeout(() => {
        this._pause = null;
        if (!this.closed) this._owner.available(this);
      }, CONNECT_FAILED_PAUSE_MS);
    } else this._owner.available(this);
  }

  private _drop(): void {
    const s = this._socket;
    this._socket = null;
    this._parser.reset();
    s?.destroy();
  }
}
