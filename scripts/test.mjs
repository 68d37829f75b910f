// Runs the test suites with node's own test runner, TypeScript loaded by tsx. The real-editor tests
// (test/editor) run last, through scripts/test-editor.mjs (packages the extension, loopback-only network).
//   node scripts/test.mjs                 all of test/
//   node scripts/test.mjs test/unit       one folder (or files)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// test/fixtures holds sample suites for other runners (e.g. a vitest generated.test.ts): never collected.
function collect(p) {
  if (statSync(p).isFile()) return [p];
  return readdirSync(p).sort().flatMap((n) => {
    const full = join(p, n);
    if (statSync(full).isDirectory()) return n === 'fixtures' || n === 'node_modules' ? [] : collect(full);
    return n.endsWith('.test.ts') ? [full] : [];
  });
}

const args = process.argv.slice(2);
const roots = args.filter((a) => !a.startsWith('-'));
const files = (roots.length ? roots : ['test']).flatMap(collect);
if (!files.length) {
  console.error('no test files found');
  process.exit(1);
}
const flags = args.filter((a) => a.startsWith('-'));
const isEditor = (f) => relative(process.cwd(), resolve(f)).startsWith(join('test', 'editor') + sep);
const suites = files.filter((f) => !isEditor(f));
const editor = files.filter(isEditor);
const reporter = process.env.TEST_REPORTER ?? 'spec';
let status = 0;
if (suites.length) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...flags, ...suites],
    { stdio: 'inherit' },
  );
  status = r.status ?? 1;
}
if (editor.length) {
  console.log('\ntest: real-editor phase (code-server in Chromium)');
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('test-editor.mjs', import.meta.url)), ...flags, ...editor], { stdio: 'inherit' });
  status ||= r.status ?? 1;
}
process.exit(status);
