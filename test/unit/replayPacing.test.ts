import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer, sleep } from '../../src/core/replay/pacing';

test('as-recorded pacing keeps the recorded gap, capped', async () => {
  const pacer = new Pacer({ mode: 'as-recorded', maxGapMs: 300 });
  assert.equal(await pacer.next(1_000), true);
  let t = performance.now();
  await pacer.next(1_150); // recorded 150 ms later
  const short = performance.now() - t;
  t = performance.now();
  await pacer.next(61_150); // a minute later: capped at 300 ms
  const capped = performance.now() - t;
  assert.ok(short >= 140, `short gap took ${short} ms`);
  assert.ok(capped >= 290 && capped < 5_000, `a capped gap took ${capped} ms`);
});

test('pacing stops waiting when aborted', async () => {
  const controller = new AbortController();
  const pacer = new Pacer({ mode: 'rate', perSecond: 0.01 }); // one request per 100 s
  await pacer.next(0, controller.signal);
  setTimeout(() => controller.abort(), 50);
  const t = performance.now();
  assert.equal(await pacer.next(0, controller.signal), false);
  assert.ok(performance.now() - t < 10_000);
  assert.equal(await sleep(10, controller.signal), false);
});
