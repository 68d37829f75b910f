import * as http from 'node:http';
import * as https from 'node:https';
import { describeError } from '../errors';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { ExchangeFaults } from '../faults/httpFaults';
import type { ExchangeRecorder } from './exchangeRecorder';
import { certificateCause } from './tlsIntercept';
import { poolKey, unaskedUpgrade, type UpstreamHandler, type UpstreamConnection, type UpstreamPool, type UpstreamTls } from './upstreamPool';

/**
 * The forwarding path for ordinary HTTP requests: one upstream request over a keep-alive agent, headers passed as
 * flat arrays (no per-header setHeader), bodies piped. Leaner than http-proxy's passes, which is what lets
 * recording fit in the time the forwarder saves.
 */

// Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection only. Expect is answered by our own server.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect']);
// Content framing of a response is redone by our server for our client.
const RESPONSE_DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'trailer', 'upgrade']);

export interface ForwardOptions {
  upstream: URL;
  agent: http.Agent;
  /** The lean client for plain-http upstreams (requests without a chunked body); null to always use http.request. */
  pool: UpstreamPool | null;
  /** TLS for the lean client to an https upstream (intercepted HTTP/1.1 requests); null: https goes through `agent`. */
  upstreamTls: UpstreamTls | null;
  /**
   * Reverse mode: X-Forwarded-Host carries the Host the client gave the proxy. Forward mode: Host comes from the
   * absolute URL alone (RFC 9112 §3.2.2) and the client's Proxy-Authorization, meant for the proxy, stays here.
   */
  reverse: boolean;
  timeoutMs?: number;
  recorder: ExchangeRecorder | null;
  /** The faults that hit this request (faults/httpFaults.ts); null for none, the common case. */
  faults: ExchangeFaults | null;
  onError(): void;
}

/** What the forwarding path reads from an upstream URL on every request (URL getters build a new string each time). */
export interface UpstreamRoute {
  origin: string;
  host: string;
  /** Without an IPv6 address's brackets, as net.connect takes it. */
  hostname: string;
  port: number;
  secure: boolean;
  /** The upstream pool's key for this host:port (see UpstreamPool.request), made once. */
  poolKey: string;
}

let lastUrl: URL | null = null;
let lastRoute: UpstreamRoute | null = null;

/** The route of `u`, read once for the URL a reverse proxy forwards every request to (the last one asked for). */
export function routeOf(u: URL): UpstreamRoute {
  if (u === lastUrl && lastRoute !== null) return lastRoute;
  const secure = u.protocol === 'https:';
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port) || (secure ? 443 : 80);
  const route = { origin: u.origin, host: u.host, hostname, port, secure, poolKey: poolKey(hostname, port, secure) };
  lastUrl = u;
  lastRoute = route;
  return route;
}

/** Request headers for the upstream: hop-by-hop removed (and those the Connection header names), Host, X-Forwarded-*. */
export function upstreamHeaders(raw: string[], req: http.IncomingMessage, upstream: URL, reverse: boolean): string[] {
  return rewriteRequestHeaders(raw, req.headers.connection ?? null, req.socket.remoteAddress ?? '', routeOf(upstream).host, reverse).slice();
}

/** rewriteRequestHeaders' result, reused: the lean path reads it into the request head at once (no array per request). */
const rewritten: string[] = [];

/**
 * The header rules both forwarding paths share, over flat [name, value, ...] pairs: hop-by-hop headers (and those
 * the Connection header names) dropped, Host set to the upstream's (added for an HTTP/1.0 client that sent none:
 * HTTP/1.1 upstream requires one; in forward mode that is the absolute URL's, whatever Host the client claimed),
 * X-Forwarded-For appended, X-Forwarded-Proto added when absent, and in reverse mode X-Forwarded-Host. Forward mode
 * keeps Proxy-Authorization (the client's credentials for the proxy) from the origin.
 * Returns the shared `rewritten` array, valid until the next call.
 */
