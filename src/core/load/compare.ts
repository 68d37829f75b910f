/** `load compare A B`: two load results side by side, with deltas and one verdict line. */
import { table } from '../textFormat';
import { errorRate, usAsMs } from './report';
import type { LoadResult } from './types';

export interface CompareRow {
  metric: string;
  a: number;
  b: number;
  /** (b - a) / a, or null when a is 0. */
  change: number | null;
  /** Whether a higher figure is better (rps) or worse (latency, errors). */
  higherIsBetter: boolean;
}

export interface LoadComparison {
  a: string;
  b: string;
  rows: CompareRow[];
  verdict: 'regressed' | 'improved' | 'unchanged';
  /** "regressed: p99 +23.4 %, rps -12.0 %" */
  summary: string;
}

/** Changes smaller than this (relative) are noise on a shared machine. */
export const SIGNIFICANT = 0.05;

const METRICS: Array<[string, (r: LoadResult) => number, boolean]> = [
  ['rps', (r) => r.rps, true],
  ['p50', (r) => r.latency.p50, false],
  ['p90', (r) => r.latency.p90, false],
  ['p99', (r) => r.latency.p99, false],
  ['p99.9', (r) => r.latency['p99.9'], false],
  ['max', (r) => r.latency.max, false],
  ['errors', (r) => errorRate(r.totals), false],
];

export function compareLoad(a: { result: LoadResult; label: string }, b: { result: LoadResult; label: string }): LoadComparison {
  const rows = METRICS.map(([metric, get, higherIsBetter]): CompareRow => {
    const x = get(a.result);
    const y = get(b.result);
    return { metric, a: x, b: y, change: x ? (y - x) / x : null, higherIsBetter };
  });
  // Judged on throughput, p99 and errors; max and p99.9 are too noisy to call a regression alone.
  const judged = rows.filter((r) => ['rps', 'p99', 'errors'].includes(r.metric));
  const worse = judged.filter((r) => isWorse(r));
  const better = judged.filter((r) => isBetter(r));
  const verdict = worse.length ? 'regressed' : better.length ? 'improved' : 'unchanged';
  const list = (rs: CompareRow[]): string => rs.map((r) => `${r.metric} ${changeText(r)}`).join(', ');
  const summary = verdict === 'regressed' ? `regressed: ${list(worse)}` : verdict === 'improved' ? `improved: ${list(better)}` : `unchanged: rps, p99 and errors within ${SIGNIFICANT * 100} %`;
  return { a: a.label, b: b.label, rows, verdict, summary };
}

/** Whether B is significantly worse than A on this row. */
export function isWorse(r: CompareRow): boolean {
  if (r.metric === 'errors') return r.b - r.a > 0.001 && (r.change === null || r.change > SIGNIFICANT);
  return r.change !== null && (r.higherIsBetter ? r.change < -SIGNIFICANT : r.change > SIGNIFICANT);
}

/** Whether B is significantly better than A on this row. */
export function isBetter(r: CompareRow): boolean {
  if (r.metric === 'errors') return r.a - r.b > 0.001;
  return r.change !== null && (r.higherIsBetter ? r.change > SIGNIFICANT : r.change < -SIGNIFICANT);
}

function changeText(r: CompareRow): string {
  if (r.metric === 'errors') return `${r.b >= r.a ? '+' : '-'}${(Math.abs(r.b - r.a) * 100).toFixed(2)} points`;
  if (r.change === null) return r.b ? 'from 0' : '±0';
  return `${r.change >= 0 ? '+' : '-'}${(Math.abs(r.change) * 100).toFixed(1)} %`;
}

function figure(metric: string, n: number): string {
  if (metric === 'rps') return `${n.toFixed(1)} req/s`;
  if (metric === 'errors') return `${(n * 100).toFixed(2)} %`;
  return usAsMs(n);
}

export function comparisonText(c: LoadComparison): string {
  const rows = c.rows.map((r) => [r.metric, figure(r.metric, r.a), figure(r.metric, r.b), changeText(r)]);
  return [table(['METRIC', `A ${c.a}`, `B ${c.b}`, 'CHANGE'], rows), '', `B vs A: ${c.summary}`].join('\n');
}
