/** The readiness result as Markdown for a pull-request comment: a verdict, a table of checks, then what broke. */
import type { CheckOutcome, ReadinessResult } from '../types';

const MARK: Record<CheckOutcome['status'], string> = { passed: '✅ passed', failed: '❌ failed', error: '⚠️ error', skipped: '⏭️ skipped' };

export function toMarkdown(r: ReadinessResult): string {
  const passed = r.checks.filter((c) => c.status === 'passed').length;
  const verdict = r.passed ? '✅ ready' : r.aborted ? '⏹️ stopped' : '❌ not ready';
  const lines = [
    `## Production readiness: ${cell(r.name)} — ${verdict}`,
    '',
    `${passed} of ${r.checks.length} checks passed against \`${r.target}\` in ${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s (suite \`${r.suite}\`).`,
    '',
    '| Check | Kind | Result | Figure | Time |',
    '| --- | --- | --- | --- | ---: |',
    ...r.checks.map((c) => `| ${cell(c.name)} | ${c.kind} | ${MARK[c.status]} | ${cell(c.figure)} | ${(c.durationMs / 1000).toFixed(1)} s |`),
  ];
  const broken = r.checks.filter((c) => c.failures.length && c.status !== 'passed');
  if (broken.length) {
    lines.push('', '### What broke', '');
    for (const c of broken) {
      lines.push(`**${cell(c.name)}** (${c.kind}, \`${r.suite}:${c.place.line}\`)`, '');
      for (const f of c.failures) lines.push(`- ${inline(f)}`);
      lines.push('');
    }
  }
  return lines.join('\n').trimEnd() + '\n';
}

/** A table cell: no pipes or newlines. */
function cell(s: string): string {
  return inline(s).replace(/\|/g, '\\|');
}

function inline(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}
