/** The load report's service-time line: shown in the open model, where it differs from the headline latency. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadReport } from '../../src/core/load/report';
import { sampleLoadResult } from '../helpers/loadResult';

const serviceTime = { min: 250, p50: 1100, p90: 1400, p95: 1500, p99: 2500, 'p99.9': 9000, max: 20_000, mean: 1200 };

test('the open model reports the service time (from the write) under the latency (from the intended send)', () => {
  const base = sampleLoadResult({ serviceTime });
  const open = loadReport({ ...base, spec: { ...base.spec, model: { kind: 'open', rate: 2000, maxConnections: 50 } } });
  const lines = open.split('\n');
  const at = lines.findIndex((l) => l.startsWith('latency '));
  assert.match(lines[at + 1], /^service {3}p50 1\.100 ms {2}p90 1\.400 ms {2}p99 2\.500 ms {2}p99\.9 9\.000 ms {2}max 20\.000 ms/);
  assert.doesNotMatch(loadReport(base), /^service/m, 'closed model: the two are the same');
  assert.doesNotMatch(loadReport({ ...base, serviceTime: undefined, spec: { ...base.spec, model: { kind: 'open', rate: 1, maxConnections: 1 } } }), /^service/m, 'a stored result from before has none');
});
