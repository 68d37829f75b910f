import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadVerdict } from '../../src/core/load/report';
import type { LoadResult } from '../../src/core/load/types';

function result(kind: LoadResult['spec']['profile']['kind'], passed: boolean, extra: Partial<LoadResult> = {}): LoadResult {
  return { passed, spec: { profile: { kind, from: 1, stages: [] } }, ...extra } as unknown as LoadResult;
}

test('a stress run that found its breaking point above the first step has done its job; one that broke at once has not', () => {
  const found = { lastGoodLevel: 300, lastGoodRps: 298, brokeAtLevel: 400, reason: 'p99<50ms' };
  assert.equal(loadVerdict(result('stress', false, { breakingPoint: found })), 'breaking-point');
  assert.equal(loadVerdict(result('stress', false, { breakingPoint: { ...found, lastGoodLevel: 0 } })), 'failed');
  assert.equal(loadVerdict(result('ramp-up', false, { breakingPoint: found })), 'failed');
});

test('a cancel or a refused target is never a pass; a run that met its SLO passes', () => {
  assert.equal(loadVerdict(result('constant', true)), 'passed');
  assert.equal(loadVerdict(result('constant', true, { stopped: 'cancelled' })), 'incomplete');
  assert.equal(loadVerdict(result('soak', false, { stopped: 'cancelled' })), 'failed');
  assert.equal(loadVerdict(result('constant', true, { stopped: 'the target refused every connection' })), 'incomplete');
});
