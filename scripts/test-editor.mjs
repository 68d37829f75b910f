// Runs the real-editor tests (test/editor/*.test.ts, see test/editor/harness.ts) after packaging the extension.
// Where `unshare -n` works (root), the whole test process runs in a loopback-only network namespace, so
// code-server, Chromium and any backend a test starts share 127.0.0.1 and reach nothing else.
//   node scripts/test-editor.mjs [files…] [--node-test-flags…]      (npm run test:editor builds first)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
let files = args.filter((a) => !a.startsWith('-'));
if (!files.length) files = readdirSync(join(root, 'test', 'editor')).filter((n) => n.endsWith('.test.ts')).sort().map((n) => join('test', 'editor', n));

const started = Date.now();
const pack = spawnSync('npm', ['run', '--silent', 'package:vsix'], { cwd: root, encoding: 'utf8' });
if (pack.status !== 0) {
  process.stderr.write(`${pack.stdout}${pack.stderr}test-editor: packaging the extension failed\n`);
  process.exit(1);
}

const test = [
  process.execPath, '--import', 'tsx', '--test', `--test-reporter=${process.env.TEST_REPORTER ?? 'spec'}`,
  // One editor at a time: each is a code-server and a Chromium on 2 cores.
  '--test-concurrency=1', ...flags, ...files,
];
let r;
if (spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' }).status === 0) {
  console.log('test-editor: running in a loopback-only network namespace');
  r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...test], { cwd: root, stdio: 'inherit' });
} else {
  console.log('test-editor: note: no network namespace (unshare -n needs root and iproute2); running on the host network');
  r = spawnSync(test[0], test.slice(1), { cwd: root, stdio: 'inherit' });
}
console.log(`test-editor: ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(r.status ?? 1);
