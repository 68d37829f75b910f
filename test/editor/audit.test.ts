/**
 * Run Compliance Audit in a real VS Code (code-server in Chromium) over a copy of the labelled corpus: the findings
 * in files are in the Problems view with their control ids, the Dockerfile's quick fix (Ctrl+.) adds USER to the
 * file, and the Compliance panel (a webview) lists the traffic findings with masked evidence and the per-framework
 * summary; a finding's exchange link opens the exchange panel.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { importHar } from '../../src/core/har/import';
import { ROOT, tmpDir } from '../helpers';
import { EDITOR_TEST_TIMEOUT, requireEditor, until, withEditor } from './harness';

const CORPUS = path.join(ROOT, 'test', 'fixtures', 'compliance');

test('Run Compliance Audit: Problems with control ids, a quick fix that edits the Dockerfile, the Compliance panel', { timeout: EDITOR_TEST_TIMEOUT }, async (t) => {
  if (!requireEditor(t)) return;
  const folder = tmpDir(t);
  fs.cpSync(path.join(CORPUS, 'workspace'), folder, { recursive: true });
  fs.mkdirSync(path.join(folder, '.chaos'));
  await importHar(path.join(CORPUS, 'traffic.har'), path.join(folder, '.chaos', 'traffic.db'), { enabled: false, extraFields: [] });

  await withEditor({ name: 'run-audit', folder }, async (ed) => {
    await ed.runCommand('Chaos Testing: Run Compliance Audit');
    await ed.pick('All frameworks');
    const frame = await ed.webviewFrame((f) => f.locator('[data-testid=audit]').count().then((n) => n > 0));
    assert.match(await frame.locator('[data-testid=observe-note]').innerText(), /covers only the controls it can observe/);
    assert.equal(await frame.locator('[data-testid=framework]').count(), 5);
    const pan = frame.locator('[data-testid=traffic-finding][data-rule=pan-exposed]').first();
    assert.match(await pan.locator('[data-testid=evidence]').innerText(), /411111\*{6}1111/);
    await ed.screenshot('audit-panel');

    await ed.page.keyboard.press('Control+Shift+M');
    await ed.page.locator('.markers-panel .monaco-list-row').filter({ hasText: '[PCI-DSS 7.2.1, 7.2.2, NIST AC-6, SOC 2 CC6.3, HIPAA 164.312(a)(1)] Container runs as root' }).first().waitFor();
    await ed.screenshot('audit-problems');

    // A traffic finding's exchange link opens the exchange panel on it.
    await pan.locator('[data-testid=exchange-link]').click();
    const exchange = await ed.webviewFrame((f) => f.locator('[data-testid=url]').count().then((n) => n > 0));
    assert.equal((await exchange.locator('[data-testid=url]').innerText()).trim(), 'https://shop.example.com/cards/1');
    await ed.screenshot('audit-exchange');

    // The quick fix on the Dockerfile's FROM line, as a person applies it: Ctrl+. then the fix, then save.
    await ed.openFile('Dockerfile');
    await ed.page.locator('.monaco-editor .view-lines').first().click();
    await ed.page.keyboard.press('Control+Home');
    await ed.page.keyboard.press('Control+.');
    // The preferred fix is focused in the menu ("Enter to Apply"); a pointer block covers the menu for clicks.
    await ed.page.locator('.action-widget .monaco-list-row.focused').filter({ hasText: 'Fix: add USER 10001 before the command runs' }).first().waitFor();
    await ed.page.keyboard.press('Enter');
    await ed.page.keyboard.press('Control+S');
    await until(() => fs.readFileSync(path.join(folder, 'Dockerfile'), 'utf8').includes('USER 10001\nCMD ['), 'the fix to reach the file');
    await ed.screenshot('audit-quick-fix');
  });
});
