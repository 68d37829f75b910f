/**
 * The readiness result as JUnit XML, the dialect CI servers read (Jenkins' xunit junit-10, GitLab's and GitHub
 * test reporters): one <testsuite> per kind of check, one <testcase> per check, a <failure> naming what broke.
 */
import * as os from 'node:os';
import { CHECK_KINDS, type CheckOutcome, type ReadinessResult } from '../types';

export function toJUnitXml(r: ReadinessResult): string {
  const secs = (ms: number): string => (ms / 1000).toFixed(3);
  const count = (list: CheckOutcome[], status: CheckOutcome['status']): number => list.filter((c) => c.status === status).length;
  const suites = CHECK_KINDS.map((kind) => ({ kind, checks: r.checks.filter((c) => c.kind === kind) })).filter((s) => s.checks.length);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`readiness: ${r.name}`)}" tests="${r.checks.length}" failures="${count(r.checks, 'failed')}" errors="${count(r.checks, 'error')}" time="${secs(r.finishedAt - r.startedAt)}">`,
  ];
  for (const { kind, checks } of suites) {
    const time = checks.reduce((sum, c) => sum + c.durationMs, 0);
    lines.push(`  <testsuite name="${kind}" tests="${checks.length}" failures="${count(checks, 'failed')}" errors="${count(checks, 'error')}" skipped="${count(checks, 'skipped')}" time="${secs(time)}" timestamp="${new Date(checks[0].startedAt).toISOString().replace(/\.\d+Z$/, '')}" hostname="${attr(os.hostname())}">`);
    lines.push('    <properties>');
    lines.push(`      <property name="suite" value="${attr(r.suite)}"/>`);
    lines.push(`      <property name="target" value="${attr(r.target)}"/>`);
    lines.push('    </properties>');
    for (const c of checks) {
      lines.push(`    <testcase name="${attr(c.name)}" classname="readiness.${kind}" time="${secs(c.durationMs)}">`);
      const body = text([...c.failures, `figure: ${c.figure}`, ...(c.run ? [`run: ${c.run}`] : []), `declared at ${r.suite}:${c.place.line}:${c.place.column}`].join('\n'));
      const message = attr(c.failures[0] ?? c.figure);
      if (c.status === 'failed') lines.push(`      <failure type="${kind}" message="${message}">${body}</failure>`);
      else if (c.status === 'error') lines.push(`      <error type="${kind}" message="${message}">${body}</error>`);
      else if (c.status === 'skipped') lines.push(`      <skipped message="${message}"/>`);
      lines.push(`      <system-out>${text(`${c.figure}${c.run ? `\n${c.run}` : ''}`)}</system-out>`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

// XML 1.0 allows tab, newline, carriage return and characters from U+0020; anything else is dropped.
const INVALID = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function text(s: string): string {
  return s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}
