/**
 * Toxics on the HTTP proxy, one exchange at a time. `planHttpFaults` picks the toxics that hit a request (match,
 * then toxicity drawn per request); the ExchangeFaults it returns is what the forwarders consult, at four points:
 *
 *   prepareRequest  request headers as the backend gets them (http_header upstream; Content-Length of a truncated body)
 *   run             before forwarding: reset_peer with timeout 0 resets, http_abort answers, timeout holds,
 *                   http_delay waits; reset_peer with a timeout is armed
 *   requestBody     the request body through the upstream byte toxics and http_body
 *   respond         the response head (http_header downstream; timeout holds it, reset_peer resets) and a
 *                   Writable the body goes through (downstream byte toxics and http_body)
 *
 * http_abort and http_delay act on the request whatever their stream. timeout holds (0 = until the client gives
 * up) and reset_peer resets the client connection `timeout` ms into the request (upstream) or after the response
 * head (downstream), unless the exchange completed first. Timers die with the exchange.
 */
import type * as http from 'node:http';
import type { Socket } from 'node:net';
import { Writable, type Readable, type Transform } from 'node:stream';
import type { ExchangeRecorder } from '../capture/exchangeRecorder';
import { CorruptBody, TruncateBody } from './httpBody';
import type { ToxicEntry } from './toxicList';
import { createToxicTransform, type Stream, type Toxic } from './toxics';

/** The toxics that hit this request, or null (the common case: nothing to do). */
export function planHttpFaults(entries: readonly ToxicEntry[], method: string, path: string): ExchangeFaults | null {
  let hits: Toxic[] | null = null;
  for (const e of entries) {
    if (e.matches !== null && !e.matches(method, path)) continue;
    if (!(Math.random() < e.toxic.toxicity)) continue;
    (hits ??= []).push(e.toxic);
  }
  return hits === null ? null : new ExchangeFaults(hits);
}

const BODY_TYPES = new Set(['latency', 'bandwidth', 'slicer', 'limit_data', 'slow_close', 'http_body']);
const n = (t: Toxic, key: string): number => t.attributes[key] as number;
const s = (t: Toxic, key: string): string => t.attributes[key] as string;

export class ExchangeFaults {
  /** For the recorded exchange: which toxics hit it, e.g. `faults: slow (http_delay)`. */
  readonly note: string;
  private readonly _timers: NodeJS.Timeout[] = [];

  constructor(readonly hits: readonly Toxic[]) {
    this.note = `faults: ${hits.map((t) => `${t.name} (${t.type})`).join(', ')}`;
  }

  private _of(type: string, stream?: Stream): Toxic[] {
    return this.hits.filter((t) => t.type === type && (stream === undefined || t.stream === stream));
  }

  private _body(stream: Stream): Toxic[] {
    return this.hits.filter((t) => t.stream === stream && BODY_TYPES.has(t.type));
  }

  private _later(ms: number, fn: () => void): void {
    this._timers.push(setTimeout(fn, ms));
  }

  /** Rewrites req.rawHeaders (what both forwarding paths read) as the backend should get them. */
  prepareRequest(req: http.IncomingMessage): void {
    let raw = applyHeaderToxics(req.rawHeaders, this._of('http_header', 'upstream'));
    const body = this._body('upstream');
    if (body.length) {
      const declared = contentLength(raw);
      const length = truncatedLength(body, declared);
      if (declared >= 0 && length !== declared) raw = withContentLength(raw, length);
    }
    req.rawHeaders = raw;
  }

