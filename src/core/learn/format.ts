import { callLine } from './calls';
import type { BehaviourModel, Step, TemplateString } from './model';

export function templateText(t: TemplateString): string {
  return t.map((p) => (typeof p === 'string' ? p : 'variable' in p ? `{${p.variable}}` : `$${p.env}`)).join('');
}

function stepLine(s: Step): string {
  const captures = s.captures.length ? `  → ${s.captures.map((c) => `${c.variable} = ${c.from}`).join(', ')}` : '';
  return `${s.cleanup ? 'cleanup: ' : ''}${s.method} ${templateText(s.path)} → ${s.expect.status}${captures}`;
}

/** The model as a person reads it: endpoints with statuses, schemas and latency; scenarios with their steps. */
export function formatModel(m: BehaviourModel): string[] {
  const lines: string[] = [];
  const skipped = Object.entries(m.source.skipped).map(([why, n]) => `${n} ${why}`).join(', ');
  lines.push(`Learned from ${m.source.used} of ${m.source.exchanges} exchanges${skipped ? ` (skipped: ${skipped})` : ''}${m.baseUrl ? `, base URL ${m.baseUrl}` : ''}`);
  lines.push('', `Endpoints (${m.endpoints.length}):`);
  const width = Math.max(0, ...m.endpoints.map((e) => e.key.length)) + 2;
  for (const e of m.endpoints) {
    const statuses = Object.entries(e.statuses).map(([s, n]) => `${s}×${n}`).join(' ');
    lines.push(`  ${e.key.padEnd(width)}${statuses.padEnd(16)} p50 ${e.latency.p50} ms  p99 ${e.latency.p99} ms`);
    for (const r of e.responses) {
      const fields = r.schema?.properties ? Object.keys(r.schema.properties).map((k) => (r.schema!.required?.includes(k) ? k : `${k}?`)).join(', ') : '';
      if (fields || r.contentType) lines.push(`    ${r.status} ${r.contentType ?? ''}${fields ? ` {${fields}}` : ''}`);
    }
    for (const c of e.calls ?? []) lines.push(`    → ${callLine(c)}`);
  }
  lines.push('', `Scenarios (${m.scenarios.length}, equivalent exchanges merged):`);
  for (const s of m.scenarios) {
    lines.push(`  ${s.name}${s.samples > 1 ? ` (${s.samples} samples)` : ''}`);
    for (const st of s.steps) {
      lines.push(`    ${stepLine(st)}`);
      const noise = st.expect.noise.filter((n) => !n.why.startsWith('captured'));
      if (noise.length) lines.push(`      not asserted: ${noise.map((n) => `${n.pointer} (${n.why})`).join('; ')}`);
    }
  }
  if (m.env.length) lines.push('', 'Environment variables the generated tests read:', ...m.env.map((e) => `  ${e.name}: ${e.description}`));
  if (m.noiseHeaders.length) lines.push('', `Volatile response headers (never asserted): ${m.noiseHeaders.join(', ')}`);
  return lines;
}

