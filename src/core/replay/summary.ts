import type { EndpointScore, LatencySummary, ReplayedExchange, ReplaySummary } from './types';

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (n: number): number => Math.round(n * 100) / 100;

export function latencySummary(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)),
  };
}

/** Endpoints that diverged or failed, by failure rate then count, at most `limit`. */
export function worstEndpoints(exchanges: ReplayedExchange[], limit = 5): EndpointScore[] {
  const by = new Map<string, EndpointScore>();
  for (const e of exchanges) {
    let s = by.get(e.endpoint);
    if (!s) by.set(e.endpoint, (s = { endpoint: e.endpoint, count: 0, diverged: 0, errors: 0, failureRate: 0 }));
    s.count++;
    if (e.verdict === 'diverged') s.diverged++;
    if (e.verdict === 'error') s.errors++;
  }
  return [...by.values()]
    .map((s) => ({ ...s, failureRate: round((s.diverged + s.errors) / s.count) }))
    .filter((s) => s.failureRate > 0)
    .sort((a, b) => b.failureRate - a.failureRate || b.diverged + b.errors - (a.diverged + a.errors) || a.endpoint.localeCompare(b.endpoint))
    .slice(0, limit);
}

export function summarize(exchanges: ReplayedExchange[], skipped: Record<string, number>, durationMs: number): ReplaySummary {
  const count = (v: ReplayedExchange['verdict']): number => exchanges.filter((e) => e.verdict === v).length;
  return {
    total: exchanges.length,
    matched: count('matched'),
    diverged: count('diverged'),
    errors: count('error'),
    skipped,
    latency: latencySummary(exchanges.map((e) => e.latencyMs)),
    worst: worstEndpoints(exchanges),
    durationMs: round(durationMs),
  };
}
