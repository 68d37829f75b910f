/**
 * Numbers from probe samples: latency percentiles per phase (exact, over a sorted array: a run has thousands of
 * samples at most), error rates, and recovery time.
 */
import type { Phase, PhaseStats, ProbeSample } from './types';

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Latency percentiles are over successful probes (a refused connection is fast, not healthy); failures count in errorRate. */
export function phaseStats(phase: Phase, startedAt: number, endedAt: number, samples: ProbeSample[]): PhaseStats {
  const mine = samples.filter((s) => s.phase === phase);
  const errors = mine.filter((s) => !s.ok).length;
  const latencies = mine.filter((s) => s.ok).map((s) => s.latencyMs).sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    phase,
    startedAt,
    endedAt,
    probes: mine.length,
    errors,
    errorRate: mine.length ? errors / mine.length : 0,
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
  };
}

/**
 * The first sample (by send time, at or after `from`) that starts a run of `n` successes in a row, among samples
 * sent before `settledBefore` (later ones may still be in flight). undefined when there is no such run yet.
 */
export function firstRecoveredSample(samples: ProbeSample[], from: number, n: number, settledBefore = Infinity): ProbeSample | undefined {
  const ordered = samples.filter((s) => s.at >= from && s.at < settledBefore).sort((a, b) => a.at - b.at);
  let runStart = -1;
  for (let i = 0; i < ordered.length; i++) {
    if (!ordered[i].ok) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = i;
    if (i - runStart + 1 >= n) return ordered[runStart];
  }
  return undefined;
}
