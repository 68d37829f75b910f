/** A made-up but consistent ExperimentResult (2 s baseline, 1 s fault with failures, recovery) for the editor's tests. */
import type { ExperimentResult, ProbeSample } from '../../src/core/chaos/types';

export function sampleResult(overrides: Partial<ExperimentResult> = {}): ExperimentResult {
  const samples: ProbeSample[] = [];
  for (let at = 0; at < 4000; at += 50) {
    const phase = at < 2000 ? 'baseline' : at < 3000 ? 'fault' : 'recovery';
    const ok = !(phase === 'fault' && at % 200 === 0) && !(phase === 'recovery' && at < 3150);
    samples.push({ at, phase, ok, latencyMs: phase === 'fault' ? 210 + (at % 7) : 5 + (at % 3), status: ok ? 200 : undefined, error: ok ? undefined : 'ECONNRESET' });
  }
  return {
    title: 'Redis slows down',
    file: '/w/.chaos/experiments/slow-redis.yaml',
    status: 'completed',
    dryRun: false,
    startedAt: '2026-11-29T21:00:00.000Z',
    durationMs: 4321,
    hypothesisBefore: [{ probe: 'health', ok: true, status: 200, latencyMs: 4.2, detail: 'status 200, $.status = ok' }],
    hypothesisAfter: [{ probe: 'health', ok: true, status: 200, latencyMs: 5.1, detail: 'status 200, $.status = ok' }],
    hypothesisHeld: true,
    recoveredSuccessfully: true,
    recoveryTimeMs: 1234,
    consecutiveSuccesses: 3,
    errorRateDuringFailure: 0.25,
    phases: [
      { phase: 'baseline', startedAt: 0, endedAt: 2000, probes: 40, errors: 0, errorRate: 0, p50: 6, p95: 7, p99: 7.5 },
      { phase: 'fault', startedAt: 2000, endedAt: 3000, probes: 20, errors: 5, errorRate: 0.25, p50: 213, p95: 216, p99: 321.5 },
      { phase: 'recovery', startedAt: 3000, endedAt: 4000, probes: 20, errors: 3, errorRate: 0.15, p50: 6, p95: 7, p99: 8 },
    ],
    samples,
    timeline: [
      { at: 0, kind: 'hypothesis', name: 'before', ok: true },
      { at: 2000, kind: 'action', name: 'slow redis', detail: 'latency 200 ms on redis' },
      { at: 3000, kind: 'rollback', name: 'slow redis', ok: true },
      { at: 4234, kind: 'recovered', name: '3 consecutive successes' },
    ],
    rollbacks: [{ action: 'slow redis', ok: true }],
    ...overrides,
  };
}