function rewriteRequestHeaders(raw: string[], connection: string | null, remoteAddress: string, upstreamHost: string, reverse: boolean): string[] {
  const named = connection ? new Set(connection.toLowerCase().split(',').map((s) => s.trim())) : null;
  const out = rewritten;
  out.length = 0;
  let forwardedFor: string | null = null;
  let originalHost = '';
  let sawProto = false;
  let sawHost = false;
  let sawHostHeader = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named !== null && named.has(lower))) continue;
    if (lower === 'host') {
      originalHost = raw[i + 1];
      sawHostHeader = true;
      out.push(name, upstreamHost);
      continue;
    }
    if (!reverse && lower === 'proxy-authorization') continue;
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor ? `${forwardedFor}, ${raw[i + 1]}` : raw[i + 1];
      continue;
    }
    if (lower === 'x-forwarded-proto') sawProto = true;
    else if (lower === 'x-forwarded-host') sawHost = true;
    out.push(name, raw[i + 1]);
  }
  if (!sawHostHeader) out.push('Host', upstreamHost);
  out.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${remoteAddress}` : remoteAddress);
  if (!sawProto) out.push('x-forwarded-proto', 'http');
  if (reverse && !sawHost && originalHost) out.push('x-forwarded-host', originalHost);
  return out;
}

/** Set by responseHeaders: the Content-Length of the response it just read (-1 for none). */
let relayedLength = -1;

/** The Content-Length of the response responseHeaders last read (-1 for none). */
export function lastRelayedLength(): number {
  return relayedLength;
}

/** The response headers for our client (framing and hop-by-hop ones dropped); notes the Content-Length on the way. */
export function responseHeaders(raw: string[]): string[] {
  let out: string[] = [];
  let named: Set<string> | null = null;
  relayedLength = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (lower === 'connection') named = connectionNamed(raw[i + 1], named);
    if (RESPONSE_DROP.has(lower)) continue;
    if (lower === 'content-length' && relayedLength < 0) relayedLength = Number(raw[i + 1]);
    out.push(raw[i], raw[i + 1]);
  }
  // Headers the upstream's Connection header names are for this hop only (RFC 9110 §7.6.1).
  if (named !== null) {
    const kept = named;
    out = out.filter((_, i, all) => !kept.has(all[i - (i % 2)].toLowerCase()));
  }
  return out;
}

/** The header names a Connection value lists besides close and keep-alive, added to `into`; null when none. */
function connectionNamed(value: string, into: Set<string> | null): Set<string> | null {
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    (into ??= new Set()).add(name);
  }
  return into;
}

export function hasBody(req: http.IncomingMessage): boolean {
  // HTTP/2 (an intercepted client): a body need not announce a length; the stream says whether one follows.
  if (req.httpVersionMajor === 2) return !(req as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders;
  return req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
}

export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, o: ForwardOptions): void {
  const route = routeOf(o.upstream);
  const secure = route.secure;
  if (o.pool !== null && (!secure || (o.upstreamTls !== null && req.httpVersionMajor === 1))) {
    const head = rawRequestHead(req, route.host, o.reverse);
    if (head !== null) {
      new RawForward(req, res, o, route, head, rawHeadHasBody);
      return;
    }
  }
  const rec = o.recorder;
  const options: https.RequestOptions = {
    protocol: o.upstream.protocol,
    hostname: o.upstream.hostname.replace(/^\[|\]$/g, ''),
    port: o.upstream.port || (secure ? 443 : 80),
    method: req.method,
    path: pathAndQuery(req.url ?? '/'),
    headers: upstreamHeaders(req.rawHeaders, req, o.upstream, o.reverse) as unknown as http.OutgoingHttpHeaders,
    agent: o.agent,
  };
  if (o.reverse && secure) options.servername = o.upstream.hostname;
  const proxyReq = (secure ? https : http).request(options);
  let timedOut = false;
  if (o.timeoutMs) {
    proxyReq.setTimeout(o.timeoutMs, () => {
      timedOut = true;
      proxyReq.destroy(new Error(`no answer within ${o.timeoutMs} ms`));
    });
  }

  proxyReq.on('response', (proxyRes) => {
    const status = proxyRes.statusCode ?? 502;
    if (rec) rec.responseStarted(status, proxyRes.rawHeaders);
    proxyRes.once('error', () => res.destroy());
    if (res.destroyed) {
      proxyRes.destroy();
      return;
    }
    if (o.faults !== null) {
      relayBody(proxyRes, o.faults.respond(res, status, proxyRes.statusMessage ?? '', responseHeaders(proxyRes.rawHeaders), req.method === 'HEAD'), rec);
      return;
    }
    // HTTP/2 has no status message (and warns when given one).
    const message = req.httpVersionMajor === 2 ? undefined : proxyRes.statusMessage;
    res.writeHead(status, message as string, responseHeaders(proxyRes.rawHeaders) as unknown as http.OutgoingHttpHeaders);
    relayBody(proxyRes, res, rec);
  });

  // A 101 to a request that asked for no upgrade: without this listener http.request drops the socket and emits
  // neither 'response' nor 'error', and the client would wait for an answer that never comes.
  // (Destroying the request then emits no 'error' either: the failure is reported here.)
  proxyReq.on('upgrade', (_upRes: http.IncomingMessage, upSocket: Duplex) => {
    upSocket.destroy();
    onUpstreamError(unaskedUpgrade());
  });

  const onUpstreamError = (err: Error): void => answerUpstreamError(res, o, err, timedOut);
  proxyReq.on('error', onUpstreamError);

  res.once('close', () => {
    if (!res.writableFinished) proxyReq.destroy();
    if (rec && !rec.finished) rec.finish(res.writableFinished ? null : 'client closed the connection before the response completed');
  });

  if (hasBody(req)) {
    // With faults the backend gets (and the recorder keeps) the body as the upstream toxics left it.
    const body = o.faults === null ? req : o.faults.requestBody(req);
    if (rec) body.on('data', (chunk: Buffer) => rec.request.push(chunk));
    req.once('error', () => proxyReq.destroy());
    body.pipe(proxyReq);
  } else {
    proxyReq.end();
  }
}

// Methods for which http.request sends no Content-Length: 0 when there is no body.
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Set by rawRequestHead: whether the request it just serialised has a (Content-Length framed) body. */
let rawHeadHasBody = false;

/**
 * The request head for the upstream as one string, for a request without a body or with a Content-Length one;
 * null for a chunked body (it then goes through http.request, which re-frames it). The same headers as
 * `upstreamHeaders`, read from rawHeaders (req.headers is built lazily and costs more than the rest), plus what
 * http.request would add: Connection: keep-alive, Content-Length: 0 for a bodiless POST/PUT; and Host when the
 * client sent none.
 */
export function rawRequestHead(req: http.IncomingMessage, upstreamHost: string, reverse: boolean): string | null {
  return requestHeadOf(req.method ?? 'GET', req.url ?? '/', req.rawHeaders, req.socket.remoteAddress ?? '', upstreamHost, reverse);
}

/** rawRequestHead from a request's parts (the fast lane has no IncomingMessage). Sets `rawHeadHasBody`. */
export function requestHeadOf(method: string, url: string, raw: string[], remoteAddress: string, upstreamHost: string, reverse: boolean): string | null {
  let connection: string | null = null;
  let contentLength: string | null = null;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const n = name.length;
    if (n !== 10 && n !== 14 && n !== 17) continue;
    const lower = name.toLowerCase();
    if (lower === 'connection') connection = connection === null ? raw[i + 1] : `${connection}, ${raw[i + 1]}`;
    else if (lower === 'content-length') contentLength ??= raw[i + 1];
    else if (lower === 'transfer-encoding') chunked = true;
  }
  if (chunked) return null;
  rawHeadHasBody = contentLength !== null && contentLength !== '0';
  let head = `${method} ${pathAndQuery(url)} HTTP/1.1\r\n`;
  const headers = rewriteRequestHeaders(raw, connection, remoteAddress, upstreamHost, reverse);
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  if (contentLength === null && !NO_BODY_METHODS.has(method)) head += 'Content-Length: 0\r\n';
  return `${head}Connection: keep-alive\r\n\r\n`;
}

/** Bodies up to this size (by Content-Length) are collected and answered with one `res.end(body)`. */
export const SMALL_BODY = 64 * 1024;

/**
 * Passes the upstream's body to the client and the recorder. A small body announced by Content-Length is
 * collected and written with `res.end` (head and body leave in one write, no pipe machinery); anything else is
 * streamed chunk by chunk with back-pressure (the client's 'drain' resumes the upstream).
 */
function relayBody(proxyRes: http.IncomingMessage, res: Writable, rec: ExchangeRecorder | null): void {
  const cl = proxyRes.headers['content-length'];
  const length = cl === undefined ? -1 : Number(cl);
  if (length >= 0 && length <= SMALL_BODY) {
    let first: Buffer | null = null;
    let more: Buffer[] | null = null;
    proxyRes.on('data', (chunk: Buffer) => {
      if (first === null) first = chunk;
      else (more ??= [first]).push(chunk);
      rec?.response.push(chunk);
    });
    proxyRes.once('end', () => {
      rec?.responseEnded();
      if (first === null) res.end();
      else res.end(more === null ? first : Buffer.concat(more));
    });
    return;
  }
  const resume = (): void => {
    proxyRes.resume();
  };
  proxyRes.on('data', (chunk: Buffer) => {
    rec?.response.push(chunk);
    if (!res.write(chunk)) {
      proxyRes.pause();
      res.once('drain', resume);
    }
  });
  proxyRes.once('end', () => {
    rec?.responseEnded();
    res.end();
  });
}

/**
 * An upstream request that failed: counted, recorded with its cause, and answered 502 (504 when it timed out)
 * with the cause as text, or the client's connection cut when the response had begun.
 */
export function answerUpstreamError(res: http.ServerResponse, o: ForwardOptions, err: Error, timedOut: boolean): void {
  if (res.destroyed || (res.writableEnded && !timedOut)) return; // the client left first: nothing to answer
  o.onError();
  const status = timedOut ? 504 : 502;
  const cause = upstreamCause(err, timedOut);
  o.recorder?.fail(cause, status);
  if (!res.headersSent) {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`chaos-testing: ${o.upstream.origin} ${cause}\n`);
  } else {
    res.destroy();
  }
}

/** Why an upstream request failed, for the client's 502/504 and the record. */
export function upstreamCause(err: Error, timedOut: boolean): string {
  if (timedOut) return `upstream timed out: ${describeError(err)}`;
  return certificateCause(err) ?? `upstream unreachable: ${describeError(err)}`;
}

export function pathAndQuery(requestTarget: string): string {
  if (requestTarget[0] === '/') return requestTarget;
  try {
    const u = new URL(requestTarget);
    return u.pathname + u.search;
  } catch {
    return requestTarget;
  }
}

/**
 * One request over the lean upstream client (see upstreamPool.ts). Same outcomes as the http.request
 * path: the response relayed with its head as received (hop-by-hop headers dropped), 502 with the cause when the
 * upstream cannot be reached, 504 when it says nothing for `timeoutMs`, the upstream request given up when the
 * client leaves first, and the recorder told each step.
 */
class RawForward implements UpstreamHandler {
  private readonly _conn: UpstreamConnection;
  /** Where the request body comes from and the response body goes: the client's streams, or fault chains. */
  private readonly _body: Readable;
  private _out: Writable;
  private _small = false;
  private _first: Buffer | null = null;
  private _more: Buffer[] | null = null;
  private _waitingDrain = false;

  constructor(private readonly _req: http.IncomingMessage, private readonly _res: http.ServerResponse, private readonly _o: ForwardOptions, route: UpstreamRoute, head: string, hasBody: boolean) {
    this._conn = _o.pool!.request(route.poolKey, route.hostname, route.port, route.secure ? _o.upstreamTls : null, head, _req.method === 'HEAD', hasBody, _o.timeoutMs ?? 0, this);
    this._out = _res;
    this._body = _o.faults === null || !hasBody ? _req : _o.faults.requestBody(_req);
    _res.on('close', () => this._onClientClose()); // (emitted once: 'once' would wrap it per request)
    // (Listeners are made here, not as arrow-function fields: most requests have no body and would never use them.)
    if (hasBody) {
      // Content-Length framed: the bytes go on as they come, the length header already told the upstream where
      // they end. The client's pace follows the upstream's ('drain').
      const onUpstreamDrain = (): void => {
        this._body.resume();
      };
      this._body.on('data', (chunk: Buffer) => {
        this._o.recorder?.request.push(chunk);
        if (!this._conn.writeBody(this, chunk)) {
          this._body.pause();
          this._conn.socket.once('drain', onUpstreamDrain);
        }
      });
      this._body.once('end', () => this._conn.requestSent(this));
      _req.once('error', () => this._conn.abort(this));
    }
  }

  onResponse(status: number, statusMessage: string, rawHeaders: string[]): void {
    const rec = this._o.recorder;
    if (rec) rec.responseStarted(status, rawHeaders);
    const res = this._res;
    if (res.destroyed) {
      this._conn.abort(this);
      return;
    }
    const headers = responseHeaders(rawHeaders);
    this._small = relayedLength >= 0 && relayedLength <= SMALL_BODY;
    if (this._o.faults !== null) this._out = this._o.faults.respond(res, status, statusMessage, headers, this._req.method === 'HEAD');
    else res.writeHead(status, statusMessage, headers as unknown as http.OutgoingHttpHeaders);
  }

  onBody(chunk: Buffer): void {
    this._o.recorder?.response.push(chunk);
    if (this._small) {
      if (this._first === null) this._first = chunk;
      else (this._more ??= [this._first]).push(chunk);
      return;
    }
    if (!this._out.write(chunk) && !this._waitingDrain) {
      this._waitingDrain = true;
      this._conn.pause();
      this._out.once('drain', () => {
        this._waitingDrain = false;
        this._conn.resume();
      });
    }
  }

  onEnd(): void {
    this._o.recorder?.responseEnded();
    const res = this._res;
    if (res.destroyed) return;
    const out = this._out;
    if (this._first === null) out.end();
    else out.end(this._more === null ? this._first : Buffer.concat(this._more));
  }

  onError(err: Error, timedOut: boolean): void {
    answerUpstreamError(this._res, this._o, err, timedOut);
  }

  private _onClientClose(): void {
    const res = this._res;
    if (!res.writableFinished) this._conn.abort(this);
    const rec = this._o.recorder;
    if (rec && !rec.finished) rec.finish(res.writableFinished ? null : 'client closed the connection before the response completed');
  }
}

