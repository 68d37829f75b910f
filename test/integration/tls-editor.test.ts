/**
 * The editor's side of HTTPS capture, over the fake editor API and the real engine child: "Trust Capture
 * Certificate…" (asks before making the CA, shows the instructions, copies the Node line), refused in Restricted
 * Mode, and a capture with chaosTesting.capture.tls = localCa that clients reach over HTTPS, with a lock in the
 * status bar.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { EngineClient } from '../../src/core/engine/engineClient';
import { ChaosExtension, type PanelOpeners } from '../../src/extension/chaosExtension';
import { fakeVscode, type FakeVscode } from '../helpers/fakeVscode';
import { ROOT, startSampleBackend, tmpDir, waitFor } from '../helpers';

function start(t: TestContext, fake: FakeVscode): ChaosExtension {
  const panels: PanelOpeners = { showExchange: () => undefined, showBrowser: () => undefined };
  const ext = new ChaosExtension(fake.api, fake.context as never, panels, new EngineClient({ entry: path.join(ROOT, 'dist', 'engine.js') }));
  t.after(async () => {
    const engine = ext.engine;
    ext.dispose();
    await engine.dispose();
  });
  return ext;
}

test('Trust Capture Certificate…: asks before making the CA, shows the instructions, copies the Node line', async (t) => {
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder });
  start(t, fake);
  const certPath = path.join(folder, '.chaos', 'ca', 'ca.crt');

  fake.answers.button.push(undefined); // dismissed: nothing made
  await fake.run('chaosTesting.trustCaptureCertificate');
  assert.match(fake.shown[0].message, /make a local certificate authority/);
  assert.equal(fs.existsSync(certPath), false);
  assert.equal(fake.documents.length, 0);

  fake.answers.button.push('Create Certificate', 'Copy NODE_EXTRA_CA_CERTS Line');
  await fake.run('chaosTesting.trustCaptureCertificate');
  assert.ok(fs.existsSync(certPath));
  assert.equal(fs.statSync(path.join(folder, '.chaos', 'ca', 'ca.key')).mode & 0o777, 0o600);
  const doc = fake.documents.at(-1)!;
  assert.equal(fake.documentLanguages.at(-1), 'markdown');
  const fingerprint = new (await import('node:crypto')).X509Certificate(fs.readFileSync(certPath)).fingerprint256;
  for (const s of [certPath, fingerprint, `NODE_EXTRA_CA_CERTS=${certPath}`, 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'keytool', 'update-ca-certificates', 'certutil']) {
    assert.ok(doc.includes(s), `the instructions mention ${s}`);
  }
  assert.equal(fake.clipboard, `NODE_EXTRA_CA_CERTS=${certPath}`);

  // Made already: no question this time; Open Folder reveals the certificate.
  const asked = fake.shown.filter((s) => /make a local certificate authority/.test(s.message)).length;
  fake.answers.button.push('Open Folder');
  await fake.run('chaosTesting.trustCaptureCertificate');
  assert.equal(fake.shown.filter((s) => /make a local certificate authority/.test(s.message)).length, asked);
  const reveal = fake.executed.find((e) => e.command === 'revealFileInOS');
  assert.equal((reveal?.args[0] as { fsPath: string }).fsPath, certPath);
});

test('Trust Capture Certificate… is refused in Restricted Mode', async (t) => {
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder, trusted: false });
  start(t, fake);
  await fake.run('chaosTesting.trustCaptureCertificate');
  assert.equal((await fake.waitForMessage(/Restricted Mode/)).level, 'warning');
  assert.equal(fs.existsSync(path.join(folder, '.chaos', 'ca')), false);
});

test('a capture with chaosTesting.capture.tls = localCa listens over HTTPS and shows a lock', async (t) => {
  const backend = await startSampleBackend(t);
  const folder = tmpDir(t);
  const fake = fakeVscode({ folder, settings: { 'chaosTesting.capture.port': 0, 'chaosTesting.capture.tls': 'localCa' } });
  const ext = start(t, fake);
  fake.answers.input.push(backend.url);
  await fake.run('chaosTesting.startCapture');
  const info = ext.capture.info!;
  assert.equal(info.tls, 'reverse');
  await fake.waitForMessage(/capturing https:\/\/127\.0\.0\.1:\d+ →/);
  assert.match(fake.statusBar.text, /^\$\(record\) \$\(lock\) /);

  const ca = fs.readFileSync(path.join(folder, '.chaos', 'ca', 'ca.crt'));
  const status = await new Promise<number>((resolve, reject) => {
    https.get(`https://${info.listen}/api/users`, { ca }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    }).once('error', reject);
  });
  assert.equal(status, 200);
  await waitFor(() => fake.statusBar.text.endsWith('· 1'), 10_000, `status bar count (${fake.statusBar.text})`);
  await fake.run('chaosTesting.stopCapture');
  await fake.waitForMessage(/captured 1 exchanges/);
});
