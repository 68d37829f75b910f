import { ms, table, truncate } from '../textFormat';
import type { ReplayResult } from './types';

/** The text report of a replay (the CLI's output, the editor's Show Report): one line per exchange (reasons indented below), the summary, the worst endpoints. */
export function replayReport(r: ReplayResult): string {
  const lines: string[] = [];
  const via = r.faults.length ? ` through ${r.sentTo} with faults: ${r.faults.map(describeToxic).join('; ')}` : '';
  lines.push(`replay of ${r.database}${r.sessionId !== null ? ` (session ${r.sessionId})` : ''} against ${r.target}${via}`);
  lines.push('');
  const rows: Array<Array<string | number>> = [];
  for (const e of r.exchanges) {
    const status = e.status === null ? '-' : e.status === e.recordedStatus ? String(e.status) : `${e.status} (was ${e.recordedStatus})`;
    rows.push([`#${e.exchangeId}`, e.method, truncate(e.path, 60), status, e.verdict === 'matched' ? 'matched' : e.verdict.toUpperCase(), ms(e.latencyMs)]);
  }
  const body = table(['ID', 'METHOD', 'PATH', 'STATUS', 'VERDICT', 'LATENCY'], rows).split('\n');
  lines.push(body[0]);
  r.exchanges.forEach((e, i) => {
    lines.push(body[i + 1]);
    if (e.error) lines.push(`      ${e.error}`);
    for (const why of e.reasons) lines.push(`      ${why}`);
    for (const note of e.notes) lines.push(`      note: ${note}`);
  });
  const s = r.summary;
  lines.push('');
  const skipped = Object.entries(s.skipped).map(([why, n]) => `${n} ${why}`).join(', ');
  lines.push(`${r.aborted ? 'INTERRUPTED: ' : ''}${s.total} replayed: ${s.matched} matched, ${s.diverged} diverged, ${s.errors} errors${skipped ? `; skipped ${skipped}` : ''} (${(s.durationMs / 1000).toFixed(1)} s)`);
  if (s.total) lines.push(`latency p50 ${ms(s.latency.p50)}, p95 ${ms(s.latency.p95)}, p99 ${ms(s.latency.p99)}, max ${ms(s.latency.max)}`);
  if (s.worst.length) {
    lines.push('worst endpoints:');
    for (const w of s.worst) lines.push(`  ${w.endpoint}  ${w.diverged + w.errors}/${w.count} failed (${w.diverged} diverged, ${w.errors} errors)`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

function describeToxic(t: ReplayResult['faults'][number]): string {
  const attrs = Object.entries(t.attributes).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${t.name} (${t.type} ${t.stream}${attrs ? ` ${attrs}` : ''}${t.toxicity < 1 ? ` toxicity=${t.toxicity}` : ''})`;
}
