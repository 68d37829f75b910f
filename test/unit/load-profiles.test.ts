import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors';
import { buildProfile, levelAt, profileDurationMs, stressStepAt } from '../../src/core/load/profiles';

const D = 100_000;

test('every profile adds up to its duration', () => {
  for (const kind of ['constant', 'ramp-up', 'spike', 'soak'] as const) {
    assert.equal(profileDurationMs(buildProfile(kind, { from: 10, to: 100, durationMs: D, model: 'open' })), D, kind);
  }
  assert.ok(profileDurationMs(buildProfile('stress', { from: 10, to: 100, durationMs: D, model: 'open' })) <= D);
});

test('constant is flat at its level', () => {
  const p = buildProfile('constant', { to: 50, durationMs: D, model: 'closed' });
  for (const t of [0, 1, D / 2, D - 1, D + 10]) assert.equal(levelAt(p, t), 50);
});

test('ramp-up climbs from → to, then holds the top', () => {
  const p = buildProfile('ramp-up', { from: 10, to: 110, durationMs: D, model: 'open' });
  assert.equal(levelAt(p, 0), 10);
  assert.equal(levelAt(p, 0.4 * D), 60);
  assert.equal(levelAt(p, 0.8 * D), 110);
  assert.equal(levelAt(p, 0.95 * D), 110);
  let prev = -1;
  for (let t = 0; t <= D; t += 1000) {
    assert.ok(levelAt(p, t) >= prev);
    prev = levelAt(p, t);
  }
});

test('spike: baseline, a sudden jump to the peak, hold, back to the baseline', () => {
  const p = buildProfile('spike', { from: 20, to: 500, durationMs: D, model: 'open' });
  assert.equal(levelAt(p, 0.1 * D), 20);
  assert.equal(levelAt(p, 0.35 * D), 500);
  assert.equal(levelAt(p, 0.8 * D), 20);
  // the jump takes 2 % of the run, not a ramp over it
  assert.equal(levelAt(p, 0.25 * D - 1), 20);
  assert.equal(levelAt(p, 0.27 * D), 500);
});

test('soak: a short ramp, then a long hold at the level', () => {
  const p = buildProfile('soak', { to: 200, durationMs: 3_600_000, model: 'open' });
  assert.equal(levelAt(p, 60_000), 200, 'the ramp is at most a minute');
  assert.equal(levelAt(p, 3_000_000), 200);
  assert.ok(levelAt(p, 10_000) < 200);
});

test('stress: flat steps from → max, each whole seconds, with the step described', () => {
  const p = buildProfile('stress', { from: 100, to: 1000, durationMs: 20_000, model: 'open' });
  assert.equal(p.step?.maxLevel, 1000);
  assert.equal(p.step?.every, 2000);
  const levels = Array.from({ length: 10 }, (_, i) => levelAt(p, i * 2000 + 1000));
  assert.deepEqual(levels, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  assert.equal(levelAt(p, 2999), 200, 'flat within a step');
  assert.deepEqual(stressStepAt(p, 4500), { index: 2, startMs: 4000, endMs: 6000, level: 300 });
  const closed = buildProfile('stress', { from: 1, to: 8, durationMs: 8000, model: 'closed', stepEveryMs: 2000 });
  assert.deepEqual(closed.stages.filter((_, i) => i % 2).map((s) => s.target), [1, 3, 6, 8]);
});

test('bad profile bounds are InputErrors', () => {
  assert.throws(() => buildProfile('ramp-up', { to: 0, durationMs: D, model: 'open' }), InputError);
  assert.throws(() => buildProfile('ramp-up', { to: 5, durationMs: 0, model: 'open' }), InputError);
  assert.throws(() => buildProfile('wave' as 'spike', { to: 5, durationMs: D, model: 'open' }), /constant, ramp-up, spike, soak, stress/);
});

test('a profile that climbs refuses a start above its target; constant takes no start', () => {
  for (const kind of ['ramp-up', 'spike', 'soak', 'stress'] as const) {
    assert.throws(() => buildProfile(kind, { from: 10, to: 5, durationMs: 10_000, model: 'closed' }), /start \(from\) 10 is above the target \(to\) 5/, kind);
  }
  assert.equal(buildProfile('ramp-up', { from: 5, to: 5, durationMs: 10_000, model: 'closed' }).from, 5);
  assert.equal(buildProfile('constant', { from: 10, to: 5, durationMs: 10_000, model: 'closed' }).from, 5);
});
