import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { UpstreamTls } from './upstreamPool';

/** Origins remembered as HTTP/1.1-only; past this many the memory starts again (a long forward capture). */
const KNOWN_H1_MAX = 4_096;
/** How long a new upstream connection may take (TCP + TLS) when no upstream timeout is set. */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The HTTP/2 sessions of intercepted h2 clients' upstreams: one per origin, reused by every stream to it. A new
 * origin is reached over TLS offering h2 and http/1.1 (ALPN); when it picks http/1.1 the answer is null and the
 * origin is remembered, so its requests take the HTTP/1.1 path without asking again.
 */
export class UpstreamH2Sessions {
  private readonly _sessions = new Map<string, Promise<http2.ClientHttp2Session | null>>();
  private readonly _h1 = new Set<string>();
  private readonly _open = new Set<http2.ClientHttp2Session>();

  constructor(private readonly _tls: UpstreamTls, private readonly _timeoutMs = 0) {}

  /** The origin's h2 session (made on first use), or null when it speaks HTTP/1.1 only. Rejects when it cannot be reached. */
  session(origin: URL): Promise<http2.ClientHttp2Session | null> {
    const key = origin.origin;
    if (this._h1.has(key)) return Promise.resolve(null);
    const known = this._sessions.get(key);
    if (known) return known;
    const made = this._connect(origin);
    this._sessions.set(key, made);
    const forget = (): void => {
      if (this._sessions.get(key) === made) this._sessions.delete(key);
    };
    made.then((session) => {
      if (session === null) {
        forget();
        if (this._h1.size >= KNOWN_H1_MAX) this._h1.clear();
        this._h1.add(key);
        return;
      }
      this._open.add(session);
      // A GOAWAY (the server is done with it) or a closed connection: the next stream opens a new session.
      session.once('goaway', forget);
      session.once('close', () => {
        forget();
        this._open.delete(session);
      });
    }, forget);
    return made;
  }

  /** Ends every session now (the proxy is closing; its client streams are gone or going). */
  destroy(): void {
    for (const s of this._open) s.destroy();
    this._open.clear();
    this._sessions.clear();
  }

  private _connect(origin: URL): Promise<http2.ClientHttp2Session | null> {
    const host = origin.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host,
        port: Number(origin.port) || 443,
        servername: net.isIP(host) ? undefined : host,
        ALPNProtocols: ['h2', 'http/1.1'],
        secureContext: this._tls.secureContext,
        rejectUnauthorized: this._tls.rejectUnauthorized,
      });
      const timeoutMs = this._timeoutMs || CONNECT_TIMEOUT_MS;
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)));
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.setTimeout(0);
        socket.off('error', reject);
        if (socket.alpnProtocol !== 'h2') {
          socket.destroy();
          resolve(null);
          return;
        }
        socket.setNoDelay(true);
        const session = http2.connect(origin.origin, { createConnection: () => socket });
        // Failures reach the streams that were open; a session error must not take the proxy down.
        session.on('error', () => session.destroy());
        resolve(session);
      });
    });
  }
}
