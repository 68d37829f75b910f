/**
 * The workspace's local certificate authority (`.chaos/ca/`): a CA key and certificate made on first use, and the
 * leaf certificates it signs for the hosts the capture proxy answers as (reverse mode over TLS, forward-mode
 * interception). ECDSA P-256 throughout: quick to make and to handshake. The key never leaves the machine; when the
 * workspace is a git repository its directory goes into .gitignore.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { InputError, describeError } from '../errors';
import { ensureGitIgnored } from './gitignore';
import { ensureParentDir } from '../store/atomicWrite';
import { x509 } from './x509';

export interface LocalCa {
  dir: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  fingerprint256: string;
  notAfter: Date;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
const CA_DAYS = 2 * 365;
/** Browsers and Apple clients refuse leaves valid for longer than 397 days. */
const LEAF_DAYS = 397;
const BACKDATE = 3600 * 1000;

const subtle = crypto.webcrypto.subtle as unknown as SubtleCrypto;

/** Reads the CA in `dir`; undefined when there is none. A half-made or unreadable one is an InputError. */
export async function loadCa(dir: string): Promise<LocalCa | undefined> {
  const abs = path.resolve(dir);
  const certPath = path.join(abs, 'ca.crt');
  const keyPath = path.join(abs, 'ca.key');
  const hasCert = fs.existsSync(certPath);
  const hasKey = fs.existsSync(keyPath);
  if (!hasCert && !hasKey) return undefined;
  if (!hasCert || !hasKey) throw new InputError(`${abs} has ${hasCert ? 'ca.crt but no ca.key' : 'ca.key but no ca.crt'}; run 'chaos-testing ca rotate' to make a new CA`);
  let certPem: string;
  let keyPem: string;
  let cert: crypto.X509Certificate;
  try {
    certPem = await fs.promises.readFile(certPath, 'utf8');
    keyPem = await fs.promises.readFile(keyPath, 'utf8');
    cert = new crypto.X509Certificate(certPem);
    if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) throw new Error('ca.key does not belong to ca.crt');
  } catch (e) {
    throw new InputError(`cannot use the CA in ${abs}: ${describeError(e)}; run 'chaos-testing ca rotate' to make a new one`);
  }
  return { dir: abs, certPath, keyPath, certPem, keyPem, fingerprint256: cert.fingerprint256, notAfter: new Date(cert.validTo) };
}

/** Makes the CA in `dir` unless one is there (or `force`); adds the directory to .gitignore inside a git repository. */
export async function initCa(dir: string, options: { force?: boolean } = {}): Promise<{ ca: LocalCa; created: boolean; gitignore?: string }> {
  const abs = path.resolve(dir);
  const existing = options.force ? undefined : await loadCa(abs);
  const gitignore = ensureGitIgnored(abs);
  if (existing) return { ca: existing, created: false, ...(gitignore ? { gitignore } : {}) };
  const ca = await writeNewCa(abs);
  return { ca, created: true, ...(gitignore ? { gitignore } : {}) };
}

/**
 * Replaces the CA with a new key and certificate. The old certificate is kept as ca.crt.old (to find and remove it
 * from trust stores); the old key is deleted. Leaves signed by the old CA live only in LeafCertificates objects made
 * from it: make a new one from the CA this returns.
 */
export async function rotateCa(dir: string): Promise<LocalCa> {
  const abs = path.resolve(dir);
  const certPath = path.join(abs, 'ca.crt');
  if (fs.existsSync(certPath)) await fs.promises.rename(certPath, path.join(abs, 'ca.crt.old'));
  await fs.promises.rm(path.join(abs, 'ca.key'), { force: true });
  ensureGitIgnored(abs);
  return writeNewCa(abs);
}

async function writeNewCa(abs: string): Promise<LocalCa> {
  try {
    // Not fs.mkdir's recursive mode: it never returns for a path under /proc (see ensureParentDir).
    ensureParentDir(path.join(abs, 'ca.pem'), 0o700);
  } catch (e) {
    throw new InputError(`cannot create the CA directory ${abs}: ${describeError(e)}`);
  }
  const keys = await subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [caName(abs, new Date(now))] }, { O: ['Chaos Testing'] }],
    notBefore: new Date(now - BACKDATE),
    notAfter: new Date(now + CA_DAYS * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey));
  const certPem = cert.toString('pem') + '\n';
  const keyPath = path.join(abs, 'ca.key');
  const certPath = path.join(abs, 'ca.crt');
  await writeAtomic(keyPath, keyPem, 0o600);
  await writeAtomic(certPath, certPem, 0o644);
  const parsed = new crypto.X509Certificate(certPem);
  return { dir: abs, certPath, keyPath, certPem, keyPem, fingerprint256: parsed.fingerprint256, notAfter: new Date(parsed.validTo) };
}

