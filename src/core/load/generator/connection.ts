/**
 * One keep-alive HTTP/1.1 connection of the load generator: a raw `net` (or `tls`) socket that sends one prebuilt
 * request at a time and parses the response. A connection that fails is reopened on its next send; one refused
 * waits a little first (so a target that is down is not hammered in a tight loop).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ErrorKind } from '../types';
import { ResponseParser, type ParsedResponse } from './responseParser';

/** What the generator does when a connection answers, fails or is free again. */
export interface ConnectionOwner {
  responded(conn: Connection, status: number, body: Buffer | null): void;
  failed(conn: Connection, kind: ErrorKind): void;
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

const REFUSED_PAUSE_MS = 100;

export class Connection {
  busy = false;
  /** The entry in flight, when it was meant to start (performance.now() ms) and when it was written. */
  entry = 0;
  startedAt = 0;
  sentAt = 0;
  /** Closed model: close after the current response (the level went down). */
  retire = false;
  closed = false;
  private _socket: net.Socket | null = null;
  private _lastCode: string | undefined;
  private _everConnected = false;
  private _pause: NodeJS.Timeout | null = null;
  private readonly _parser = new ResponseParser();
  private readonly _onResponse = (r: ParsedResponse): void => this._responded(r);

  constructor(
    private readonly _endpoint: Endpoint,
    private readonly _owner: ConnectionOwner,
  ) {}

  send(entry: number, request: Buffer, startedAt: number, bodiless: boolean, keepBody: boolean): void {
    this.busy = true;
    this.entry = entry;
    this.startedAt = startedAt;
    this.sentAt = performance.now();
    this._parser.bodiless = bodiless;
    this._parser.keepBody = keepBody;
    (this._socket ?? this._open()).write(request);
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
    const socket = e.tls
      ? tls.connect({ host: e.host, port: e.port, servername: e.servername, rejectUnauthorized: !e.insecure, ALPNProtocols: ['http/1.1'] })
      : net.connect({ host: e.host, port: e.port });
    socket.setNoDelay(true);
    this._socket = socket;
    this._lastCode = undefined;
    this._parser.reset();
    socket.on(e.tls ? 'secureConnect' : 'connect', () => {
      this._everConnected = true;
      this._owner.connected();
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this._socket) return;
      this._owner.bytesRead += chunk.length;
      if (!this._parser.feed(chunk, this._onResponse)) this._fail('other');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (socket === this._socket) this._lastCode = err.code ?? 'ERR';
    });
    socket.on('close', () => {
      if (socket !== this._socket) return;
      this._socket = null;
      const last = this._parser.end(); // a body that ran until the close
      if (last && this.busy) this._responded(last);
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

  private _responded(r: ParsedResponse): void {
    this.busy = false;
    if (r.close || this.retire) this._drop();
    this._owner.responded(this, r.status, r.body);
  }

  private _fail(kind: ErrorKind): void {
    const refusedOnly = kind === 'refused' && !this._everConnected;
    this._drop();
    this.busy = false;
    this._owner.failed(this, kind);
    if (this.closed) return;
    if (refusedOnly) {
      this._pause = setTimeout(() => {
        this._pause = null;
        if (!this.closed) this._owner.available(this);
      }, REFUSED_PAUSE_MS);
    } else this._owner.available(this);
  }

  private _drop(): void {
    const s = this._socket;
    this._socket = null;
    this._parser.reset();
    s?.destroy();
  }
}
