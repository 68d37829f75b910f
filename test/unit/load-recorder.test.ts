/** The generator's cheap per-response recorder, folded each second, against hdr-histogram-js recording each value. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Recorder, slotOf } from '../../src/core/load/generator/recorder';
import { newHistogram, percentiles } from '../../src/core/load/generator/stats';
import { seededRandom } from '../../src/core/random';

test('folded recordings give the same histogram as recording each value (percentiles, mean, exact min and max)', () => {
  const random = seededRandom(3);
  const direct = newHistogram();
  const folded = newHistogram();
  const second = newHistogram();
  const recorder = new Recorder();
  // Latencies from 1 µs to an hour, log-spread, plus the edges of HDR's buckets.
  const values = [1, 2047, 2048, 2049, 4095, 4096, 3_600_000_000, 2 ** 31, 2 ** 31 + 12_345];
  for (let i = 0; i < 20_000; i++) values.push(Math.max(1, Math.round(Math.exp(random() * Math.log(3.6e9)))));
  values.forEach((v, i) => {
    direct.recordValue(v);
    recorder.record(v);
    if (i % 5000 === 4999) recorder.foldInto(folded, second); // a second ends
  });
  recorder.foldInto(folded, second);
  assert.equal(recorder.empty, true);
  for (const h of [folded, second]) {
    assert.equal(h.totalCount, direct.totalCount);
    assert.deepEqual(percentiles(h), percentiles(direct));
  }
  for (const p of [1, 10, 25, 50, 75, 90, 99, 99.9, 99.99]) assert.equal(folded.getValueAtPercentile(p), direct.getValueAtPercentile(p), `p${p}`);
});

test('slots follow HDR buckets: one unit up to 2047, then 3 significant digits', () => {
  assert.equal(slotOf(1), 1);
  assert.equal(slotOf(2047), 2047);
  assert.equal(slotOf(2048), slotOf(2049), 'values 2048-2049 share a bucket of width 2');
  assert.notEqual(slotOf(2049), slotOf(2050));
  assert.equal(slotOf(4096), slotOf(4097), 'values 4096-4099 share a bucket of width 4');
  assert.notEqual(slotOf(4096), slotOf(4100));
  assert.ok(slotOf(2 ** 32 - 1) > slotOf(2 ** 31));
});
