// `npm run bench:audit`: precision and recall per rule over the labelled corpus (test/fixtures/compliance), then
// the audit time for a generated 10,000 exchanges + 1,000 files workspace (in a temp dir, removed after).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findingLabel, scoreByRule } from '../src/core/compliance/corpus.ts';
import { runAudit } from '../src/core/compliance/engine.ts';
import { FRAMEWORKS } from '../src/core/compliance/types.ts';
import { importHar } from '../src/core/har/import.ts';
import { syntheticDb } from '../test/helpers/trafficData.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const corpus = join(root, 'test', 'fixtures', 'compliance');
const tmp = mkdtempSync(join(tmpdir(), 'chaos-bench-audit-'));
try {
  const db = join(tmp, 'corpus.db');
  await importHar(join(corpus, 'traffic.har'), db, { enabled: false, extraFields: [] });
  const r = await runAudit({ frameworks: [...FRAMEWORKS], traffic: db, workspace: join(corpus, 'workspace'), now: Date.UTC(2025, 0, 31), imageTool: null });
  const expected = JSON.parse(readFileSync(join(corpus, 'expected.json'), 'utf8')).findings;
  console.log('rule                      TP  FP  FN  precision  recall');
  for (const [rule, s] of scoreByRule(expected, r.findings.map(findingLabel))) {
    console.log(`${rule.padEnd(24)} ${String(s.tp).padStart(3)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)}  ${s.precision.toFixed(2).padStart(9)}  ${s.recall.toFixed(2).padStart(6)}`);
  }

  // Scale: 10k synthetic exchanges, 1,000 workspace files copied from the corpus into 100 folders.
  const big = await syntheticDb(10_000);
  const bigDb = join(tmp, 'big.db');
  big.save(bigDb);
  big.close();
  const ws = join(tmp, 'ws');
  const files = [];
  const walk = (d) => readdirSync(d).forEach((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : files.push(join(d, n).slice(join(corpus, 'workspace').length + 1))));
  walk(join(corpus, 'workspace'));
  let written = 0;
  for (let i = 0; written < 1000; i++) {
    for (const f of files) {
      if (written >= 1000) break;
      const to = join(ws, `svc${i}`, f);
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(corpus, 'workspace', f), to);
      written++;
    }
  }
  const t0 = performance.now();
  const scale = await runAudit({ frameworks: [...FRAMEWORKS], traffic: bigDb, workspace: ws, imageTool: null }); // the audit itself, not a local docker's answers
  const ms = performance.now() - t0;
  console.log(`\naudit of ${scale.inputs.exchanges} exchanges + ${scale.inputs.files} files: ${(ms / 1000).toFixed(2)} s, ${scale.findings.length} findings`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
