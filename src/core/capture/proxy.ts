import { X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import httpProxy from 'http-proxy';
import { ListenError, UsageError, describeError } from '../errors';
import { planHttpFaults } from '../faults/httpFaults';
import { ToxicList } from '../faults/toxicList';
import { ExchangeRecorder } from './exchangeRecorder';
import { RECORD_ALL, pathFilter, pathnameOf, type PathFilter } from './filter';
import { answerUpstreamError, forwardRequest, pathAndQuery, routeOf, upstreamCause, type ForwardOptions } from './forward';
import { forwardH2 } from './forwardH2';
import { UpstreamPool, loadParser, loadParserMethods, type UpstreamTls } from './upstreamPool';
import { FastLane } from './fastLane';
import { UpstreamH2Sessions } from './upstreamH2';
import { interceptAgent, interceptMatcher, interceptUpstreamTls, terminateTls, type InterceptOptions } from './tlsIntercept';
import { EMPTY_BODY, type CapturedExchange, type CapturedMessage, type Protocol } from './types';
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
  /**
   * Client for plain-http upstreams: 'lean' (default) is our own keep-alive pool on Node's HTTP parser for
   * bodiless requests, 'node' is http.request for everything. 'lean' falls back to 'node' where the parser
   * binding is not usable; CHAOS_TESTING_HTTP_CLIENT=node forces it.
   */
  upstreamClient?: 'lean' | 'node';
  /** false: forward only, record nothing (a fault proxy without a store). */
  record?: boolean;
  /** Reverse mode over TLS: the listener speaks HTTPS with this certificate (core/tls/listenerTls.ts). */
  tls?: { cert: string; key: string; source: string };
  /** The session's sequence, when several listeners record into one session (capture.yaml); default: our own. */
  nextSeq?: () => number;
  /** Forward mode: terminate TLS of matching CONNECTs and record the exchanges inside (tlsIntercept.ts). */
  intercept?: InterceptOptions;
}

export interface ProxyStats {
  requests: number;
  recorded: number;
  errors: number;
  openConnections: number;
}

