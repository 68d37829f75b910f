/** The text faces of a load run: the status line printed each second and the final report. */
import { bytes, table, truncate } from '../textFormat';
import { loadVerdict } from './verdict';
import type { ErrorKind, LoadVerdict, LatencyPercentiles, LoadResult, LoadTick, SloClause } from './types';

const TRANSPORT: ErrorKind[] = ['timeout', 'reset', 'refused', 'other'];

/** µs → "12.345 ms": milliseconds with microsecond precision. */
export function usAsMs(us: number): string {
  return `${(us / 1000).toFixed(3)} ms`;
}

/** Errors over answered requests plus those that got no answer (0 when nothing was sent). */
export function errorRate(totals: LoadResult['totals']): number {
  const transport = TRANSPORT.reduce((s, k) => s + (totals.errorsByKind[k] ?? 0), 0);
  const denominator = totals.completed + transport;
  return denominator ? totals.errors / denominator : 0;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)} %`;
}

function kinds(byKind: Partial<Record<ErrorKind, number>>): string {
  return Object.entries(byKind).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ');
}

export function statusLine(t: LoadTick, totalSeconds: number): string {
  const errors = t.errors ? `  errors ${t.errors} (${kinds(t.errorsByKind)})` : '  errors 0';
  const rss = t.targetRssBytes !== undefined ? `  rss ${bytes(t.targetRssBytes)}` : '';
  return `load ${t.second > totalSeconds ? 'end' : `${t.second}/${totalSeconds}s`}  level ${round(t.level)}  ${Math.round(t.rps)} req/s  p50 ${usAsMs(t.latency.p50)}  p99 ${usAsMs(t.latency.p99)}${errors}${rss}`;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** An SLO threshold or measured figure in the clause's units. */
export function sloFigure(metric: SloClause['metric'], value: number): string {
  if (metric === 'errors') return percent(value);
  if (metric === 'rps') return `${value.toFixed(1)} req/s`;
  return usAsMs(value);
}

function latencyRow(l: LatencyPercentiles): string[] {
  return [usAsMs(l.p50), usAsMs(l.p90), usAsMs(l.p99), usAsMs(l['p99.9']), usAsMs(l.max)];
}

export function loadReport(r: LoadResult): string {
  const seconds = (r.finishedAt - r.startedAt) / 1000;
  const model = r.spec.model.kind === 'closed' ? `${r.spec.model.connections} connections (closed model)` : `${r.spec.model.rate} req/s (open model, up to ${r.spec.model.maxConnections} connections)`;
  const lines = [
    `${r.spec.name}: ${r.spec.profile.kind} to ${model} for ${(r.spec.durationMs / 1000).toFixed(0)} s against ${r.spec.target}`,
    `mix: ${r.mixSource}`,
  ];
  if (r.stopped) lines.push(`STOPPED: ${r.stopped}`);
  lines.push('');
  const t = r.totals;
  lines.push(`requests  ${t.sent} sent, ${t.completed} completed in ${seconds.toFixed(1)} s: ${r.rps.toFixed(1)} req/s, ${bytes(t.bytesRead)} read`);
  if (t.unsent) lines.push(`unsent    ${t.unsent} arrivals still waiting for a free connection at the end (every connection busy: raise --connections, or the target is slower than the rate)`);
  lines.push(`errors    ${t.errors} (${percent(errorRate(t))})${t.errors ? `: ${kinds(t.errorsByKind)}` : ''}`);
  const l = r.latency;
  lines.push(`latency   p50 ${usAsMs(l.p50)}  p90 ${usAsMs(l.p90)}  p99 ${usAsMs(l.p99)}  p99.9 ${usAsMs(l['p99.9'])}  max ${usAsMs(l.max)}`);
  // The open model's latency counts from the intended send time; the service time from the write (as wrk does).
  const s = r.serviceTime;
  if (s && r.spec.model.kind === 'open') lines.push(`service   p50 ${usAsMs(s.p50)}  p90 ${usAsMs(s.p90)}  p99 ${usAsMs(s.p99)}  p99.9 ${usAsMs(s['p99.9'])}  max ${usAsMs(s.max)}  (from the write; latency counts from the intended send)`);
  if (r.endpoints.length) {
    lines.push('');
    const rows = [...r.endpoints].sort((a, b) => b.requests - a.requests).map((e) => [truncate(e.endpoint, 48), e.requests, e.errors, ...latencyRow(e.latency)]);
    lines.push(table(['ENDPOINT', 'REQUESTS', 'ERRORS', 'P50', 'P90', 'P99', 'P99.9', 'MAX'], rows));
  }
  if (r.slo.length) {
    lines.push('');
    for (const v of r.slo) {
      const clause = r.spec.slo.find((c) => c.text === v.clause);
      const fig = (n: number): string => (clause ? sloFigure(clause.metric, n) : String(n));
      const broke = v.brokeAt ? `; broke in seconds ${v.brokeAt.fromSecond}-${v.brokeAt.toSecond} (${fig(v.brokeAt.actual)})` : '';
      lines.push(`SLO ${v.clause.padEnd(16)} ${v.passed ? 'pass' : 'FAIL'}  measured ${fig(v.actual)}${broke}`);
    }
  }
  if (r.breakingPoint) {
    const b = r.breakingPoint;
    let line: string;
    if (b.brokeAtLevel === null) line = `breaking point: not reached; the last level ${round(b.lastGoodLevel)} (${b.lastGoodRps.toFixed(1)} req/s) still met the SLO`;
    else if (b.lastGoodLevel <= 0) line = `breaking point: below the first step; level ${round(b.brokeAtLevel)} already broke the SLO (${b.reason}); start lower with --from`;
    else line = `breaking point: ${b.lastGoodRps.toFixed(1)} req/s at level ${round(b.lastGoodLevel)}; level ${round(b.brokeAtLevel)} broke it (${b.reason})`;
    lines.push('', line);
  }
  if (r.drift) {
    const d = r.drift;
    const rss = d.rssStartBytes !== undefined && d.rssEndBytes !== undefined ? `, target RSS ${bytes(d.rssStartBytes)} → ${bytes(d.rssEndBytes)}` : '';
    lines.push('', `drift (first vs last third): p99 ${usAsMs(d.p99Start)} → ${usAsMs(d.p99End)}, errors ${percent(d.errorRateStart)} → ${percent(d.errorRateEnd)}${rss}`);
  }
  lines.push('', `${verdictWord(loadVerdict(r))}${r.stored ? `  (${r.stored})` : ''}`);
  return lines.join('\n');
}

function verdictWord(v: LoadVerdict): string {
  return v === 'breaking-point' ? 'BREAKING POINT FOUND' : v.toUpperCase();
}

export { loadVerdict };
