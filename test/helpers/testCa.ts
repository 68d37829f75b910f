/**
 * A throwaway certificate authority for TLS tests, made with the openssl CLI: a CA certificate (PEM file, for
 * clients' --cacert / SSL_CERT_FILE / REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS) and leaf certificates it signs,
 * minted per host on demand and cached. Independent of the product's own CA (src/core/tls).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { tmpDir } from './index';

const run = promisify(execFile);

export interface Leaf {
  cert: string;
  key: string;
}

export interface TestCa {
  /** The CA certificate (PEM file). */
  certFile: string;
  certPem: string;
  /** A leaf (PEM strings) for a DNS name or IP address, signed by this CA; cached per host. */
  leaf(host: string): Promise<Leaf>;
  /** The same as a TLS context: a LeafProvider for CaptureProxy's `intercept.leaves`. */
  secureContext(host: string): Promise<tls.SecureContext>;
  /** How many leaves were actually minted (not served from the cache). */
  readonly minted: number;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A new CA in a folder of `where` (a test: removed when it ends; a path: the caller removes it). */
export async function makeTestCa(where: TestContext | string, name: string): Promise<TestCa> {
  const dir = typeof where === 'string' ? fs.mkdtempSync(path.join(where, 'ca-')) : tmpDir(where, 'chaos-ca-');
  const certFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca.key');
  await run('openssl', [
    'req', '-x509', ...EC, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ], { timeout: 30_000 });
  const leaves = new Map<string, Promise<Leaf>>();
  const contexts = new Map<string, Promise<tls.SecureContext>>();
  let minted = 0;
  const mint = async (host: string): Promise<Leaf> => {
    minted++;
    const base = path.join(dir, host.replace(/[^\w.-]/g, '_'));
    const ext = `${base}.ext`;
    const san = net.isIP(host) ? `IP:${host}` : `DNS:${host}`;
    fs.writeFileSync(ext, [
      `subjectAltName=${san}`, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid,issuer',
    ].join('\n'));
    await run('openssl', ['req', '-new', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${host}`], { timeout: 30_000 });
    await run('openssl', [
      'x509', '-req', '-in', `${base}.csr`, '-CA', certFile, '-CAkey', keyFile, '-set_serial', `0x${randomBytes(12).toString('hex')}`,
      '-days', '1', '-out', `${base}.pem`, '-extfile', ext,
    ], { timeout: 30_000 });
    return { cert: fs.readFileSync(`${base}.pem`, 'utf8'), key: fs.readFileSync(`${base}.key`, 'utf8') };
  };
  const ca: TestCa = {
    certFile,
    certPem: fs.readFileSync(certFile, 'utf8'),
    leaf(host) {
      const key = host.toLowerCase();
      let p = leaves.get(key);
      if (!p) leaves.set(key, (p = mint(key)));
      return p;
    },
    secureContext(host) {
      const key = host.toLowerCase();
      let p = contexts.get(key);
      if (!p) contexts.set(key, (p = ca.leaf(key).then((l) => tls.createSecureContext({ cert: l.cert, key: l.key }))));
      return p;
    },
    get minted() {
      return minted;
    },
  };
  return ca;
}
