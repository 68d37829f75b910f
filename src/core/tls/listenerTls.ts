/** The certificate a capture listener serves when it speaks HTTPS itself (reverse mode over TLS). */
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { UsageError, describeError } from '../errors';

export interface ListenerTls {
  cert: string;
  key: string;
  /** Where the certificate came from, for the session note and status lines. */
  source: string;
}

export type ListenerTlsRequest = { certFile: string; keyFile: string } | { selfSigned: true; caDir: string; host: string };

export async function listenerTls(request: ListenerTlsRequest): Promise<ListenerTls> {
  if ('selfSigned' in request) {
    const { initCa, LeafCertificates } = await import('./ca');
    const { ca } = await initCa(request.caDir);
    const hosts = ['localhost', '127.0.0.1', '::1'];
    if (!['0.0.0.0', '::', ...hosts].includes(request.host)) hosts.unshift(request.host);
    const { cert, key } = await new LeafCertificates(ca).pem(hosts);
    return { cert, key, source: `local CA ${ca.certPath}` };
  }
  const read = (file: string, flag: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`${flag} ${file}: cannot read it (${describeError(e)}); give a PEM file`);
    }
  };
  const cert = read(request.certFile, '--tls-cert');
  const key = read(request.keyFile, '--tls-key');
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--tls-cert ${request.certFile} is not a PEM certificate (no BEGIN CERTIFICATE line)`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new UsageError(`--tls-key ${request.keyFile} is not a PEM private key (no BEGIN PRIVATE KEY line)`);
  try {
    tls.createSecureContext({ cert, key });
  } catch (e) {
    const why = /KEY_VALUES_MISMATCH|key values mismatch/i.test(describeError(e)) ? 'the key does not belong to the certificate' : describeError(e).split('\n')[0];
    throw new UsageError(`--tls-cert ${request.certFile} / --tls-key ${request.keyFile}: ${why}`);
  }
  return { cert, key, source: request.certFile };
}
