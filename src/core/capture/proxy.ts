import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import { ListenError, UsageError, describeError } from '../errors';
import { BodyTap } from './bodyTap';
import { pathFilter, pathnameOf, type PathFilter } from './filter';
import { EMPTY_BODY, rawHeadersToPairs, type CapturedExchange, type CapturedMessage, type Protocol } from './types';
import { tapWebSocket } from './wsTap';

/** Where the proxy sends what it saw. StoreWriter is one; tests may pass an array-backed sink. */
export interface RecordSink {
  enqueueExchange(ex: CapturedExchange): boolean;
  enqueueMessage(m: CapturedMessage): boolean;
}

export interface CaptureProxyOptions {
  mode: 'reverse' | 'forward';
  /** Upstream origin for reverse mode, e.g. http://localhost:9000. */
  target?: string;
  host?: string;
  port: number;
  include?: string[];
  exclude?: string[];
  /** Bytes of each body kept for storage; the rest is counted and hashed. */
  bodyCap?: number;
  /** Skip verification of the upstream's TLS certificate (self-signed development servers). */
  insecure?: boolean;
  /** Extra CA certificates (PEM file) to trust for HTTPS targets. */
  caFile?: string;
  /** A client must send its request headers within this time (slowloris guard). */
  headersTimeoutMs?: number;
  /** Give up on an upstream that sends nothing for this long (→ 504). */
  upstreamTimeoutMs?: number;
}

export interface ProxyStats {
  requests: number;
  recorded: number;
  errors: number;
  openConnections: number;
}

const DEFAULT_BODY_CAP = 1024 * 1024;
const CONN_ID = Symbol('chaos.connectionId');
type TaggedSocket = net.Socket & { [CONN_ID]?: number };

/** Parses and checks a target URL; a clear error for anything that is not http(s)://host[:port]. */
export function parseTarget(target: string, flag = '--target'): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`${flag} '${target}' is not a URL; give one like http://localhost:9000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${flag} '${target}' must start with http:// or https://`);
  }
  return url;
}

/**
 * The capture proxy: forwards every request (http-proxy over keep-alive agents), and records a copy of each
 * exchange into a RecordSink. Recording never delays forwarding: bodies are observed as they stream by.
 */
export class CaptureProxy extends EventEmitter {
  readonly stats: ProxyStats = { requests: 0, recorded: 0, errors: 0, openConnections: 0 };
  private readonly _server: http.Server;
  private readonly _proxy: httpProxy;
  private readonly _target: URL | undefined;
  private readonly _filter: PathFilter;
  private readonly _cap: number;
  private readonly _httpAgent: http.Agent;
  private readonly _httpsAgent: https.Agent;
  private readonly _sockets = new Set<Duplex>();
  private _seq = 0;
  private _connections = 0;
  private _address: net.AddressInfo | undefined;

