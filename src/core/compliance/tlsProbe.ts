import * as tls from 'node:tls';
import type { TlsProbe } from './rules/rule';

/**
 * One TLS handshake with `host:port`, accepting any protocol the server offers (down to TLS 1.0, at OpenSSL
 * security level 0), so a server that still speaks a deprecated version or cipher is seen doing it.
 */
export function probeTls(host: string, port: number, timeoutMs = 5000): Promise<TlsProbe> {
  const target = `${host}:${port}`;
  return new Promise((resolve) => {
    let settled = false;
    const done = (p: TlsProbe): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(p);
    };
    const socket = tls.connect({
      host,
      port,
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      ciphers: 'ALL:@SECLEVEL=0',
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const validTo = cert && cert.valid_to ? Date.parse(cert.valid_to) : NaN;
      done({
        target,
        protocol: socket.getProtocol() ?? null,
        cipher: socket.getCipher()?.name ?? null,
        validTo: Number.isNaN(validTo) ? null : validTo,
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
        error: null,
      });
    });
    const fail = (e: Error | string): void => done({ target, protocol: null, cipher: null, validTo: null, authorized: false, authorizationError: null, error: typeof e === 'string' ? e : e.message });
    socket.once('error', fail);
    socket.once('timeout', () => fail(`no TLS handshake within ${timeoutMs} ms`));
  });
}

/** host:port of every https origin in a list of URLs, once each. */
export function httpsTargets(urls: Iterable<string>): Array<{ host: string; port: number }> {
  const seen = new Map<string, { host: string; port: number }>();
  for (const url of urls) {
    if (!url.startsWith('https://')) continue;
    try {
      const u = new URL(url);
      const host = u.hostname.replace(/^\[|\]$/g, '');
      const port = Number(u.port || 443);
      seen.set(`${host}:${port}`, { host, port });
    } catch { /* not a URL */ }
  }
  return [...seen.values()];
}