/** "Chaos Testing local CA (shop, 2025-01-31)": the workspace is the folder holding .chaos, else the CA dir's parent. */
function caName(abs: string, date: Date): string {
  const parts = abs.split(path.sep);
  const i = parts.lastIndexOf('.chaos');
  const workspace = i > 0 ? parts[i - 1] : path.basename(path.dirname(abs));
  return `Chaos Testing local CA (${workspace || 'workspace'}, ${date.toISOString().slice(0, 10)})`.slice(0, 64);
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fs.promises.writeFile(tmp, text, { mode });
    await fs.promises.chmod(tmp, mode);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw new InputError(`cannot write ${file}: ${describeError(e)}`);
  }
}

function serial(): string {
  const b = crypto.randomBytes(16);
  b[0] &= 0x7f; // positive
  b[0] |= 0x01; // no leading zero byte to trim
  return b.toString('hex');
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/** A host name or IP address as it goes into a certificate; brackets of [::1] removed. */
export function normalizeHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (net.isIP(h)) return h;
  if (!/^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/.test(h) || h.length > 253) {
    throw new InputError(`'${host}' is not a host name or IP address a certificate can be made for`);
  }
  return h;
}

/**
 * Leaf certificates for the hosts the proxy answers as, minted on demand from the CA and kept (least recently used
 * dropped past `capacity`). One key pair serves every leaf: minting is then one signature. Concurrent requests for
 * a host share one minting.
 */
export class LeafCertificates {
  private readonly _cache = new Map<string, Promise<tls.SecureContext>>();
  private _minted = 0;
  private _keys: Promise<{ keys: CryptoKeyPair; keyPem: string }> | undefined;
  private _issuer: Promise<{ cert: InstanceType<typeof x509.X509Certificate>; key: CryptoKey }> | undefined;

  constructor(private readonly _ca: LocalCa, private readonly _capacity = 1000) {}

  secureContext(host: string): Promise<tls.SecureContext> {
    let name: string;
    try {
      name = normalizeHost(host);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const hit = this._cache.get(name);
    if (hit) {
      this._cache.delete(name);
      this._cache.set(name, hit);
      return hit;
    }
    const minting = this._mint(name);
    this._cache.set(name, minting);
    minting.catch(() => {
      if (this._cache.get(name) === minting) this._cache.delete(name);
    });
    while (this._cache.size > this._capacity) this._cache.delete(this._cache.keys().next().value!);
    return minting;
  }

  /**
   * A leaf for all these names (e.g. localhost, 127.0.0.1, ::1) as PEM, not cached: for a server's default
   * certificate, which clients that send no SNI (IP addresses) get.
   */
  pem(hosts: string[]): Promise<{ cert: string; key: string }> {
    return this._leafPem(hosts.map(normalizeHost));
  }

  stats(): { minted: number; cached: number } {
    return { minted: this._minted, cached: this._cache.size };
  }

  clear(): void {
    this._cache.clear();
  }

  private async _mint(name: string): Promise<tls.SecureContext> {
    const { cert, key } = await this._leafPem([name]);
    return tls.createSecureContext({ cert, key });
  }

  private async _leafPem(names: string[]): Promise<{ cert: string; key: string }> {
    const name = names[0];
    this._keys ??= (async () => {
      const keys = await subtle.generateKey(ALG, true, ['sign', 'verify']);
      return { keys, keyPem: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey)) };
    })();
    this._issuer ??= (async () => {
      const der = crypto.createPrivateKey(this._ca.keyPem).export({ type: 'pkcs8', format: 'der' });
      const key = await subtle.importKey('pkcs8', der, ALG, false, ['sign']);
      return { cert: new x509.X509Certificate(this._ca.certPem), key };
    })();
    const [{ keys, keyPem }, issuer] = await Promise.all([this._keys, this._issuer]);
    const now = Date.now();
    const notAfter = Math.min(now + LEAF_DAYS * DAY - BACKDATE, this._ca.notAfter.getTime());
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: name.length <= 64 ? [{ CN: [name] }] : [{ O: ['Chaos Testing'] }],
      issuer: issuer.cert.subject,
      notBefore: new Date(now - BACKDATE),
      notAfter: new Date(notAfter),
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: issuer.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: net.isIP(n) ? ('ip' as const) : ('dns' as const), value: n }))),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
      ],
    });
    this._minted++;
    return { cert: leaf.toString('pem') + '\n', key: keyPem };
  }
}