  /** Request-level faults; calls `forward` unless a fault answers, holds or resets the request. */
  run(req: http.IncomingMessage, res: http.ServerResponse, rec: ExchangeRecorder | null, forward: () => void): void {
    res.once('close', () => {
      for (const t of this._timers) clearTimeout(t);
      if (rec && !rec.finished) rec.finish(res.writableFinished ? null : 'client closed the connection before the response completed');
    });
    const reset = this._of('reset_peer', 'upstream')[0];
    if (reset && n(reset, 'timeout') === 0) {
      rec?.finish('the connection was reset by a fault');
      resetSocket(req.socket);
      return;
    }
    const abort = this._of('http_abort')[0];
    if (abort) {
      const body = Buffer.from(s(abort, 'body'));
      const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)];
      rec?.responseStarted(n(abort, 'status'), headers);
      if (body.length) rec?.response.push(body);
      rec?.responseEnded();
      res.writeHead(n(abort, 'status'), headers as unknown as http.OutgoingHttpHeaders).end(body);
      rec?.finish(null);
      return;
    }
    const hold = this._of('timeout', 'upstream')[0];
    if (hold) {
      if (n(hold, 'timeout') > 0) this._later(n(hold, 'timeout'), () => req.socket.destroy());
      return;
    }
    let delay = 0;
    for (const t of this._of('http_delay')) delay += Math.max(0, n(t, 'delay') + (n(t, 'jitter') ? (Math.random() * 2 - 1) * n(t, 'jitter') : 0));
    const go = (): void => {
      if (res.destroyed) return;
      if (reset) this._later(n(reset, 'timeout'), () => resetSocket(req.socket));
      forward();
    };
    if (delay > 0) this._later(delay, go);
    else go();
  }

  /** The request body as the backend should get it: `req` itself, or the end of a chain of transforms. */
  requestBody(req: http.IncomingMessage): Readable {
    const toxics = this._body('upstream');
    if (!toxics.length) return req;
    const chain = buildChain(toxics, contentLength(req.rawHeaders), req.socket);
    let src: Readable = req;
    for (const t of chain.transforms) src = src.pipe(t);
    req.once('close', () => {
      if (!req.complete) for (const t of chain.transforms) t.destroy();
    });
    return src;
  }

  /** Writes the response head as the client should get it; returns the Writable the body goes to. */
  respond(res: http.ServerResponse, status: number, statusMessage: string, rawHeaders: string[], isHead: boolean): Writable {
    const socket = res.socket;
    const hold = this._of('timeout', 'downstream')[0];
    if (hold) {
      if (n(hold, 'timeout') > 0) this._later(n(hold, 'timeout'), () => socket?.destroy());
      return discard();
    }
    const reset = this._of('reset_peer', 'downstream')[0];
    if (reset) {
      if (n(reset, 'timeout') === 0) {
        if (socket) resetSocket(socket);
        return discard();
      }
      this._later(n(reset, 'timeout'), () => socket && resetSocket(socket));
    }
    let headers = applyHeaderToxics(rawHeaders, this._of('http_header', 'downstream'));
    const toxics = isHead || status === 204 || status === 304 ? [] : this._body('downstream');
    if (!toxics.length) {
      res.writeHead(status, statusMessage, headers as unknown as http.OutgoingHttpHeaders);
      return res;
    }
    const declared = contentLength(headers);
    const chain = buildChain(toxics, declared, socket);
    if (declared >= 0 && chain.length !== declared) headers = withContentLength(headers, chain.length);
    res.writeHead(status, statusMessage, headers as unknown as http.OutgoingHttpHeaders);
    let src: Readable = chain.transforms[0];
    for (const t of chain.transforms.slice(1)) src = src.pipe(t);
    if (chain.cut && chain.length >= 0) {
      // limit_data: fewer bytes than announced, then the connection ends (the client sees a cut response).
      let sent = 0;
      src.on('data', (c: Buffer) => (sent += c.length));
      res.once('finish', () => sent < chain.length && res.socket?.destroySoon());
    }
    src.pipe(res);
    res.once('close', () => {
      for (const t of chain.transforms) t.destroy();
    });
    return chain.transforms[0];
  }
}

/** The transforms for a body, in the order the toxics were added, and the body's length after them (-1 unknown). */
function buildChain(toxics: Toxic[], declared: number, socket: Socket | null): { transforms: Transform[]; length: number; cut: boolean } {
  const link = { reset: () => socket && resetSocket(socket), close: () => socket?.destroy() };
  const transforms: Transform[] = [];
  let length = declared;
  let cut = false;
  for (const t of toxics) {
    if (t.type !== 'http_body') {
      transforms.push(createToxicTransform(t, link));
      if (t.type === 'limit_data') {
        cut = true;
        length = length < 0 ? -1 : Math.min(length, n(t, 'bytes'));
      }
    } else if (s(t, 'mode') === 'truncate') {
      transforms.push(new TruncateBody(n(t, 'bytes')));
      if (length >= 0) length = Math.min(length, n(t, 'bytes'));
    } else {
      transforms.push(new CorruptBody(n(t, 'fraction'), n(t, 'seed'), length));
    }
  }
  // limit_data cuts: the announced length stays (declared), so the client sees the cut.
  return { transforms, length: cut ? declared : length, cut };
}

function truncatedLength(toxics: Toxic[], declared: number): number {
  let length = declared;
  for (const t of toxics) if (t.type === 'http_body' && s(t, 'mode') === 'truncate' && length >= 0) length = Math.min(length, n(t, 'bytes'));
  return length;
}

/** http_header toxics over flat [name, value, ...] headers: set (replace or add), replace (only if present), remove. */
export function applyHeaderToxics(raw: string[], toxics: Toxic[]): string[] {
  let out = raw;
  for (const t of toxics) {
    const name = s(t, 'header');
    const lower = name.toLowerCase();
    const action = s(t, 'action');
    let present = false;
    const next: string[] = [];
    for (let i = 0; i < out.length; i += 2) {
      if (out[i].toLowerCase() === lower) present = true;
      else next.push(out[i], out[i + 1]);
    }
    if (action === 'replace' && !present) continue;
    if (action !== 'remove') next.push(name, s(t, 'value'));
    out = next;
  }
  return out;
}

function contentLength(raw: string[]): number {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 14 && raw[i].toLowerCase() === 'content-length') {
      const v = Number(raw[i + 1]);
      return Number.isInteger(v) && v >= 0 ? v : -1;
    }
  }
  return -1;
}

function withContentLength(raw: string[], length: number): string[] {
  const out = raw.slice();
  for (let i = 0; i < out.length; i += 2) if (out[i].length === 14 && out[i].toLowerCase() === 'content-length') out[i + 1] = String(length);
  return out;
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

/** Where a held or reset response's body goes. */
function discard(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}
