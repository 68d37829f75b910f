/**
 * The readiness result as JUnit XML, the dialect CI servers read (Jenkins, GitLab's and GitHub's test reporters):
 * one <testsuite> per kind of check, one <testcase> per check, a <failure> naming what broke.
 *
 * It validates against both published schemas (test/integration/readiness-cli.test.ts): Jenkins' junit-4.xsd and
 * Ant's JUnit.xsd. Ant's is the stricter, so <testsuites> has no attributes (readers sum the suites), each suite
 * has a package and an id, and each check's figure is in its suite's <system-out> (Ant allows only <failure> or
 * <error> inside a testcase). One thing cannot hold in both: a check the suite never ran (stopped by Ctrl-C) is
 * <skipped>, which Ant's schema has no word for. Jenkins' wins there: writing it as a pass would lie, and as an
 * error would count the one stop once per check left.
 */
import * as os from 'node:os';
import { CHECK_KINDS, type CheckOutcome, type ReadinessResult } from '../types';

export function toJUnitXml(r: ReadinessResult): string {
  const secs = (ms: number): string => (ms / 1000).toFixed(3);
  const count = (list: CheckOutcome[], status: CheckOutcome['status']): number => list.filter((c) => c.status === status).length;
  const suites = CHECK_KINDS.map((kind) => ({ kind, checks: r.checks.filter((c) => c.kind === kind) })).filter((s) => s.checks.length);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  const hostname = attr(os.hostname() || 'localhost');
  for (const [id, { kind, checks }] of suites.entries()) {
    const time = checks.reduce((sum, c) => sum + c.durationMs, 0);
    lines.push(`  <testsuite name="${kind}" package="readiness" id="${id}" tests="${checks.length}" failures="${count(checks, 'failed')}" errors="${count(checks, 'error')}" time="${secs(time)}" timestamp="${new Date(checks[0].startedAt).toISOString().replace(/\.\d+Z$/, '')}" hostname="${hostname}">`);
    lines.push('    <properties>');
    lines.push(`      <property name="readiness" value="${attr(r.name)}"/>`);
    lines.push(`      <property name="suite" value="${attr(r.suite)}"/>`);
    lines.push(`      <property name="target" value="${attr(r.target)}"/>`);
    lines.push('    </properties>');
    for (const c of checks) {
      const body = text([...c.failures, `figure: ${c.figure}`, ...(c.run ? [`run: ${c.run}`] : []), `declared at ${r.suite}:${c.place.line}:${c.place.column}`].join('\n'));
      const message = attr(c.failures[0] ?? c.figure);
      const open = `    <testcase name="${attr(c.name)}" classname="readiness.${kind}" time="${secs(c.durationMs)}"`;
      if (c.status === 'failed') lines.push(`${open}>`, `      <failure type="${kind}" message="${message}">${body}</failure>`, '    </testcase>');
      else if (c.status === 'error') lines.push(`${open}>`, `      <error type="${kind}" message="${message}">${body}</error>`, '    </testcase>');
      else if (c.status === 'skipped') lines.push(`${open}>`, `      <skipped>${text(c.failures[0] ?? c.figure)}</skipped>`, '    </testcase>');
      else lines.push(`${open}/>`);
    }
    const out = checks.map((c) => `${c.name}: ${c.figure}${c.run ? ` (${c.run})` : ''}`).join('\n');
    lines.push(`    <system-out>${text(out)}</system-out>`);
    lines.push('    <system-err></system-err>');
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
