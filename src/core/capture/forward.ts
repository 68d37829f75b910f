import * as http from 'node:http';
import * as https from 'node:https';
import { describeError } from '../errors';
import type { ExchangeRecorder } from './exchangeRecorder';

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
  /** Rewrite Host to the upstream's (reverse mode); forward mode keeps the client's. */
  rewriteHost: boolean;
  timeoutMs?: number;
  recorder: ExchangeRecorder | null;
  onError(): void;
}

/** Request headers for the upstream: hop-by-hop removed (and those the Connection header names), Host, X-Forwarded-*. */
export function upstreamHeaders(raw: string[], req: http.IncomingMessage, upstream: URL, rewriteHost: boolean): string[] {
  let named: Set<string> | null = null;
  const connection = req.headers.connection;
  if (connection && connection.includes(',')) named = new Set(connection.toLowerCase().split(',').map((s) => s.trim()));
  else if (connection) named = new Set([connection.toLowerCase().trim()]);
  const out: string[] = [];
  let forwardedFor: string | null = null;
  let originalHost = '';
  let sawProto = false;
  let sawHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named !== null && named.has(lower))) continue;
    if (lower === 'host') {
      originalHost = raw[i + 1];
      out.push(name, rewriteHost ? upstream.host : raw[i + 1]);
      continue;
    }
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor ? `${forwardedFor}, ${raw[i + 1]}` : raw[i + 1];
      continue;
    }
    if (lower === 'x-forwarded-proto') sawProto = true;
    else if (lower === 'x-forwarded-host') sawHost = true;
    out.push(name, raw[i + 1]);
  }
  const ip = req.socket.remoteAddress ?? '';
  out.push('x-forwarded-for', forwardedFor ? `${forwardedFor}, ${ip}` : ip);
  if (!sawProto) out.push('x-forwarded-proto', 'http');
  if (!sawHost && originalHost) out.push('x-forwarded-host', originalHost);
  return out;
}

function responseHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!RESPONSE_DROP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  return out;
}

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
}

export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, o: ForwardOptions): void {
  const rec = o.recorder;
  const secure = o.upstream.protocol === 'https:';
  const options: https.RequestOptions = {
    protocol: o.upstream.protocol,
    hostname: o.upstream.hostname.replace(/^\[|\]$/g, ''),
    port: o.upstream.port || (secure ? 443 : 80),
    method: req.method,
    path: pathAndQuery(req.url ?? '/'),
    headers: upstreamHeaders(req.rawHeaders, req, o.upstream, o.rewriteHost) as unknown as http.OutgoingHttpHeaders,
    agent: o.agent,
  };
  if (o.rewriteHost && secure) options.servername = o.upstream.hostname;
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
    if (rec) {
      rec.responseStarted(status, proxyRes.rawHeaders);
      if (req.method !== 'HEAD' && status !== 204 && status !== 304) proxyRes.on('data', (chunk: Buffer) => rec.response.push(chunk));
      proxyRes.once('end', () => rec.responseEnded());
    }
    proxyRes.once('error', () => res.destroy());
    if (res.destroyed) {
      proxyRes.destroy();
      return;
    }
    res.writeHead(status, proxyRes.statusMessage, responseHeaders(proxyRes.rawHeaders) as unknown as http.OutgoingHttpHeaders);
    proxyRes.pipe(res);
  });

  proxyReq.on('error', (err: NodeJS.ErrnoException) => {
    if (res.destroyed || (res.writableEnded && !timedOut)) return; // the client left first: nothing to answer
    o.onError();
    const status = timedOut ? 504 : 502;
    const cause = `${timedOut ? 'upstream timed out' : 'upstream unreachable'}: ${describeError(err)}`;
    rec?.fail(cause, status);
    if (!res.headersSent) {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`chaos-testing: ${o.upstream.origin} ${cause}\n`);
    } else {
      res.destroy();
    }
  });

  res.once('close', () => {
    if (!res.writableFinished) proxyReq.destroy();
    if (rec && !rec.finished) rec.finish(res.writableFinished ? null : 'client closed the connection before the response completed');
  });

  if (hasBody(req)) {
    if (rec) req.on('data', (chunk: Buffer) => rec.request.push(chunk));
    req.once('error', () => proxyReq.destroy());
    req.pipe(proxyReq);
  } else {
    proxyReq.end();
  }
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
