/** The generator's flat per-response recorder against hdr-histogram-js recording each value. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Recorder, slotOf } from '../../src/core/load/generator/recorder';
import { histogramOf, newHistogram, percentiles, percentilesOf } from '../../src/core/load/generator/stats';
import { seededRandom } from '../../src/core/random';

/** Latencies from 1 µs to an hour, log-spread, plus the edges of HDR's buckets. */
function latencies(seed: number, n: number): number[] {
  const random = seededRandom(seed);
  const values = [1, 2047, 2048, 2049, 4095, 4096, 3_600_000_000, 2 ** 31, 2 ** 31 + 12_345];
  for (let i = 0; i < n; i++) values.push(Math.max(1, Math.round(Math.exp(random() * Math.log(3.6e9)))));
  return values;
}

test('percentiles, mean, min and max equal hdr-histogram-js recording each value, directly and folded into it', () => {
  for (const [seed, n] of [[3, 20_000], [4, 7], [5, 1]]) {
    const values = latencies(seed, n);
    const direct = newHistogram();
    const recorder = new Recorder();
    for (const v of values) {
      direct.recordValue(v);
      recorder.record(v);
    }
    assert.deepEqual(recorder.percentiles(), percentiles(direct), `seed ${seed}`);
    const folded = histogramOf(recorder);
    assert.equal(folded.totalCount, direct.totalCount);
    assert.deepEqual(percentiles(folded), percentiles(direct));
    for (const p of [1, 10, 25, 75, 99.99]) assert.equal(folded.getValueAtPercentile(p), direct.getValueAtPercentile(p), `p${p}`);
  }
});

test("a run's figures over several recorders (endpoints) equal hdr-histogram-js recording every value", () => {
  const values = latencies(11, 9_000);
  const direct = newHistogram();
  const endpoints = [new Recorder(), new Recorder(), new Recorder()];
  values.forEach((v, i) => {
    direct.recordValue(v);
    endpoints[i % 3].record(v);
  });
  assert.deepEqual(percentilesOf(endpoints), percentiles(direct));
  assert.deepEqual(percentilesOf([endpoints[1]]), percentiles(histogramOf(endpoints[1])));
  assert.equal(endpoints[0].count, 3_003, 'the recorders given are left as they were');
});

test('seconds added into a total give the same figures as one recorder of every value; clear empties', () => {
  const values = latencies(9, 12_000);
  const whole = new Recorder();
  const total = new Recorder();
  const second = new Recorder();
  values.forEach((v, i) => {
    whole.record(v);
    second.record(v);
    if (i % 5000 === 4999) {
      // a second ends
      total.add(second);
      second.clear();
    }
  });
  total.add(second);
  second.clear();
  assert.equal(second.empty, true);
  assert.deepEqual(second.percentiles(), { p50: 0, p90: 0, p95: 0, p99: 0, 'p99.9': 0, max: 0, mean: 0, min: 0 });
  assert.equal(total.count, values.length);
  assert.deepEqual(total.percentiles(), whole.percentiles());
  second.record(5);
  assert.deepEqual([second.percentiles().min, second.percentiles().max, second.percentiles().p99], [5, 5, 5], 'nothing left over from before the clear');
});

test('slots follow HDR buckets: one unit up to 2047, then 3 significant digits', () => {
  assert.equal(slotOf(1), 1);
  assert.equal(slotOf(2047), 2047);
  assert.equal(slotOf(2048), slotOf(2049), 'values 2048-2049 share a bucket of width 2');
  assert.notEqual(slotOf(2049), slotOf(2050));
  assert.equal(slotOf(4096), slotOf(4099), 'values 4096-4099 share a bucket of width 4');
  assert.notEqual(slotOf(4096), slotOf(4100));
  assert.ok(slotOf(2 ** 32 - 1) > slotOf(2 ** 31));
});
