import type * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Writable } from 'node:stream';
import { answerUpstreamError, hasBody, pathAndQuery, upstreamHeaders, type ForwardOptions } from './forward';

/**
 * One intercepted HTTP/2 client stream forwarded as a stream of the upstream's HTTP/2 session (upstreamH2.ts):
 * the same outcomes as the HTTP/1.1 path (the response relayed, 502/504 with the cause, the upstream stream
 * cancelled when the client leaves, the recorder told each step), with the version of both legs recorded as 2.
 */

// Connection-specific headers are not allowed in HTTP/2 (RFC 9113 §8.2.2); Host becomes :authority.
const H2_DROP = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

export function forwardH2(req: http.IncomingMessage, res: http.ServerResponse, session: http2.ClientHttp2Session, o: ForwardOptions): void {
  const rec = o.recorder;
  if (rec) rec.upstreamHttpVersion = '2';
  const withBody = hasBody(req);
  let stream: http2.ClientHttp2Stream;
  try {
    stream = session.request(h2RequestHeaders(req, o.upstream), { endStream: !withBody });
  } catch (e) {
    // The session closed between being handed out and this request (GOAWAY, a dead connection).
    answerUpstreamError(res, o, e as Error, false);
    return;
  }
  let timedOut = false;
  if (o.timeoutMs) {
    stream.setTimeout(o.timeoutMs, () => {
      timedOut = true;
      stream.destroy(new Error(`no answer within ${o.timeoutMs} ms`));
    });
  }
  stream.on('error', (err) => answerUpstreamError(res, o, err, timedOut));

  stream.once('response', (headers) => {
    const status = Number(headers[':status'] ?? 502);
    const raw = flatHeaders(headers);
    if (rec) rec.responseStarted(status, raw);
    if (clientGone(res)) {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      return;
    }
    let out: Writable = res;
    if (o.faults !== null) out = o.faults.respond(res, status, '', raw, req.method === 'HEAD');
    else res.writeHead(status, raw as unknown as http.OutgoingHttpHeaders);
    const resume = (): void => {
      stream.resume();
    };
    stream.on('data', (chunk: Buffer) => {
      rec?.response.push(chunk);
      if (!out.write(chunk)) {
        stream.pause();
        out.once('drain', resume);
      }
    });
    // gRPC and the like answer in trailers; pass them on when nothing stands between (faults re-frame the body).
    if (o.faults === null) stream.once('trailers', (trailers) => res.addTrailers(trailerObject(trailers)));
    stream.once('end', () => {
      rec?.responseEnded();
      out.end();
    });
  });

  res.once('close', () => {
    if (!res.writableFinished && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    if (rec && !rec.finished) rec.finish(res.writableFinished ? null : 'client closed the connection before the response completed');
  });

  if (withBody) {
    const body = o.faults === null ? req : o.faults.requestBody(req);
    if (rec) body.on('data', (chunk: Buffer) => rec.request.push(chunk));
    req.once('error', () => stream.close(http2.constants.NGHTTP2_CANCEL));
    body.pipe(stream);
  }
}

/** The client's request as HTTP/2 headers for the upstream: the common header rules, then Host as :authority. */
function h2RequestHeaders(req: http.IncomingMessage, upstream: URL): http2.OutgoingHttpHeaders {
  const flat = upstreamHeaders(req.rawHeaders, req, upstream, false);
  const headers: http2.OutgoingHttpHeaders = {
    ':method': req.method ?? 'GET',
    ':scheme': 'https',
    ':authority': upstream.host,
    ':path': pathAndQuery(req.url ?? '/'),
  };
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i].toLowerCase();
    if (name === 'host') headers[':authority'] = flat[i + 1];
    if (H2_DROP.has(name)) continue;
    const had = headers[name];
    headers[name] = had === undefined ? flat[i + 1] : [...(Array.isArray(had) ? had : [String(had)]), flat[i + 1]];
  }
  // The one TE an HTTP/2 request may carry (gRPC needs it).
  if (/\btrailers\b/i.test(String(req.headers.te ?? ''))) headers.te = 'trailers';
  return headers;
}

/** Response headers without pseudo-headers, as flat [name, value, ...] (what the recorder and writeHead take). */
function flatHeaders(headers: http2.IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    if (name[0] === ':') continue;
    const value = headers[name];
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else if (value !== undefined) out.push(name, String(value));
  }
  return out;
}

function trailerObject(trailers: http2.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(trailers)) if (name[0] !== ':' && value !== undefined) out[name] = value;
  return out;
}

/** Whether the client's HTTP/2 stream is already gone (its compat response has no `destroyed`). */
function clientGone(res: http.ServerResponse): boolean {
  return (res as unknown as http2.Http2ServerResponse).stream?.destroyed ?? res.destroyed;
}
