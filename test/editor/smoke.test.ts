/**
 * The packaged extension in a real VS Code (code-server in Chromium): the palette, notifications, Restricted Mode,
 * views and a webview, driven as a person would. Run with `npm run test:editor`; see harness.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { tmpDir } from '../helpers';
import { EDITOR_TEST_TIMEOUT, ROOT, requireEditor, withEditor } from './harness';

const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

test('Show Version from the command palette shows the version in a notification', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  await withEditor({ name: 'smoke-version', folder: tmpDir(t) }, async (ed) => {
    assert.equal(await ed.isRestricted(), false);
    await ed.runCommand('Chaos Testing: Show Version');
    const text = await ed.notification('Chaos Testing');
    assert.ok(text.includes(`Chaos Testing ${version}`), `notification: ${text}`);
    await ed.screenshot('notification');
  });
});

test('an untrusted folder opens in Restricted Mode and Show Version still works', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  await withEditor({ name: 'smoke-restricted', folder: tmpDir(t), trust: false }, async (ed) => {
    assert.equal(await ed.isRestricted(), true);
    await ed.page.getByText('Restricted Mode is intended for safe code browsing').waitFor();
    await ed.runCommand('Chaos Testing: Show Version');
    assert.ok((await ed.notification('Chaos Testing')).includes(`Chaos Testing ${version}`));
    await ed.screenshot('restricted');
  });
});

test('views, tree items, quick input and a webview (the Markdown preview of a file in the folder)', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const folder = tmpDir(t);
  fs.writeFileSync(path.join(folder, 'NOTES.md'), '# Captured Heading\n\nA paragraph under it.\n');
  await withEditor({ name: 'smoke-webview', folder }, async (ed) => {
    await ed.openView('Search');
    await ed.openView('Explorer');
    await (await ed.treeItem('NOTES.md')).click();
    await ed.openFile('NOTES.md');
    await ed.runCommand('Go to Line/Column...');
    await ed.answer(':3');
    assert.match(await ed.statusItem('status.editor.selection', 'Ln 3'), /Ln 3, Col 1/);
    await ed.runCommand('Change Language Mode');
    await ed.pick('Plain Text');
    assert.equal(await ed.statusItem('status.editor.mode', 'Plain Text'), 'Plain Text');
    await ed.runCommand('Change Language Mode');
    await ed.pick('Markdown');
    await ed.runCommand('Markdown: Open Preview');
    // The preview is a webview: outer iframe.webview, then its iframe#active-frame holds the rendered page.
    const frame = await ed.webviewFrame('Captured Heading');
    assert.equal((await frame.locator('h1').innerText()).trim(), 'Captured Heading');
    assert.match(await frame.locator('body').innerText(), /A paragraph under it\./);
    await ed.screenshot('markdown-preview');
  });
});
