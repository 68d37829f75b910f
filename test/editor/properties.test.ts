/**
 * Run Properties in a real VS Code (code-server in Chromium): the command asks for the target, runs and seed in
 * input boxes, runs the packaged CLI as a task against the example backend with a planted bug (traffic captured
 * through the real capture proxy first), and the Properties panel (a webview) shows the minimal sequence while the
 * violation is listed in the Problems view.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { tmpDir } from '../helpers';
import { SECRET_ENV, capturePropertiesSession, startPropertiesBackend } from '../helpers/propertiesBackend';
import { EDITOR_TEST_TIMEOUT, requireEditor, withEditor } from './harness';

test('Run Properties finds the planted use-after-free: the panel shows its minimal sequence, Problems lists it', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  // code-server (and so the extension host and the CLI it starts) inherits this: the model's redacted token.
  const before = process.env.CHAOS_SECRET_AUTHORIZATION;
  process.env.CHAOS_SECRET_AUTHORIZATION = SECRET_ENV.CHAOS_SECRET_AUTHORIZATION;
  t.after(() => (before === undefined ? delete process.env.CHAOS_SECRET_AUTHORIZATION : (process.env.CHAOS_SECRET_AUTHORIZATION = before)));
  const db = await capturePropertiesSession(t);
  const backend = await startPropertiesBackend(t, ['use-after-free']);
  const folder = tmpDir(t);
  fs.mkdirSync(path.join(folder, '.chaos'));
  fs.copyFileSync(db, path.join(folder, '.chaos', 'traffic.db'));

  await withEditor({ name: 'run-properties', folder, settings: { 'chaosTesting.capture.target': backend.url } }, async (ed) => {
    await ed.runCommand('Chaos Testing: Run Properties');
    await ed.answer(backend.url);
    await ed.answer('300');
    await ed.answer('7');
    const frame = await ed.webviewFrame((f) => f.locator('[data-testid=violation]').count().then((n) => n > 0));
    assert.equal((await frame.locator('[data-testid=verdict]').innerText()).trim(), 'Failed');
    const violation = frame.locator('[data-testid=violation]').first();
    assert.equal(await violation.getAttribute('data-check'), 'use_after_free');
    assert.deepEqual((await violation.locator('[data-testid=step-method]').allInnerTexts()).map((s) => s.trim()), ['POST', 'DELETE', 'GET']);
    assert.deepEqual((await violation.locator('[data-testid=step-status]').allInnerTexts()).map((s) => s.trim()), ['201', '204', '200']);
    assert.match(await violation.locator('[data-testid=replay]').innerText(), /--seed \d+ --path \S+/);
    await ed.screenshot('properties-panel');

    await ed.page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 } }).catch(() => undefined);
    await ed.page.keyboard.press('Control+Shift+M');
    await ed.page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'use_after_free' }).first().waitFor();
    await ed.page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'last-run.txt' }).first().waitFor();
    await ed.screenshot('properties-problems');
  });
  assert.match(fs.readFileSync(path.join(folder, '.chaos', 'properties', 'last-run.txt'), 'utf8'), /^FAILED: \d+ runs/);
});
