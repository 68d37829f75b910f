import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors';
import { holds, measure, parseSlo } from '../../src/core/load/slo';

test('SLO clauses parse with their units: latencies in µs, errors as a fraction, rps as a rate', () => {
  const c = parseSlo('p99<200ms, errors<1%,rps>=100 ,p99.9<=1.5s,mean<800us,p50<0.5ms,errors<0.02');
  assert.deepEqual(
    c.map((x) => [x.metric, x.op, x.value]),
    [['p99', '<', 200_000], ['errors', '<', 0.01], ['rps', '>=', 100], ['p99.9', '<=', 1_500_000], ['mean', '<', 800], ['p50', '<', 500], ['errors', '<', 0.02]],
  );
  assert.equal(c[0].text, 'p99<200ms');
  assert.deepEqual(parseSlo(''), []);
});

test('a bad SLO clause is a one-line InputError naming it and showing the valid form', () => {
  for (const [bad, mentions] of [
    ['p99<200ms,p98<1s', 'p98<1s'],
    ['p99 = 200ms', 'p99 = 200ms'],
    ['p99<200', 'needs a unit'],
    ['errors<1ms', 'percentage'],
    ['errors<150%', 'at most 100%'],
    ['rps>100%', 'plain number'],
  ] as const) {
    assert.throws(() => parseSlo(bad), (e: unknown) => {
      assert.ok(e instanceof InputError, `${bad}: ${String(e)}`);
      assert.ok(e.message.includes(mentions), `${bad}: ${e.message}`);
      assert.ok(!e.message.includes('\n'), e.message);
      return true;
    });
  }
  assert.throws(() => parseSlo('latency<1s'), /e\.g\. "p99<200ms"/);
});

test('clauses hold or break on the measured figures', () => {
  const [p99, errors, rps] = parseSlo('p99<200ms,errors<1%,rps>=100');
  const latency = { p50: 1, p90: 1, p95: 1, p99: 250_000, 'p99.9': 1, max: 1, mean: 1, min: 1 };
  const f = { latency, errorRate: 0.005, rps: 100 };
  assert.equal(measure(p99, f), 250_000);
  assert.equal(holds(p99, measure(p99, f)), false);
  assert.equal(holds(errors, measure(errors, f)), true);
  assert.equal(holds(rps, measure(rps, f)), true);
  assert.equal(holds(rps, 99.9), false);
});
