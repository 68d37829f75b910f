/**
 * The local CA: files and modes, idempotent init, rotation, .gitignore in a real git repository, and leaf
 * certificates checked by Node's own TLS (a real tls.Server choosing the leaf per SNI, real clients).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { test, type TestContext } from 'node:test';
import { LeafCertificates, initCa, loadCa, rotateCa, type LocalCa } from '../../src/core/tls/ca';
import { requireTool, tmpDir } from '../helpers';

test('init makes a CA key (0600) and certificate, a second init keeps them, rotate replaces them', async (t) => {
  const dir = path.join(tmpDir(t), 'ws', '.chaos', 'ca');
  const first = await initCa(dir);
  assert.equal(first.created, true);
  assert.equal(fs.statSync(first.ca.keyPath).mode & 0o777, 0o600);
  const cert = new crypto.X509Certificate(fs.readFileSync(first.ca.certPath));
  assert.equal(cert.ca, true);
  assert.match(cert.subject, /Chaos Testing local CA \(ws\\?, \d{4}-\d{2}-\d{2}\)/);
  assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(first.ca.keyPath))));
  const years = (first.ca.notAfter.getTime() - Date.now()) / (365 * 24 * 3600e3);
  assert.ok(years > 1.9 && years <= 2.01, `validity ${years} years`);

  const second = await initCa(dir);
  assert.equal(second.created, false);
  assert.equal(second.ca.fingerprint256, first.ca.fingerprint256);
  assert.equal((await loadCa(dir))!.keyPem, first.ca.keyPem);

  const rotated = await rotateCa(dir);
  assert.notEqual(rotated.fingerprint256, first.ca.fingerprint256);
  assert.equal(fs.readFileSync(path.join(dir, 'ca.crt.old'), 'utf8'), first.ca.certPem);
  assert.equal(fs.statSync(rotated.keyPath).mode & 0o777, 0o600);
  assert.equal((await loadCa(dir))!.fingerprint256, rotated.fingerprint256);
  assert.equal(await loadCa(path.join(tmpDir(t), 'none')), undefined);
});

test('a damaged CA is a one-line error naming the fix', async (t) => {
  const dir = tmpDir(t);
  await initCa(dir);
  fs.writeFileSync(path.join(dir, 'ca.key'), 'not a key');
  await assert.rejects(loadCa(dir), /cannot use the CA in .*ca rotate/);
  fs.rmSync(path.join(dir, 'ca.key'));
  await assert.rejects(loadCa(dir), /has ca\.crt but no ca\.key/);
});

/** A TLS server that picks the leaf by SNI; answers 'ok' to whoever completes the handshake. */
async function sniServer(t: TestContext, leaves: LeafCertificates, defaultHost?: string): Promise<number> {
  const fallback = defaultHost ? await leaves.pem([defaultHost]) : undefined;
  const server = tls.createServer(
    { ...fallback, SNICallback: (host, cb) => leaves.secureContext(host).then((c) => cb(null, c), (e: Error) => cb(e)) },
    (s) => s.end('ok'),
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Connects and reports whether the server's certificate verified, and its subject alt names. */
function handshake(port: number, options: tls.ConnectionOptions): Promise<{ ok: boolean; error?: string; san?: string; data?: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', ...options });
    let data = '';
    s.setTimeout(10_000, () => s.destroy(new Error('timeout')));
    s.on('data', (c: Buffer) => (data += c.toString()));
    s.once('end', () => resolve({ ok: true, san: s.getPeerCertificate().subjectaltname, data }));
    s.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, error: e.code ?? e.message }));
  });
}

async function ca(t: TestContext): Promise<LocalCa> {
  return (await initCa(tmpDir(t))).ca;
}

