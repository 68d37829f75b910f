// Runs the test suites with node's own test runner, TypeScript loaded by tsx.
//   node scripts/test.mjs                 all of test/
//   node scripts/test.mjs test/unit       one folder (or files)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(p) {
  if (statSync(p).isFile()) return [p];
  return readdirSync(p).sort().flatMap((n) => {
    const full = join(p, n);
    if (statSync(full).isDirectory()) return collect(full);
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
const reporter = process.env.TEST_REPORTER ?? 'spec';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...args.filter((a) => a.startsWith('-')), ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
