import * as path from 'node:path';
import type { PropertiesResult, Step } from './types';

function stepLine(s: Step, i: number): string {
  const body = s.body === undefined ? '' : ` ${typeof s.body === 'string' ? s.body : JSON.stringify(s.body)}`;
  const shownBody = body.length > 120 ? `${body.slice(0, 119)}…` : body;
  const outcome = s.outcome ?? (s.status === null ? `no response (${s.error ?? 'failed'})` : String(s.status));
  return `    ${i + 1}. ${s.method} ${s.path}${shownBody}${s.variant ? `  [${s.variant}]` : ''} → ${outcome}`;
}

/** The run as a person reads it: verdict, seed and replay, each violation's minimal sequence, what was exercised. */
export function propertiesReport(r: PropertiesResult, cwd = process.cwd()): string {
  const lines: string[] = [];
  const verdict = !r.passed ? 'FAILED' : r.aborted ? 'INTERRUPTED' : 'PASSED';
  const runs = r.aborted ? `${r.runs} of ${r.runsRequested} runs` : `${r.runs} runs`;
  lines.push(`${verdict}: ${runs}, ${r.requests} requests, ${r.violations.length} violation${r.violations.length === 1 ? '' : 's'}${r.aborted ? ' (interrupted)' : ''}`);
  lines.push(`seed ${r.seed}${r.path ? `, path ${r.path}` : ''}; ${r.timing.perRunMs} ms per run, ${r.timing.shrinkMs} ms shrinking, ${(r.timing.totalMs / 1000).toFixed(1)} s in all`);
  for (const [i, v] of r.violations.entries()) {
    lines.push('', `${i + 1}) ${v.check}${v.kind === 'invariant' ? ' (invariant)' : ''}: ${v.message}`);
    if (v.minimalExample.length) {
      lines.push(`  minimal sequence (${v.minimalExample.length} step${v.minimalExample.length === 1 ? '' : 's'}):`);
      v.minimalExample.forEach((s, k) => lines.push(stepLine(s, k)));
    }
    lines.push(`  replay: ${v.replay}`);
    if (v.regressionTest) {
      const where = v.regressionTest.file ? path.relative(cwd, v.regressionTest.file) || v.regressionTest.file : '(printed with --json)';
      lines.push(`  regression test (${v.regressionTest.framework}): ${where}`);
    }
  }
  if (r.invariants.length) {
    lines.push('', 'Invariants:');
    for (const o of r.invariants) lines.push(`  ${o.passed ? 'ok  ' : 'FAIL'} ${o.name}: ${o.summary}`);
  }
  // --runs 0: the invariants alone, no commands to report on.
  if (r.runs === 0 && !Object.keys(r.checks).some((c) => r.checks[c].checked > 0)) {
    for (const n of r.notes) lines.push('', n);
    return lines.join('\n');
  }
  lines.push('', 'Checks (responses judged / failed):');
  for (const [name, c] of Object.entries(r.checks)) lines.push(`  ${name.padEnd(30)} ${String(c.checked).padStart(7)} ${String(c.failed).padStart(5)}`);
  const cp = r.codePathsExercised;
  lines.push('', `Code paths exercised (seen from outside): ${cp.distinct} distinct endpoint × status pairs`);
  for (const p of cp.endpointStatusPairs) lines.push(`  ${p}`);
  if (cp.notHit.length) lines.push(`  captured but not hit: ${cp.notHit.join('; ')}`);
  for (const n of r.notes) lines.push('', n);
  return lines.join('\n');
}
