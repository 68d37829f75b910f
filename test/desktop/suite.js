// Runs inside the desktop editor's extension host (loaded by @vscode/test-electron). Plain JS: no loader there.
const assert = require('node:assert/strict');
const path = require('node:path');
const vscode = require('vscode');

exports.run = async function run() {
  const ext = vscode.extensions.getExtension('chaos-testing.chaos-testing');
  assert.ok(ext, 'the extension is installed');
  const root = await ext.activate();
  const commands = await vscode.commands.getCommands(true);
  for (const c of ['chaosTesting.startCapture', 'chaosTesting.stopCapture', 'chaosTesting.openTrafficBrowser']) assert.ok(commands.includes(c), c);
  const folder = vscode.workspace.workspaceFolders[0].uri.fsPath;
  const info = await root.capture.start(path.join(folder, '.chaos', 'traffic.db'), process.env.CHAOS_BACKEND);
  const res = await fetch(`http://${info.listen}/api/users/1`);
  assert.equal(res.status, 200);
  await root.capture.stop();
  const overview = await root.overview({});
  assert.equal(overview.total, 1);
  assert.equal(overview.hosts[0].endpoints[0].template, '/api/users/{id}');
};
