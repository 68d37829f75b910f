import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import picomatch from 'picomatch';
import { UsageError } from '../errors';
import type { UpstreamTls } from './upstreamPool';

/**
 * TLS interception for forward mode (`--intercept-tls`): a CONNECT to a matching host is answered 200 and the
 * client's TLS is terminated here with a leaf certificate for the name it asked for (from the local CA); the
 * decrypted requests are then forwarded over our own TLS connection and recorded like any other.
 */

/** A TLS context (leaf certificate and key, signed by the local CA) for a host name or IP address. */
export type LeafProvider = (host: string) => Promise<tls.SecureContext>;

export interface InterceptOptions {
  leaves: LeafProvider;
  /** Host globs (picomatch) whose CONNECTs are intercepted; default: all. The others stay opaque tunnels. */
  hosts?: string[];
  /** Do not verify the upstream's certificate (noted on the session). */
  insecureUpstream?: boolean;
  /** Extra trusted CA (PEM) for upstream certificates, besides the system store. */
  upstreamCa?: string;
}

/** Which CONNECT hosts are intercepted; a clear error for a glob picomatch cannot read. */
export function interceptMatcher(hosts: string[] = []): (host: string) => boolean {
  if (!hosts.length) return () => true;
  try {
    const match = picomatch(hosts.map((h) => h.toLowerCase()), { dot: true });
    return (host) => match(host.toLowerCase());
  } catch (e) {
    throw new UsageError(`--intercept ${hosts.join(' ')}: not a host glob (${(e as Error).message}); give one like '*.example.com'`);
  }
}

/**
 * TLS for intercepted requests' own upstream connections: verified against the system store (+ upstreamCa).
 * One SecureContext for all of them: given `ca` instead, an https.Agent would parse the ~140 roots again for
 * every connection and join them all into its pool key on every request (most of the proxy's CPU).
 */
export function interceptUpstreamTls(o: InterceptOptions): UpstreamTls {
  return {
    secureContext: tls.createSecureContext({ ca: o.upstreamCa ? [...tls.rootCertificates, o.upstreamCa] : undefined }),
    rejectUnauthorized: !o.insecureUpstream,
  };
}

/** The agent for what the lean client does not take (HTTP/2 clients' requests, chunked bodies). */
export function interceptAgent(o: InterceptOptions, upstream: UpstreamTls = interceptUpstreamTls(o)): https.Agent {
  return new https.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo', noDelay: true, ...upstream });
}

/**
 * Answers the CONNECT and runs the TLS handshake on the client's socket, as a server for `host` (the CONNECT
 * host; the SNI name when the client sends one). `onSecure` gets the decrypted socket (ALPN chosen: h2 or
 * http/1.1); `onFail` a handshake that did not complete (an untrusted certificate, a client that left).
 */
export function terminateTls(
  client: Duplex,
  head: Buffer,
  host: string,
  leaves: LeafProvider,
  onSecure: (socket: tls.TLSSocket) => void,
  onFail: (cause: string) => void,
): void {
  let failed = false;
  const fail = (cause: string): void => {
    if (failed) return;
    failed = true;
    onFail(cause);
  };
  client.on('error', () => client.destroy());
  leaves(host).then(
    (context) => {
      if (client.destroyed) return fail('client left before the handshake');
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      // Bytes the client sent after the CONNECT head (its ClientHello, if it did not wait) start the TLS stream.
      if (head.length) client.unshift(head);
      (client as net.Socket).setNoDelay?.(true);
      const socket = new tls.TLSSocket(client as net.Socket, {
        isServer: true,
        secureContext: context,
        ALPNProtocols: ['h2', 'http/1.1'],
        SNICallback: (name, cb) => {
          if (name.toLowerCase() === host.toLowerCase()) cb(null, context);
          else leaves(name).then((c) => cb(null, c), (e: Error) => cb(e));
        },
      });
      let secured = false;
      socket.once('secure', () => {
        secured = true;
        // What tls.Server does on 'secure': HTTP/2 waits for the handshake while this is set (and a server socket
        // never emits the 'secureConnect' it would wait for).
        (socket as { secureConnecting?: boolean }).secureConnecting = false;
        if (!failed) onSecure(socket);
      });
      socket.on('error', (e) => {
        fail(`TLS with the client: ${e.message}`);
        socket.destroy();
      });
      socket.once('close', () => {
        if (!secured) fail('client closed during the TLS handshake');
      });
    },
    (e: Error) => {
      fail(`no certificate for ${host}: ${e.message}`);
      client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    },
  );
}

/** An upstream TLS failure that is about the certificate, worded so: "upstream certificate: self-signed certificate". */
export function certificateCause(err: Error): string | null {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (!/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/.test(code)) return null;
  return `upstream certificate: ${err.message}`;
}
