/** A compliance audit of the traffic and the workspace: no violation at or above the suite's fail-on severity. */
import { existsSync } from 'node:fs';
import { saveAudit } from '../../../core/compliance/persist';
import { atOrAbove } from '../../../core/compliance/threshold';
import type { AuditResult, Finding } from '../../../core/compliance/types';
import type { AuditCheckSpec } from '../../../core/readiness/types';
import { ComplianceFramework } from '../../complianceFramework';
import { capped, type CheckBody, type CheckContext } from './context';

export async function runAuditCheck(check: AuditCheckSpec, ctx: CheckContext): Promise<CheckBody & { audit: AuditResult }> {
  const traffic = existsSync(ctx.suite.traffic) ? ctx.suite.traffic : null;
  const options = { frameworks: check.frameworks, traffic, workspace: check.workspace };
  const { raw: audit } = await ComplianceFramework.auditAll(check.frameworks, options);
  const run = traffic ? (await saveAudit(traffic, options, audit)).note : `not stored: no traffic database at ${ctx.suite.traffic}`;
  const failing = audit.findings.filter((f) => atOrAbove(f.severity, check.failOn));
  const figure = audit.summaries.map((s) => `${s.framework} ${s.compliant.length}/${s.assessed.length} controls`).join(', ') + `; ${audit.findings.length} finding(s), ${failing.length} at or above ${check.failOn}`;
  return {
    status: failing.length ? 'failed' : 'passed',
    figure,
    failures: capped(failing.map(findingLine)),
    run,
    audit,
    charts: { coverage: audit.summaries.map((s) => ({ framework: s.framework, compliant: s.compliant.length, failing: s.failing.length, notAssessed: s.notAssessed.length })) },
  };
}

function findingLine(f: Finding): string {
  const where = 'file' in f.location ? `${f.location.file}:${f.location.line}` : f.location.url;
  const controls = Object.entries(f.frameworks).map(([fw, ids]) => `${fw} ${(ids ?? []).join(', ')}`).join('; ');
  return `${f.severity} ${f.ruleId}: ${f.title} at ${where}${controls ? ` (${controls})` : ''}`;
}
