import { FRAMEWORK_NAMES, checkOf, controlsFor } from './controls';
import { RULES } from './rules';
import type { AuditResult, Finding } from './types';

export function locationText(f: Finding): string {
  const l = f.location;
  return 'file' in l ? `${l.file}:${l.line}:${l.column}` : `exchange #${l.exchangeId} (${l.url})`;
}

/** The text report: per framework, controls assessed / compliant, violations, and what was not assessed. */
export function auditReport(r: AuditResult): string {
  const out: string[] = [];
  const src = [r.inputs.traffic ? `${r.inputs.exchanges} exchanges from ${r.inputs.traffic}` : '', r.inputs.workspace ? `${r.inputs.files} files in ${r.inputs.workspace}` : '', r.inputs.tlsTargets.length ? `TLS probes of ${r.inputs.tlsTargets.join(', ')}` : ''].filter(Boolean);
  out.push(`Compliance audit of ${src.join(', ') || 'nothing (no traffic database, no workspace)'}`);
  for (const s of r.inputs.skipped) out.push(`  skipped ${s.input}: ${s.reason}`);
  for (const s of r.summaries) {
    out.push('', `${FRAMEWORK_NAMES[s.framework]}: ${s.compliant.length} of ${s.assessed.length} controls assessed compliant, ${s.failing.length} failing`);
    if (s.failing.length) out.push(`  failing: ${s.failing.join(', ')}`);
    if (s.notAssessed.length) out.push(`  not assessed: ${s.notAssessed.join(', ')}`);
  }
  const order = { high: 0, medium: 1, low: 2 };
  const findings = [...r.findings].sort((a, b) => order[a.severity] - order[b.severity]);
  out.push('', findings.length ? `Violations (${findings.length}):` : 'No violations found by the rules that ran.');
  for (const f of findings) {
    const controls = Object.entries(f.frameworks).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');
    out.push(`  [${f.severity.toUpperCase()}] ${f.ruleId}: ${f.message}${f.occurrences > 1 ? ` (seen ${f.occurrences} times)` : ''}`);
    out.push(`      at ${locationText(f)}`, `      evidence: ${f.evidence}`, `      controls: ${controls}`);
  }
  const byRule = new Map<string, Finding[]>();
  for (const f of findings) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  if (byRule.size) out.push('', 'Remediation:');
  for (const [rule, fs] of byRule) out.push(`  ${rule} (${fs.length}): ${fs[0].remediation}`);
  const probedNothing = r.inputs.tlsTargets.length === 0;
  if (probedNothing && r.inputs.traffic) out.push('', 'TLS versions, ciphers and certificates were not probed (add --probe-tls to connect to the HTTPS hosts in the traffic).');
  out.push('', 'An automated audit covers only the controls it can observe in captured traffic and workspace files; it is not a compliance assessment.');
  if (r.notAutomated.length) out.push('Not assessed here (need active testing, infrastructure access or a person):', ...r.notAutomated.map((c) => `  ${c}`));
  const notRun = RULES.filter((x) => !r.rulesRun.includes(x.id) && r.frameworks.some((f) => controlsFor(checkOf(x.check), f).length));
  if (notRun.length) out.push('Rules that had nothing to read in this audit (no traffic, no matching files, or no --probe-tls):', ...notRun.map((x) => `  #${x.check} ${x.id}: ${x.title}`));
  out.push('Each rule sees only what the traffic and files show: log archives kept elsewhere, WAFs outside the cluster, or ownership checks on resources the traffic never touched are not visible.');
  return out.join('\n');
}
