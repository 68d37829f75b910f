/** `load compare`: deltas and the verdict; results found by run id in a real store or by file; wrong refs refused. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { compareLoad, comparisonText } from '../../src/core/load/compare';
import { planSpec } from '../../src/core/load/plan';
import { readLoadResult, saveLoadResultFile, storeLoadRun } from '../../src/core/load/results';
import type { LoadResult } from '../../src/core/load/types';
import { TrafficDb } from '../../src/core/store/database';
import { tmpDir } from '../helpers';

function result(rps: number, p99: number, errors = 0, completed = 10_000): LoadResult {
  const latency = { p50: p99 / 4, p90: p99 / 2, p95: p99 * 0.8, p99, 'p99.9': p99 * 2, max: p99 * 3, mean: p99 / 3, min: 10 };
  return {
    kind: 'load', spec: planSpec({ target: 'http://127.0.0.1:3000' }), mixSource: 'GET /', startedAt: Date.UTC(2026, 0, 1), finishedAt: Date.UTC(2026, 0, 1) + 30_000,
    totals: { sent: completed, completed, errors, errorsByKind: errors ? { '5xx': errors } : {}, bytesRead: 1 }, rps, latency, endpoints: [], timeline: [], slo: [], passed: true,
  };
}

test('a slower, lower-throughput run is a regression naming each figure; a faster one an improvement; noise is unchanged', () => {
  const a = { result: result(1000, 20_000), label: 'run 1' };
  const worse = compareLoad(a, { result: result(800, 26_000, 200), label: 'run 2' });
  assert.equal(worse.verdict, 'regressed');
  assert.equal(worse.summary, 'regressed: rps -20.0 %, p99 +30.0 %, errors +2.00 points');
  const rps = worse.rows.find((r) => r.metric === 'rps')!;
  assert.deepEqual([rps.a, rps.b, rps.change], [1000, 800, -0.2]);
  const text = comparisonText(worse);
  assert.match(text, /^METRIC\s+A run 1\s+B run 2\s+CHANGE$/m);
  assert.match(text, /^p99\s+20\.000 ms\s+26\.000 ms\s+\+30\.0 %$/m);
  assert.match(text, /B vs A: regressed: /);

  assert.equal(compareLoad(a, { result: result(1300, 15_000), label: 'b' }).summary, 'improved: rps +30.0 %, p99 -25.0 %');
  assert.equal(compareLoad(a, { result: result(1020, 20_500), label: 'b' }).verdict, 'unchanged');
});

test('results are found by run id in the database and by file; other runs and other files are refused', async (t) => {
  const dir = tmpDir(t);
  const database = path.join(dir, 'traffic.db');
  assert.match(await storeLoadRun(result(1, 1), database), /^not stored in a database: there is none at /);
  const db = await TrafficDb.open(database, { create: true });
  db.addRun({ kind: 'replay', spec: {}, result: {}, startedAt: 1, finishedAt: 2 });
  db.save();
  db.close();
  assert.match(await storeLoadRun(result(1234, 5000), database), /^stored as run 2 in /);
  const byId = await readLoadResult('2', database);
  assert.equal(byId.result.rps, 1234);
  assert.equal(byId.label, 'run 2');
  await assert.rejects(readLoadResult('1', database), /run 1 in .* is a replay run, not a load run/);
  await assert.rejects(readLoadResult('9', database), /has no run 9; give a load run's id or a result file/);

  const file = saveLoadResultFile(result(999, 1000), dir);
  assert.match(path.basename(file), /^load-2026-01-01T00-00-00-000Z\.json$/);
  assert.equal((await readLoadResult(file, database)).result.rps, 999);
  const other = path.join(dir, 'other.json');
  writeFileSync(other, '{"kind":"replay"}');
  await assert.rejects(readLoadResult(other, database), /other\.json is not a load result/);
  await assert.rejects(readLoadResult(path.join(dir, 'missing.json'), database), /cannot read .*missing\.json \(no such file or folder\)/);
});