  constructor(private readonly _options: CaptureProxyOptions, private readonly _sink: RecordSink) {
    super();
    if (_options.mode === 'reverse') {
      if (!_options.target) throw new UsageError('reverse mode needs --target URL (the backend to forward to)');
      this._target = parseTarget(_options.target);
    }
    this._filter = pathFilter(_options.include, _options.exclude);
    this._cap = _options.bodyCap ?? DEFAULT_BODY_CAP;
    let ca: Buffer | undefined;
    if (_options.caFile) {
      try {
        ca = fs.readFileSync(_options.caFile);
      } catch (e) {
        throw new UsageError(`--ca ${_options.caFile}: ${describeError(e)}`);
      }
    }
    this._httpAgent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo' });
    this._httpsAgent = new https.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo', rejectUnauthorized: !_options.insecure, ca });
    this._proxy = httpProxy.createProxyServer({
      xfwd: true,
      changeOrigin: _options.mode === 'reverse',
      secure: !_options.insecure,
      ws: true,
      proxyTimeout: _options.upstreamTimeoutMs,
    });
    this._proxy.on('error', () => {
      // Errors are handled per request through the callbacks below; this keeps stray ones from crashing us.
    });
    const headersTimeout = _options.headersTimeoutMs ?? 30_000;
    this._server = http.createServer({
      headersTimeout,
      requestTimeout: 0,
      keepAliveTimeout: 5_000,
      // How often the server looks for connections past headersTimeout (default 30 s would let slowloris linger).
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    });
    this._server.on('connection', (socket: TaggedSocket) => {
      socket[CONN_ID] = ++this._connections;
      this._track(socket);
    });
    this._server.on('request', (req, res) => this._onRequest(req, res));
    this._server.on('upgrade', (req, socket, head) => this._onUpgrade(req, socket, head));
    this._server.on('connect', (req, socket, head) => this._onConnect(req, socket, head));
    this._server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this._onClientError(err, socket));
    this._wireResponses();
  }

  private _track(socket: Duplex): void {
    this._sockets.add(socket);
    this.stats.openConnections++;
    socket.once('close', () => {
      this._sockets.delete(socket);
      this.stats.openConnections--;
    });
  }

  async listen(): Promise<net.AddressInfo> {
    const host = this._options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        this._server.off('listening', onListening);
        reject(listenError(e, host, this._options.port));
      };
      const onListening = (): void => {
        this._server.off('error', onError);
        resolve();
      };
      this._server.once('error', onError);
      this._server.once('listening', onListening);
      this._server.listen(this._options.port, host);
    });
    this._address = this._server.address() as net.AddressInfo;
    return this._address;
  }

  get address(): net.AddressInfo | undefined {
    return this._address;
  }

  /** Stops accepting, ends idle keep-alive connections, and after `graceMs` destroys the rest. */
  async close(graceMs = 2_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this._server.close(() => resolve()));
    this._server.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const s of this._sockets) s.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
    this._proxy.close();
    this._httpAgent.destroy();
    this._httpsAgent.destroy();
  }

  private _upstreamFor(req: http.IncomingMessage): URL | string {
    if (this._target) return this._target;
    const raw = req.url ?? '';
    if (!/^https?:\/\//i.test(raw)) return 'this is a forward proxy: send absolute URLs (set HTTP_PROXY=http://HOST:PORT in the client)';
    try {
      const u = new URL(raw);
      const a = this._address;
      if (a && (u.hostname === a.address || u.hostname === 'localhost') && Number(u.port || 80) === a.port) return 'request loops back to the proxy itself';
      return new URL(u.origin);
    } catch {
      return `bad request URL '${raw}'`;
    }
  }

  private _agentFor(target: URL): http.Agent {
    return target.protocol === 'https:' ? this._httpsAgent : this._httpAgent;
  }

  private _onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.stats.requests++;
    const upstream = this._upstreamFor(req);
    if (typeof upstream === 'string') {
      this.stats.errors++;
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`chaos-testing: ${upstream}\n`);
      return;
    }
    const record = this._filter(pathnameOf(req.url ?? '/'));
    const exchange = record ? this._startExchange(req, upstream, upstream.protocol === 'https:' ? 'https' : 'http') : null;

    this._proxy.web(req, res, { target: upstream, agent: this._agentFor(upstream) }, (err: NodeJS.ErrnoException) => {
      this.stats.errors++;
      const timedOut = err.code === 'ECONNRESET' && exchange && !exchange.responded && this._options.upstreamTimeoutMs;
      const status = timedOut ? 504 : 502;
      const cause = `${timedOut ? 'upstream timed out' : 'upstream unreachable'}: ${describeError(err)}`;
      if (exchange) exchange.fail(cause, status);
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`chaos-testing: ${upstream.origin} ${cause}\n`);
      } else {
        res.destroy();
      }
    });

    if (exchange) {
      if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
        req.on('data', (chunk: Buffer) => exchange.request.push(chunk));
      }
      res.once('close', () => {
        if (!res.writableFinished) this._abortUpstream(res);
        if (!exchange.finished) exchange.finish(res.writableFinished ? null : 'client closed the connection before the response completed');
      });
    } else {
      res.once('close', () => {
        if (!res.writableFinished) this._abortUpstream(res);
      });
    }
  }

  /** When the client goes away mid-response, stop reading the upstream so its socket is freed, not left paused. */
  private _abortUpstream(res: http.ServerResponse): void {
    const proxyRes = (res as { _chaosProxyRes?: http.IncomingMessage })._chaosProxyRes;
    if (proxyRes && !proxyRes.complete) proxyRes.destroy();
  }

  private _startExchange(req: http.IncomingMessage, upstream: URL, protocol: Protocol): ExchangeRecorder {
    const socket = req.socket as TaggedSocket;
    const rec = new ExchangeRecorder(this, {
      seq: ++this._seq,
      protocol,
      connectionId: socket[CONN_ID] ?? 0,
      method: req.method ?? 'GET',
      url: upstream.origin + pathAndQuery(req.url ?? '/'),
      requestHeaders: rawHeadersToPairs(req.rawHeaders),
      cap: this._cap,
    });
    (req as { _chaosExchange?: ExchangeRecorder })._chaosExchange = rec;
    return rec;
  }

  /** Called by ExchangeRecorder when it is complete. */
  _emitExchange(ex: CapturedExchange): void {
    if (this._sink.enqueueExchange(ex)) this.stats.recorded++;
    this.emit('exchange', ex);
  }

  _emitMessage(m: CapturedMessage): void {
    this._sink.enqueueMessage(m);
  }

  private _onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.stats.requests++;
    const upstream = this._upstreamFor(req);
    if (typeof upstream === 'string') {
      this.stats.errors++;
      socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nchaos-testing: ${upstream}\n`);
      return;
    }
    // No permessage-deflate: frames stay readable for the recorder. Client and server fall back to plain frames.
    delete req.headers['sec-websocket-extensions'];
    const wsUpstream = new URL(upstream.href);
    const secure = upstream.protocol === 'https:';
    const record = this._filter(pathnameOf(req.url ?? '/'));
    const exchange = record ? this._startExchange(req, upstream, secure ? 'wss' : 'ws') : null;
    if (exchange) tapWebSocket(socket, head, true, this._cap, (m) => exchange.message(m));
    socket.on('error', () => socket.destroy());
    this._proxy.ws(req, socket, head, { target: wsUpstream, agent: this._agentFor(upstream) }, (err: Error) => {
      this.stats.errors++;
      exchange?.fail(`upstream unreachable: ${describeError(err)}`, 502);
      if (!socket.destroyed) socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
  }

  /** Forward mode: CONNECT tunnels are passed through untouched and recorded as one `tunnel` exchange each. */
  private _onConnect(req: http.IncomingMessage, client: Duplex, head: Buffer): void {
    this.stats.requests++;
    const socket = req.socket as TaggedSocket;
    const hostPort = req.url ?? '';
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
    const startedAt = Date.now();
    const t0 = performance.now();
    const seq = ++this._seq;
    const base = {
      seq,
      protocol: 'tunnel' as const,
      connectionId: socket[CONN_ID] ?? 0,
      startedAt,
      method: 'CONNECT',
      url: hostPort,
      requestHeaders: rawHeadersToPairs(req.rawHeaders),
    };
    if (this._options.mode !== 'forward' || !m) {
      this.stats.errors++;
      client.end(`HTTP/1.1 ${m ? 405 : 400} ${m ? 'Method Not Allowed' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    let up = 0;
    let down = 0;
    let ttfb: number | null = null;
    let error: string | null = null;
    let done = false;
    const upstream = net.connect(Number(m[2]), m[1]);
    this._track(upstream);
    const finish = (): void => {
      if (done) return;
      done = true;
      this._emitExchange({
        ...base,
        ttfbMs: ttfb,
        durationMs: performance.now() - t0,
        status: error ? 502 : 200,
        responseHeaders: [],
        requestBody: { ...EMPTY_BODY, size: up },
        responseBody: { ...EMPTY_BODY, size: down },
        error,
      });
    };
    upstream.once('connect', () => {
      ttfb = performance.now() - t0;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) {
        up += head.length;
        upstream.write(head);
      }
      client.on('data', (c: Buffer) => (up += c.length));
      upstream.on('data', (c: Buffer) => (down += c.length));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', (e) => {
      this.stats.errors++;
      error = `tunnel to ${hostPort} failed: ${describeError(e)}`;
      if (ttfb === null) client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.once('close', () => {
      upstream.destroy();
      finish();
    });
    upstream.once('close', () => {
      client.end();
      finish();
    });
  }

  private _onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    this.stats.errors++;
    if (!socket.writable || (socket as net.Socket).bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
      : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
      : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  }

  /** Called from ExchangeRecorder when the upstream answered; lets _abortUpstream find the response. */
  _onProxyRes(proxyRes: http.IncomingMessage, res: http.ServerResponse): void {
    (res as { _chaosProxyRes?: http.IncomingMessage })._chaosProxyRes = proxyRes;
  }

  /** http-proxy's response hooks, wired once. */
  private _wireResponses(): void {
    this._proxy.on('proxyRes', (proxyRes: http.IncomingMessage, req: http.IncomingMessage, res: http.ServerResponse) => {
      this._onProxyRes(proxyRes, res);
      // Keep-Alive is hop-by-hop: the client must hear our idle timeout, not the backend's (http-proxy copies it).
      delete proxyRes.headers['keep-alive'];
      (req as { _chaosExchange?: ExchangeRecorder })._chaosExchange?.response(proxyRes, req.method === 'HEAD');
    });
    this._proxy.on('proxyReqWs', (proxyReq: http.ClientRequest, req: http.IncomingMessage) => {
      const rec = (req as { _chaosExchange?: ExchangeRecorder })._chaosExchange;
      proxyReq.once('upgrade', (proxyRes: http.IncomingMessage, proxySocket: net.Socket, proxyHead: Buffer) => {
        this._track(proxySocket);
        if (!rec) return;
        rec.upgraded(proxyRes);
        tapWebSocket(proxySocket, proxyHead, false, this._cap, (m) => rec.message(m));
      });
      proxyReq.once('response', (proxyRes: http.IncomingMessage) => {
        // The upstream refused the upgrade with an ordinary response.
        if (rec) {
          rec.response(proxyRes, false);
          proxyRes.once('end', () => rec.finish(null));
        }
      });
    });
  }
}

function pathAndQuery(requestTarget: string): string {
  if (requestTarget[0] === '/') return requestTarget;
  try {
    const u = new URL(requestTarget);
    return u.pathname + u.search;
  } catch {
    return requestTarget;
  }
}

function listenError(e: NodeJS.ErrnoException, host: string, port: number): ListenError {
  switch (e.code) {
    case 'EADDRINUSE':
      return new ListenError(`port ${port} on ${host} is already in use: stop what listens there or choose another --port`);
    case 'EACCES':
      return new ListenError(`not allowed to listen on port ${port}: choose a port above 1023 with --port`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ListenError(`--host ${host} is not an address of this machine: use 127.0.0.1`);
    default:
      return new ListenError(`cannot listen on ${host}:${port}: ${describeError(e)}`);
  }
}

interface ExchangeStart {
  seq: number;
  protocol: Protocol;
  connectionId: number;
  method: string;
  url: string;
  requestHeaders: Array<[string, string]>;
  cap: number;
}

/** One exchange being recorded: collects the request and response as they stream, emits once when done. */
class ExchangeRecorder {
  readonly request: BodyTap;
  private readonly _response: BodyTap;
  private readonly _startedAt = Date.now();
  private readonly _t0 = performance.now();
  private _ttfb: number | null = null;
  private _endAt: number | null = null;
  private _status: number | null = null;
  private _responseHeaders: Array<[string, string]> | null = null;
  private _error: string | null = null;
  responded = false;
  finished = false;

  constructor(private readonly _proxy: CaptureProxy, private readonly _start: ExchangeStart) {
    this.request = new BodyTap(_start.cap);
    this._response = new BodyTap(_start.cap);
  }

  response(proxyRes: http.IncomingMessage, isHead: boolean): void {
    this.responded = true;
    this._ttfb = performance.now() - this._t0;
    this._status = proxyRes.statusCode ?? null;
    this._responseHeaders = rawHeadersToPairs(proxyRes.rawHeaders);
    if (!isHead && this._status !== 204 && this._status !== 304) proxyRes.on('data', (chunk: Buffer) => this._response.push(chunk));
    proxyRes.once('end', () => (this._endAt = performance.now()));
  }

  /** A WebSocket handshake completed: the exchange is stored now; its messages follow as they pass. */
  upgraded(proxyRes: http.IncomingMessage): void {
    this._ttfb = performance.now() - this._t0;
    this._endAt = performance.now();
    this._status = proxyRes.statusCode ?? 101;
    this._responseHeaders = rawHeadersToPairs(proxyRes.rawHeaders);
    this.finish(null);
  }

  message(m: Omit<CapturedMessage, 'exchangeSeq'>): void {
    this._proxy._emitMessage({ ...m, exchangeSeq: this._start.seq });
  }

  fail(error: string, status: number): void {
    this._error = error;
    if (this._status === null) this._status = status;
    this.finish(error);
  }

  finish(error: string | null): void {
    if (this.finished) return;
    this.finished = true;
    const { cap: _cap, ...start } = this._start;
    void _cap;
    this._proxy._emitExchange({
      ...start,
      startedAt: this._startedAt,
      ttfbMs: this._ttfb,
      durationMs: (this._endAt ?? performance.now()) - this._t0,
      status: this._status,
      responseHeaders: this._responseHeaders,
      requestBody: this.request.finish(),
      responseBody: this._response.finish(),
      error: this._error ?? error,
    });
  }
}