const DEFAULT_BODY_CAP = 1024 * 1024;
const CONN_ID = Symbol('chaos.connectionId');
/** How long an idle keep-alive client connection stays open (http.Server's default). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
type TaggedSocket = net.Socket & { [CONN_ID]?: number };
const WS_TAP = Symbol('chaos.wsTap');
type TappedSocket = net.Socket & { [WS_TAP]?: { rec: ExchangeRecorder; client: Duplex } };
/** How far an upgrade request got, for the error callback of http-proxy's ws pass (which cannot tell). */
interface UpgradeState {
  upgraded: boolean;
  responded: boolean;
  clientGone: boolean;
  timedOut: boolean;
}
const UPGRADE_STATE = Symbol('upgradeState');
type UpgradeRequest = http.IncomingMessage & { [UPGRADE_STATE]?: UpgradeState };
/** On a decrypted (intercepted) client socket: the origin its requests go to. */
const INTERCEPTED = Symbol('chaos.intercepted');
type InterceptedSocket = TaggedSocket & { [INTERCEPTED]?: URL };

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
  /** Faults applied per request, added and removed at run time (faults/httpFaults.ts). */
  readonly faults = new ToxicList('http');
  private _down = false;
  /** The fast lane (fastLane.ts), and http.Server's connection listener for what it hands over; null without one. */
  private readonly _lane: FastLane | null;
  private readonly _serveHttp: ((this: net.Server, socket: net.Socket) => void) | null;
  private readonly _server: http.Server | https.Server;
  private readonly _proxy: httpProxy;
  private readonly _target: URL | undefined;
  private readonly _filter: PathFilter;
  private readonly _cap: number;
  private readonly _httpAgent: http.Agent;
  private readonly _httpsAgent: https.Agent;
  /** The lean client for plain-http upstreams; null where Node's parser binding is not usable (http.request then). */
  private readonly _pool: UpstreamPool | null;
  private readonly _sockets = new Set<Duplex>();
  /** Open CONNECT tunnels, each settled once it is recorded: close() waits for them, so none ends unrecorded. */
  private readonly _tunnels = new Set<Promise<void>>();
  private _seq = 0;
  private readonly _nextSeq: () => number;
  private _connections = 0;
  private _address: net.AddressInfo | undefined;
  private readonly _intercepts: ((host: string) => boolean) | null = null;
  private readonly _interceptAgent: https.Agent | null = null;
  private readonly _interceptTls: UpstreamTls | null = null;
  /** Serves the HTTP/2 connections of intercepted clients (ALPN h2); their requests take the common path. */
  private readonly _h2: http2.Http2Server | null = null;
  private readonly _h2Sessions = new Set<http2.ServerHttp2Session>();
  /** The upstream HTTP/2 sessions of intercepted h2 clients' requests (one per origin that offers h2). */
  private readonly _h2Upstream: UpstreamH2Sessions | null = null;

  constructor(private readonly _options: CaptureProxyOptions, private readonly _sink: RecordSink) {
    super();
    if (_options.mode === 'reverse') {
      if (!_options.target) throw new UsageError('reverse mode needs --target URL (the backend to forward to)');
      this._target = parseTarget(_options.target);
    }
    this._filter = _options.record === false ? () => false : pathFilter(_options.include, _options.exclude);
    this._cap = _options.bodyCap ?? DEFAULT_BODY_CAP;
    this._nextSeq = _options.nextSeq ?? (() => ++this._seq);
    // One SecureContext for every upstream connection (given `ca`, the agent would redo it per connection and put
    // the whole certificate into its pool key on every request).
    let secureContext: tls.SecureContext | undefined;
    if (_options.caFile) {
      let ca: Buffer;
      try {
        ca = fs.readFileSync(_options.caFile);
      } catch (e) {
        throw new UsageError(`--ca ${_options.caFile}: ${describeError(e)}`);
      }
      // OpenSSL takes a file with no certificate in it without a word; every HTTPS request would then fail.
      try {
        new X509Certificate(ca);
      } catch {
        throw new UsageError(`--ca ${_options.caFile} holds no certificate (PEM or DER); give the CA certificate that signed the target's`);
      }
      secureContext = tls.createSecureContext({ ca });
    }
    this._httpAgent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo' });
    this._httpsAgent = new https.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo', rejectUnauthorized: !_options.insecure, secureContext });
    const parser = _options.upstreamClient === 'node' ? null : loadParser();
    this._pool = parser ? new UpstreamPool(parser) : null;
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
    const headersTimeout = _options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    const serverOptions = {
      headersTimeout,
      requestTimeout: 0,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // How often the server looks for connections past headersTimeout (default 30 s would let slowloris linger).
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    };
    const tlsOptions = _options.tls;
    this._server = tlsOptions
      ? https.createServer({ ...serverOptions, cert: tlsOptions.cert, key: tlsOptions.key, ALPNProtocols: ['http/1.1'] })
      : http.createServer(serverOptions);
    // The fast lane takes a plain reverse proxy's connections first; http.Server serves those it hands over.
    const lane = tlsOptions ? null : this._makeLane();
    const serveHttp = lane === null ? null : this._takeConnectionListener();
    this._lane = serveHttp === null ? null : lane;
    this._serveHttp = serveHttp;
    this._server.on('connection', (socket: TaggedSocket) => {
      if (this._down) {
        socket.destroy();
        return;
      }
      socket[CONN_ID] = ++this._connections;
      this._track(socket);
      if (this._lane !== null) this._lane.serve(socket);
      else serveHttp?.call(this._server, socket);
    });
    if (tlsOptions) {
      // Requests arrive on the TLS socket, not the TCP one tagged above: number it too.
      this._server.on('secureConnection', (socket: TaggedSocket & { _parent?: TaggedSocket }) => (socket[CONN_ID] = socket._parent?.[CONN_ID] ?? ++this._connections));
      this._server.on('tlsClientError', (_err: Error, socket: Duplex) => {
        this.stats.errors++;
        socket.destroy();
      });
    }
    this._server.on('request', (req, res) => this._onRequest(req, res));
    this._server.on('upgrade', (req, socket, head) => this._onUpgrade(req, socket, head));
    this._server.on('connect', (req, socket, head) => this._onConnect(req, socket, head));
    this._server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this._onClientError(err, socket));
    this._wireResponses();
    const intercept = _options.intercept;
    if (intercept) {
      if (_options.mode !== 'forward') throw new UsageError('TLS interception (--intercept-tls) is for --mode forward');
      this._intercepts = interceptMatcher(intercept.hosts);
      this._interceptTls = interceptUpstreamTls(intercept);
      this._interceptAgent = interceptAgent(intercept, this._interceptTls);
      this._h2Upstream = new UpstreamH2Sessions(this._interceptTls, _options.upstreamTimeoutMs);
      this._h2 = http2.createServer({ maxSessionMemory: 64 });
      this._h2.on('request', (req, res) => {
        fromH2(req);
        this._onRequest(req as unknown as http.IncomingMessage, res as unknown as http.ServerResponse);
      });
      this._h2.on('session', (session: http2.ServerHttp2Session) => {
        this._h2Sessions.add(session);
        session.once('close', () => this._h2Sessions.delete(session));
        session.on('error', () => session.destroy());
      });
    }
  }

  /**
   * The lane for a reverse proxy to a plain-http target, where the lean upstream client works (null otherwise, or
   * with CHAOS_TESTING_FAST_LANE=0).
   */
  private _makeLane(): FastLane | null {
    const target = this._target;
    const methods = loadParserMethods();
    if (!target || target.protocol !== 'http:' || this._pool === null || methods === null || process.env.CHAOS_TESTING_FAST_LANE === '0') return null;
    const route = routeOf(target);
    return FastLane.create({
      pool: this._pool,
      route,
      origin: route.origin,
      timeoutMs: this._options.upstreamTimeoutMs ?? 0,
      headersTimeoutMs: this._options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      laneOpen: () => this.faults.entries.length === 0 && !this._down,
      begin: (socket, method, url, rawHeaders, httpVersion) => {
        this.stats.requests++;
        return this._filter === RECORD_ALL || this._filter(pathnameOf(url))
          ? this._startExchangeOf((socket as TaggedSocket)[CONN_ID] ?? 0, method, url, rawHeaders, httpVersion, target, 'http')
          : null;
      },
      countError: this._countError,
      handOff: (socket, unread) => {
        this._serveHttp!.call(this._server, socket);
        if (unread !== null) socket.unshift(unread);
        if (socket.isPaused()) socket.resume();
      },
    }, methods);
  }

  /**
   * Removes http.Server's own 'connection' listener (Node's connectionListener) and returns it, to be called for
   * the connections it serves; null, leaving it in place, if the server does not have exactly one.
   */
  private _takeConnectionListener(): ((this: net.Server, socket: net.Socket) => void) | null {
    const listeners = this._server.listeners('connection');
    if (listeners.length !== 1) return null;
    const serve = listeners[0] as (this: net.Server, socket: net.Socket) => void;
    this._server.removeListener('connection', serve);
    return serve;
  }

  /** Requests served by the fast lane, of `stats.requests`. */
  get laneRequests(): number {
    return this._lane?.served ?? 0;
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

  /** True when the listener speaks HTTPS (reverse mode over TLS). */
  get secure(): boolean {
    return this._options.tls !== undefined;
  }

  get down(): boolean {
    return this._down;
  }

  /** `down` (a partition): every client connection is cut now, and new ones are closed as they come. */
  setDown(down: boolean): void {
    this._down = down;
    if (down) for (const s of this._sockets) s.destroy();
  }

  /** Stops accepting, ends idle keep-alive connections, and after `graceMs` destroys the rest. */
  async close(graceMs = 2_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this._server.close(() => resolve()));
    this._server.closeIdleConnections();
    this._lane?.close();
    // HTTP/2 sessions (intercepted) end once their open streams have: GOAWAY, then close.
    const h2Closed = [...this._h2Sessions].map((s) => new Promise<void>((resolve) => {
      s.once('close', resolve);
      s.close();
    }));
    const timer = setTimeout(() => {
      for (const s of this._sockets) s.destroy();
      for (const s of this._h2Sessions) s.destroy();
    }, graceMs);
    await Promise.all([closed, ...h2Closed, ...this._tunnels]);
    clearTimeout(timer);
    this._proxy.close();
    this._httpAgent.destroy();
    this._httpsAgent.destroy();
    this._interceptAgent?.destroy();
    this._h2Upstream?.destroy();
    this._pool?.destroy();
  }

  private _upstreamFor(req: http.IncomingMessage): URL | string {
    if (this._target) return this._target;
    const intercepted = (req.socket as InterceptedSocket)[INTERCEPTED];
    if (intercepted) return intercepted;
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

  private _agentFor(target: URL, req: http.IncomingMessage): http.Agent {
    if (this._interceptAgent !== null && (req.socket as InterceptedSocket)[INTERCEPTED]) return this._interceptAgent;
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
    // With no toxics this length check is all that faults cost a request (and with no globs, the path is not read).
    const faults = this.faults.entries.length === 0 ? null : planHttpFaults(this.faults.entries, req.method ?? 'GET', pathnameOf(req.url ?? '/'));
    // Before recording: the recorded request is the one the backend gets.
    if (faults !== null) faults.prepareRequest(req);
    const record = this._filter === RECORD_ALL || this._filter(pathnameOf(req.url ?? '/'));
    const recorder = record ? this._startExchange(req, upstream, routeOf(upstream).secure ? 'https' : 'http') : null;
    const options: ForwardOptions = {
      upstream,
      agent: this._agentFor(upstream, req),
      pool: this._pool,
      upstreamTls: this._interceptTls !== null && (req.socket as InterceptedSocket)[INTERCEPTED] ? this._interceptTls : null,
      reverse: this._options.mode === 'reverse',
      timeoutMs: this._options.upstreamTimeoutMs,
      recorder,
      faults,
      onError: this._countError,
    };
    // An intercepted h2 client's request goes upstream over h2 when the origin offers it.
    const forward = this._h2Upstream !== null && req.httpVersionMajor === 2 && (req.socket as InterceptedSocket)[INTERCEPTED] ? this._forwardH2 : forwardRequest;
    if (faults === null) {
      forward(req, res, options);
      return;
    }
    if (recorder !== null) recorder.faults = faults.note;
    faults.run(req, res, recorder, () => forward(req, res, options));
  }

  private readonly _countError = (): void => {
    this.stats.errors++;
  };

  private readonly _forwardH2 = (req: http.IncomingMessage, res: http.ServerResponse, options: ForwardOptions): void => {
    this._h2Upstream!.session(options.upstream).then(
      (session) => {
        if (session === null) forwardRequest(req, res, options);
        else forwardH2(req, res, session, options);
      },
      (err: Error) => answerUpstreamError(res, options, err, false),
    );
  };

  private _startExchange(req: http.IncomingMessage, upstream: URL, protocol: Protocol): ExchangeRecorder {
    const rec = this._startExchangeOf((req.socket as TaggedSocket)[CONN_ID] ?? 0, req.method ?? 'GET', req.url ?? '/', req.rawHeaders, req.httpVersion, upstream, protocol);
    (req as { _chaosExchange?: ExchangeRecorder })._chaosExchange = rec;
    return rec;
  }

  private _startExchangeOf(connectionId: number, method: string, url: string, rawHeaders: string[], httpVersion: string, upstream: URL, protocol: Protocol): ExchangeRecorder {
    return new ExchangeRecorder(
      {
        seq: this._nextSeq(),
        protocol,
        connectionId,
        method,
        url: routeOf(upstream).origin + pathAndQuery(url),
        requestHeaders: rawHeaders,
        httpVersion,
      },
      this._cap,
      this._emitExchange,
      this._emitMessage,
    );
  }

  /** Called by ExchangeRecorder when it is complete. */
  private readonly _emitExchange = (ex: CapturedExchange): void => {
    if (this._sink.enqueueExchange(ex)) this.stats.recorded++;
    this.emit('exchange', ex);
  };

  private readonly _emitMessage = (m: CapturedMessage): void => {
    this._sink.enqueueMessage(m);
  };

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
    if (this._options.mode === 'forward') {
      // As for plain requests (forward.ts): the URL names the host, and the proxy's credentials stay here.
      req.headers.host = upstream.host;
      delete req.headers['proxy-authorization'];
      delete req.headers['proxy-connection'];
    }
    const wsUpstream = new URL(upstream.href);
    const secure = upstream.protocol === 'https:';
    const record = this._filter(pathnameOf(req.url ?? '/'));
    const exchange = record ? this._startExchange(req, upstream, secure ? 'wss' : 'ws') : null;
    socket.on('error', () => socket.destroy());
    const state: UpgradeState = { upgraded: false, responded: false, clientGone: false, timedOut: false };
    (req as UpgradeRequest)[UPGRADE_STATE] = state;
    this._proxy.ws(req, socket, head, { target: wsUpstream, agent: this._agentFor(upstream, req) }, (err: Error) => {
      // A WebSocket, or a response already on its way: no HTTP status can follow, the connection just ends.
      if (state.upgraded || state.responded) {
        socket.destroy();
        return;
      }
      if (state.clientGone) {
        exchange?.finish('client closed the connection before the response completed');
        return;
      }
      this.stats.errors++;
      const status = state.timedOut ? 504 : 502;
      exchange?.fail(upstreamCause(err, state.timedOut), status);
      if (!socket.destroyed) socket.end(`HTTP/1.1 ${status} ${status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
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
    const seq = this._nextSeq();
    const base = {
      seq,
      protocol: 'tunnel' as const,
      connectionId: socket[CONN_ID] ?? 0,
      startedAt,
      method: 'CONNECT',
      url: hostPort,
      requestHeaders: req.rawHeaders,
    };
    if (this._options.mode !== 'forward' || !m) {
      this.stats.errors++;
      client.end(`HTTP/1.1 ${m ? 405 : 400} ${m ? 'Method Not Allowed' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    if (this._intercepts !== null && this._intercepts(m[1])) {
      this._intercept(client, head, m[1], Number(m[2]));
      return;
    }
    let up = 0;
    let down = 0;
    let ttfb: number | null = null;
    let error: string | null = null;
    let done = false;
    // Half-open as TCP is: a server that has said all it will (FIN) still reads what the client sends after.
    const upstream = net.connect({ port: Number(m[2]), host: m[1], allowHalfOpen: true });
    this._track(upstream);
    let recorded!: () => void;
    const tunnel = new Promise<void>((resolve) => (recorded = resolve));
    this._tunnels.add(tunnel);
    const finish = (): void => {
      if (done) return;
      done = true;
      this._tunnels.delete(tunnel);
      recorded();
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

  /**
   * An intercepted CONNECT: TLS ends here, and the decrypted connection is served like a plain client's (HTTP/1.1
   * by our own server, h2 by the HTTP/2 one), its requests forwarded to https://host:port. A failed handshake
   * (a client that does not trust the local CA) is counted and reported, not recorded: nothing was exchanged.
   */
  private _intercept(client: Duplex, head: Buffer, host: string, port: number): void {
    const origin = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`);
    terminateTls(client, head, host, this._options.intercept!.leaves, (socket: tls.TLSSocket) => {
      (socket as InterceptedSocket)[INTERCEPTED] = origin;
      if (socket.alpnProtocol !== 'h2') {
        this._server.emit('connection', socket);
        return;
      }
      if (this._down) {
        socket.destroy();
        return;
      }
      (socket as TaggedSocket)[CONN_ID] = ++this._connections;
      this._track(socket);
      this._h2!.emit('connection', socket);
    }, (cause) => {
      this.stats.errors++;
      this.emit('interceptError', `${host}:${port}: ${cause}`);
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

  /** http-proxy carries WebSocket upgrades; these hooks record the handshake and tap the frames both ways. */
  private _wireResponses(): void {
    // Taps go on at 'open', once http-proxy has piped both sockets: a 'data' listener added earlier would make a
    // socket flow before the pipe exists, and the bytes http-proxy unshifts back (the heads) would reach only us.
    this._proxy.on('open', (proxySocket: net.Socket) => {
      const tap = (proxySocket as TappedSocket)[WS_TAP];
      if (!tap) return;
      tapWebSocket(tap.client, undefined, true, this._cap, (m) => tap.rec.message(m));
      tapWebSocket(proxySocket, undefined, false, this._cap, (m) => tap.rec.message(m));
    });
    this._proxy.on('proxyReqWs', (proxyReq: http.ClientRequest, req: http.IncomingMessage, client: Duplex) => {
      const rec = (req as { _chaosExchange?: ExchangeRecorder })._chaosExchange;
      const state = (req as UpgradeRequest)[UPGRADE_STATE];
      // Until the upstream answers: --upstream-timeout applies, and a client that leaves takes the request with it.
      const ms = this._options.upstreamTimeoutMs;
      const timer = ms ? setTimeout(() => {
        if (state) state.timedOut = true;
        proxyReq.destroy(new Error(`no answer within ${ms} ms`));
      }, ms) : null;
      const onClientClose = (): void => {
        if (state) state.clientGone = true;
        proxyReq.destroy();
      };
      // 'end' too: the server's sockets allow half-open connections, so a client's FIN alone brings no 'close'.
      client.once('end', onClientClose);
      client.once('close', onClientClose);
      const answered = (): void => {
        if (timer) clearTimeout(timer);
        client.off('end', onClientClose);
        client.off('close', onClientClose);
      };
      proxyReq.once('error', answered);
      proxyReq.once('upgrade', (proxyRes: http.IncomingMessage, proxySocket: net.Socket) => {
        answered();
        if (state) state.upgraded = true;
        this._track(proxySocket);
        if (!rec) return;
        rec.upgraded(proxyRes);
        (proxySocket as TappedSocket)[WS_TAP] = { rec, client };
      });
      // Registered before http-proxy's own listener, which writes proxyRes.headers and pipes the decoded body.
      proxyReq.once('response', (proxyRes: http.IncomingMessage) => {
        answered();
        if (state) state.responded = true;
        // The body reaches the client decoded and ends with the connection: no chunked framing may be announced.
        delete proxyRes.headers['transfer-encoding'];
        delete proxyRes.headers['keep-alive'];
        proxyRes.headers.connection = 'close';
        // The upstream refused the upgrade with an ordinary response.
        if (rec) {
          rec.responseStarted(proxyRes.statusCode ?? 502, proxyRes.rawHeaders);
          proxyRes.on('data', (chunk: Buffer) => rec.response.push(chunk));
          proxyRes.once('end', () => {
            rec.responseEnded();
            rec.finish(null);
          });
        }
      });
    });
  }
}

/** An HTTP/2 request seen as HTTP/1.1 headers for the common path: pseudo-headers out, :authority as Host. */
function fromH2(req: http2.Http2ServerRequest): void {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let authority: string | undefined;
  let host = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name[0] === ':') {
      if (name === ':authority') authority = raw[i + 1];
      continue;
    }
    if (name.toLowerCase() === 'host') host = true;
    out.push(name, raw[i + 1]);
  }
  if (!host && authority !== undefined) out.unshift('host', authority);
  Object.defineProperty(req, 'rawHeaders', { value: out });
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
