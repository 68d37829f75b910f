/**
 * `chaos-testing ca` and reverse mode over TLS through the built CLI: curl trusting the local CA with --cacert and
 * Node's fetch with NODE_EXTRA_CA_CERTS reach the backend through `observe --tls-self-signed`, and their exchanges
 * are stored; a client that does not trust the CA is refused; bad certificate flags are one line, exit 2.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { assertCliError, listen, openStore, queryStore, requireTool, runCli, startObserve, tmpDir, waitFor } from '../helpers';

const run = promisify(execFile);

test('ca init, show and rotate', (t) => {
  const ws = tmpDir(t);
  const init = runCli(['ca', 'init', '--json'], { cwd: ws });
  assert.equal(init.code, 0, init.stderr);
  const made = JSON.parse(init.stdout) as { created: boolean; certPath: string; fingerprint256: string };
  assert.equal(made.created, true);
  assert.equal(made.certPath, path.join(fs.realpathSync(ws), '.chaos', 'ca', 'ca.crt'));
  const again = runCli(['ca', 'init'], { cwd: ws });
  assert.match(again.stdout, /already there: .*ca\.crt/);

  const show = runCli(['ca', 'show'], { cwd: ws });
  assert.equal(show.code, 0, show.stderr);
  for (const s of [made.fingerprint256, `NODE_EXTRA_CA_CERTS=${made.certPath}`, 'REQUESTS_CA_BUNDLE=', `--cacert ${made.certPath}`, 'SSL_CERT_FILE=', 'keytool -importcert', 'update-ca-certificates', 'security add-trusted-cert', 'certutil -addstore']) {
    assert.ok(show.stdout.includes(s), `ca show mentions ${s}:\n${show.stdout}`);
  }
  const rotated = runCli(['ca', 'rotate', '--json'], { cwd: ws });
  assert.notEqual((JSON.parse(rotated.stdout) as { fingerprint256: string }).fingerprint256, made.fingerprint256);
  assertCliError(runCli(['ca', 'show', '--dir', 'elsewhere'], { cwd: ws }), 2, ["'chaos-testing ca init'"]);
  assertCliError(runCli(['ca', 'burn'], { cwd: ws }), 2, ['init, show, rotate']);
});

test('observe --tls-self-signed: curl --cacert and Node fetch with NODE_EXTRA_CA_CERTS are recorded', { timeout: 90_000 }, async (t) => {
  if (!requireTool(t, 'curl', 'curl')) return;
  const ws = tmpDir(t);
  const backend = await listen(t, http.createServer((req, res) => res.end(`backend saw ${req.method} ${req.url}`)));
  const db = path.join(ws, 'traffic.db');
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--tls-self-signed'], { cwd: ws });
  assert.match(proxy.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const caFile = path.join(ws, '.chaos', 'ca', 'ca.crt');
  assert.ok(fs.existsSync(caFile), 'the local CA was made on first use');

  const curl = await run('curl', ['-sS', '--max-time', '20', '--cacert', caFile, `${proxy.url}/via/curl?x=1`]);
  assert.equal(curl.stdout, 'backend saw GET /via/curl?x=1');
  const curlLocalhost = await run('curl', ['-sS', '--max-time', '20', '--cacert', caFile, `https://localhost:${proxy.port}/via/localhost`]);
  assert.equal(curlLocalhost.stdout, 'backend saw GET /via/localhost');
  const script = `fetch(${JSON.stringify(`${proxy.url}/via/fetch`)}, { method: 'POST', body: 'hi' }).then(async (r) => console.log(r.status, await r.text()))`;
  const node = await run(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile }, timeout: 30_000 });
  assert.equal(node.stdout.trim(), '200 backend saw POST /via/fetch');
  // Not trusting the CA: refused by curl (60: peer certificate cannot be authenticated) and never forwarded.
  await assert.rejects(run('curl', ['-sS', '--max-time', '20', `${proxy.url}/untrusted`]), (e: { code: number }) => e.code === 60);

  assert.equal(await proxy.stop(), 0);
  const store = await openStore(t, db);
  const rows = store.exchanges().map((e) => store.exchange(e.id)!);
  assert.deepEqual(rows.map((r) => [r.method, new URL(r.url).pathname, r.status]).sort(), [
    ['GET', '/via/curl', 200],
    ['GET', '/via/localhost', 200],
    ['POST', '/via/fetch', 200],
  ]);
  const [session] = await queryStore(db, 'SELECT note FROM sessions');
  assert.match(String(session.note), /listened with TLS \(https:\/\/127\.0\.0\.1:\d+, certificate: local CA .*ca\.crt\)/);
});

test('observe --tls-cert/--tls-key serves the given certificate; bad ones are one line, exit 2', async (t) => {
  const ws = tmpDir(t);
  const backend = await listen(t, http.createServer((_req, res) => res.end('ok')));
  const caDir = path.join(ws, 'ca');
  assert.equal(runCli(['ca', 'init', '--dir', caDir]).code, 0);
  const crt = path.join(caDir, 'ca.crt');
  const key = path.join(caDir, 'ca.key');
  const other = path.join(ws, 'other');
  assert.equal(runCli(['ca', 'init', '--dir', other]).code, 0);
  const base = ['observe', '--port', '0', '--target', backend.url, '--output', path.join(ws, 'x.db')];

  assertCliError(runCli([...base, '--tls-cert', path.join(ws, 'missing.pem'), '--tls-key', key]), 2, ['--tls-cert', 'missing.pem', 'no such file']);
  assertCliError(runCli([...base, '--tls-cert', key, '--tls-key', key]), 2, ['not a PEM certificate']);
  assertCliError(runCli([...base, '--tls-cert', crt, '--tls-key', path.join(other, 'ca.key')]), 2, ['the key does not belong to the certificate']);
  assertCliError(runCli([...base, '--tls-cert', crt]), 2, ['--tls-key']);
  assertCliError(runCli([...base, '--tls-cert', crt, '--tls-key', key, '--tls-self-signed']), 2, ['not both']);
  assertCliError(runCli(['observe', '--mode', 'forward', '--port', '0', '--tls-self-signed', '--output', path.join(ws, 'x.db')]), 2, ['reverse mode']);
  assert.equal(fs.existsSync(path.join(ws, 'x.db')), false, 'nothing created on a usage error');

  // A certificate of the user's own: a leaf for 127.0.0.1 from that CA, written to files.
  const { LeafCertificates, loadCa } = await import('../../src/core/tls/ca');
  const leaf = await new LeafCertificates((await loadCa(caDir))!).pem(['127.0.0.1']);
  fs.writeFileSync(path.join(ws, 'leaf.crt'), leaf.cert);
  fs.writeFileSync(path.join(ws, 'leaf.key'), leaf.key);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', path.join(ws, 'y.db'), '--tls-cert', path.join(ws, 'leaf.crt'), '--tls-key', path.join(ws, 'leaf.key')]);
  await waitFor(() => /serving TLS with .*leaf\.crt/.test(proxy.stderr()), 10_000, 'the TLS line');
  const script = `fetch(${JSON.stringify(`${proxy.url}/own`)}).then(async (r) => console.log(r.status, await r.text()))`;
  const node = await run(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: crt }, timeout: 30_000 });
  assert.equal(node.stdout.trim(), '200 ok');
  assert.equal(await proxy.stop(), 0);
});

test('forward mode with --intercept-tls: curl trusting the local CA is intercepted and its HTTPS exchange stored', { timeout: 60_000 }, async (t) => {
  if (!requireTool(t, 'curl', 'curl')) return;
  const ws = tmpDir(t);
  // The backend speaks HTTPS with a certificate from a CA nobody trusts; --insecure-upstream lets the proxy reach it.
  const { initCa, LeafCertificates } = await import('../../src/core/tls/ca');
  const backendCa = (await initCa(path.join(ws, 'backend-ca'))).ca;
  const leaf = await new LeafCertificates(backendCa).pem(['localhost']);
  const https = await import('node:https');
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => res.end(`secret ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const backendPort = (server.address() as import('node:net').AddressInfo).port;

  const db = path.join(ws, 'traffic.db');
  const proxy = await startObserve(t, ['--mode', 'forward', '--intercept-tls', '--insecure-upstream', '--output', db], { cwd: ws });
  const caFile = path.join(ws, '.chaos', 'ca', 'ca.crt');
  assert.ok(fs.existsSync(caFile), 'the local CA was made on first use');
  const url = `https://localhost:${backendPort}/inside?x=1`;
  const { stdout } = await run('curl', ['-sS', '--noproxy', '', '--proxy', proxy.url, '--cacert', caFile, url]);
  assert.equal(stdout, 'secret /inside?x=1');
  // Without trusting the local CA, curl refuses the proxy's certificate (exit 60): nothing is forced on a client.
  await assert.rejects(run('curl', ['-sS', '--noproxy', '', '--proxy', proxy.url, url]), (e: { code?: number }) => e.code === 60);
  assert.equal(await proxy.stop(), 0);
  const rows = await queryStore(db, "SELECT protocol, method, url, status FROM exchanges WHERE protocol = 'https'");
  assert.deepEqual(rows, [{ protocol: 'https', method: 'GET', url, status: 200 }]);
});
