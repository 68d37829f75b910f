/** A LoadResult as `chaos-testing load` prints it: a 5-second ramp-up whose p99 SLO broke at seconds 4–5. */
import type { LoadResult, LoadTick } from '../../src/core/load/types';

export function sampleTick(second: number, o: Partial<LoadTick> = {}): LoadTick {
  const p99 = 2000 + second * 40_000; // µs: 42 ms at 1 s, 202 ms at 5 s
  return {
    second,
    level: second * 10,
    sent: second * 100,
    completed: second * 100 - (second === 5 ? 3 : 0),
    rps: second * 100,
    errors: second === 5 ? 3 : 0,
    errorsByKind: second === 5 ? { '5xx': 2, timeout: 1 } : {},
    latency: { min: 300, p50: 1500 + second * 100, p90: 3000, p95: 5000, p99, 'p99.9': p99 + 5000, max: p99 + 20_000, mean: 2000 },
    ...o,
  };
}

export function sampleLoadResult(o: Partial<LoadResult> = {}): LoadResult {
  const timeline = [1, 2, 3, 4, 5].map((s) => sampleTick(s));
  return {
    kind: 'load',
    spec: {
      name: 'checkout ramp-up',
      target: 'http://127.0.0.1:3000',
      model: { kind: 'closed', connections: 50 },
      profile: { kind: 'ramp-up', from: 10, stages: [{ durationMs: 5000, target: 50 }] },
      durationMs: 5000,
      maxRequests: 1_000_000,
      timeoutMs: 5000,
      slo: [],
      allowRemote: false,
      insecure: false,
    },
    mixSource: 'traffic .chaos/traffic.db (session 1, 40 exchanges, 2 endpoints)',
    startedAt: Date.parse('2026-11-29T21:00:00Z'),
    finishedAt: Date.parse('2026-11-29T21:00:05Z'),
    totals: { sent: 1500, completed: 1497, errors: 3, errorsByKind: { '5xx': 2, timeout: 1 }, bytesRead: 3_145_728 },
    rps: 299.4,
    latency: { min: 300, p50: 1800, p90: 3000, p95: 5000, p99: 182_000, 'p99.9': 187_000, max: 222_000, mean: 2000 },
    endpoints: [
      { endpoint: 'GET /api/orders', requests: 1000, errors: 2, latency: { min: 300, p50: 1700, p90: 2900, p95: 4800, p99: 150_000, 'p99.9': 160_000, max: 200_000, mean: 1900 } },
      { endpoint: 'POST /api/orders', requests: 500, errors: 1, latency: { min: 400, p50: 2100, p90: 3300, p95: 5400, p99: 190_000, 'p99.9': 195_000, max: 222_000, mean: 2200 } },
    ],
    timeline,
    slo: [
      { clause: 'p99<200ms', passed: false, actual: 182_000, brokeAt: { fromSecond: 4, toSecond: 5, actual: 202_000 } },
      { clause: 'errors<1%', passed: true, actual: 0.002 },
    ],
    passed: false,
    breakingPoint: { lastGoodLevel: 30, lastGoodRps: 300, brokeAtLevel: 40, reason: 'p99<200ms broke' },
    drift: { p99Start: 42_000, p99End: 202_000, errorRateStart: 0, errorRateEnd: 0.006, rssStartBytes: 50 * 1024 * 1024, rssEndBytes: 80 * 1024 * 1024 },
    stored: 'stored as run 3 in .chaos/traffic.db',
    ...o,
  };
}