test('a minted leaf verifies against the CA for a host name and for an IP; without the CA it does not', async (t) => {
  const local = await ca(t);
  const leaves = new LeafCertificates(local);
  const port = await sniServer(t, leaves, '127.0.0.1');

  const named = await handshake(port, { servername: 'api.example.test', ca: local.certPem });
  assert.deepEqual([named.ok, named.data, named.san], [true, 'ok', 'DNS:api.example.test']);
  // No SNI for an IP address: the server's default certificate, minted for 127.0.0.1, is checked as an iPAddress.
  const ip = await handshake(port, { ca: local.certPem });
  assert.deepEqual([ip.ok, ip.san], [true, 'IP Address:127.0.0.1']);
  const wrongName = await handshake(port, { servername: 'api.example.test', ca: local.certPem, checkServerIdentity: (_h, c) => tls.checkServerIdentity('other.test', c) });
  assert.equal(wrongName.ok, false);
  const untrusted = await handshake(port, { servername: 'api.example.test' });
  assert.equal(untrusted.ok, false);
  assert.match(untrusted.error!, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED/);

  const leaf = new crypto.X509Certificate((await leaves.pem(['api.example.test'])).cert);
  assert.ok(leaf.verify(new crypto.X509Certificate(local.certPem).publicKey));
  assert.equal(leaf.ca, false);
  assert.ok(leaf.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), `serverAuth EKU: ${String(leaf.keyUsage)}`);
  const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / (24 * 3600e3);
  assert.ok(days <= 397, `leaf validity ${days} days`);
  assert.ok(Date.parse(leaf.validFrom) <= Date.now() - 3500e3, 'backdated about an hour');
});

test('openssl verifies a leaf for serverAuth against the CA', async (t) => {
  if (!requireTool(t, 'openssl', 'openssl')) return;
  const local = await ca(t);
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'leaf.pem'), (await new LeafCertificates(local).pem(['localhost', '::1'])).cert);
  const r = spawnSync('openssl', ['verify', '-CAfile', local.certPath, '-purpose', 'sslserver', '-x509_strict', path.join(dir, 'leaf.pem')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('leaves are cached per host, least recently used dropped, and concurrent requests mint once', async (t) => {
  const leaves = new LeafCertificates(await ca(t), 3);
  const a = await leaves.secureContext('a.test');
  assert.equal(await leaves.secureContext('A.TEST'), a);
  assert.deepEqual(leaves.stats(), { minted: 1, cached: 1 });

  const [b1, b2, b3] = await Promise.all([leaves.secureContext('b.test'), leaves.secureContext('b.test'), leaves.secureContext('b.test')]);
  assert.ok(b1 === b2 && b2 === b3);
  assert.deepEqual(leaves.stats(), { minted: 2, cached: 2 });

  await leaves.secureContext('c.test');
  await leaves.secureContext('a.test'); // a is now the most recent: b goes first
  await leaves.secureContext('d.test');
  assert.deepEqual(leaves.stats(), { minted: 4, cached: 3 });
  assert.equal(await leaves.secureContext('a.test'), a);
  assert.notEqual(await leaves.secureContext('b.test'), b1);
  assert.equal(leaves.stats().minted, 5);
  await assert.rejects(leaves.secureContext('not a host'), /not a host name or IP address/);
});

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('inside a git repository the CA directory is added to .gitignore once, and nothing is staged', async (t) => {
  if (!requireTool(t, 'git', 'git')) return;
  const repo = tmpDir(t);
  git(repo, 'init', '-q');
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules'); // no final newline
  const sub = path.join(repo, 'services', 'api');
  fs.mkdirSync(sub, { recursive: true });
  const dir = path.join(sub, '.chaos', 'ca');

  const first = await initCa(dir);
  assert.equal(first.gitignore, path.join(repo, '.gitignore'));
  assert.equal(fs.readFileSync(path.join(repo, '.gitignore'), 'utf8'), 'node_modules\n# Chaos Testing local CA (private key): never commit\n/services/api/.chaos/ca/\n');
  assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=all').split('\n').filter((l) => l.includes('.chaos')).length, 0);
  assert.equal(git(repo, 'diff', '--cached', '--name-only'), '');

  await initCa(dir);
  await rotateCa(dir);
  assert.equal(fs.readFileSync(path.join(repo, '.gitignore'), 'utf8').match(/\.chaos\/ca/g)?.length, 1);

  // Already ignored by a broader pattern: left alone.
  const other = tmpDir(t);
  git(other, 'init', '-q');
  fs.writeFileSync(path.join(other, '.gitignore'), '.chaos/\n');
  const r = await initCa(path.join(other, '.chaos', 'ca'));
  assert.equal(r.gitignore, undefined);
  assert.equal(fs.readFileSync(path.join(other, '.gitignore'), 'utf8'), '.chaos/\n');
});
