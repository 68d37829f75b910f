/**
 * The desktop editor (Electron VS Code) through @vscode/test-electron. Its download cannot be reached from these
 * machines, so the test runs only when CHAOS_VSCODE_EXECUTABLE points at an installed `code` binary, and
 * otherwise skips with the reason (the same checks run in code-server by test/editor).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, startSampleBackend } from '../helpers';

const executable = process.env.CHAOS_VSCODE_EXECUTABLE;

test('desktop VS Code: the extension activates, captures through its API and lists the endpoint', async (t) => {
  if (!executable || !fs.existsSync(executable)) {
    t.skip('no desktop VS Code here: set CHAOS_VSCODE_EXECUTABLE to a `code` binary to run this (the real-editor tests use code-server)');
    return;
  }
  const { runTests } = await import('@vscode/test-electron');
  const backend = await startSampleBackend(t);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-desktop-'));
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  const code = await runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(__dirname, 'suite.js'),
    launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes'],
    extensionTestsEnv: { CHAOS_BACKEND: backend.url },
  });
  assert.equal(code, 0);
});
