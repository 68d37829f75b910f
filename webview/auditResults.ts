/**
 * Entry of the compliance audit panel: the per-framework summary (controls assessed, compliant, failing), the
 * findings in captured traffic (rule, severity, masked evidence, a link that opens the exchange), and the findings
 * in workspace files (a link that opens the file at the line). Evidence arrives masked from the audit; text goes in
 * through textContent only.
 */
import { el, replaceChildren } from './dom';
import type { AuditResult, Finding, FrameworkSummary } from './protocol';
import { showPushedResult } from './resultPage';
import type { RpcClient } from './rpc';

const FRAMEWORK_NAMES: Record<string, string> = { fisma: 'FISMA', fedramp: 'FedRAMP Moderate', soc2: 'SOC 2', hipaa: 'HIPAA', 'pci-dss': 'PCI-DSS v4.0' };
const SEVERITY_ORDER: Record<string, number> = { high: 0, medium: 1, low: 2 };

function controls(f: Finding): string {
  return Object.entries(f.frameworks).map(([fw, ids]) => `${FRAMEWORK_NAMES[fw] ?? fw} ${(ids ?? []).join(', ')}`).join(' · ');
}

function link(text: string, testid: string, onClick: () => void): HTMLElement {
  return el('a', { testid, attrs: { href: '#' }, on: { click: (e) => (e.preventDefault(), onClick()) } }, text);
}

function table(testid: string, head: string[], rows: HTMLElement[]): HTMLElement {
  return el('table', { class: 'ct-table ct-result-table', testid }, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

function summaryRow(s: FrameworkSummary): HTMLElement {
  return el('tr', { testid: 'framework', attrs: { 'data-framework': s.framework } },
    el('td', {}, FRAMEWORK_NAMES[s.framework] ?? s.framework),
    el('td', { class: 'ct-num', testid: 'assessed' }, String(s.assessed.length)),
    el('td', { class: 'ct-num ct-good', testid: 'compliant' }, String(s.compliant.length)),
    el('td', { class: `ct-num${s.failing.length ? ' ct-bad' : ''}`, testid: 'failing' }, String(s.failing.length)),
    el('td', { class: 'ct-num ct-muted', testid: 'not-assessed' }, String(s.notAssessed.length)),
    el('td', { testid: 'failing-controls' }, s.failing.join(', ')),
  );
}

function bySeverity(a: Finding, b: Finding): number {
  return (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) || a.ruleId.localeCompare(b.ruleId);
}

function render(root: HTMLElement, rpc: RpcClient, r: AuditResult): void {
  const traffic = r.findings.filter((f) => 'exchangeId' in f.location).sort(bySeverity);
  const files = r.findings.filter((f) => 'file' in f.location).sort(bySeverity);
  const trafficRows = traffic.map((f) => {
    const loc = f.location as { exchangeId: number; url: string };
    return el('tr', { testid: 'traffic-finding', attrs: { 'data-rule': f.ruleId, 'data-severity': f.severity } },
      el('td', {}, f.ruleId), el('td', { class: f.severity === 'high' ? 'ct-bad' : '' }, f.severity), el('td', {}, f.message),
      el('td', { testid: 'evidence' }, el('code', {}, f.evidence)),
      el('td', {}, link(`#${loc.exchangeId}`, 'exchange-link', () => void rpc.request('openExchange', { id: loc.exchangeId }).catch(() => undefined)), f.occurrences > 1 ? ` (+${f.occurrences - 1} more)` : ''),
      el('td', { class: 'ct-muted' }, controls(f)),
    );
  });
  const fileRows = files.map((f) => {
    const loc = f.location as { file: string; line: number; column: number };
    return el('tr', { testid: 'file-finding', attrs: { 'data-rule': f.ruleId } },
      el('td', {}, f.ruleId), el('td', { class: f.severity === 'high' ? 'ct-bad' : '' }, f.severity), el('td', {}, f.message),
      el('td', {}, link(`${loc.file}:${loc.line}:${loc.column}`, 'file-link', () => void rpc.request('openLocation', loc).catch(() => undefined))),
      el('td', { class: 'ct-muted' }, controls(f)),
    );
  });
  const when = new Date(r.finishedAt).toLocaleString();
  replaceChildren(root,
    el('div', { class: 'ct-result', testid: 'audit' },
      el('header', {},
        el('h1', { class: 'ct-result-title' }, 'Compliance audit'),
        el('div', { class: 'ct-meta', testid: 'inputs' }, `${r.inputs.exchanges} exchanges, ${r.inputs.files} files, ${r.rulesRun.length} rules · ${when}`),
      ),
      el('p', { class: 'ct-note', testid: 'observe-note' }, 'An automated audit covers only the controls it can observe in captured traffic and workspace files; it is not a compliance assessment. Controls it could not observe are counted as not assessed.'),
      el('section', {}, el('h2', {}, 'Frameworks'), table('summaries', ['framework', 'assessed', 'compliant', 'failing', 'not assessed', 'failing controls'], r.summaries.map(summaryRow))),
      el('section', {}, el('h2', {}, `Findings in traffic (${traffic.length})`),
        traffic.length ? table('traffic-findings', ['rule', 'severity', 'finding', 'evidence (masked)', 'exchange', 'controls'], trafficRows) : el('p', { class: 'ct-muted' }, r.inputs.traffic ? 'None.' : 'No traffic database: traffic rules did not run.')),
      el('section', {}, el('h2', {}, `Findings in workspace files (${files.length})`),
        files.length ? table('file-findings', ['rule', 'severity', 'finding', 'where', 'controls'], fileRows) : el('p', { class: 'ct-muted' }, 'None.'),
        el('p', { class: 'ct-muted' }, 'These are also in the Problems view, with quick fixes where the fix is mechanical.')),
      r.notAutomated.length ? el('section', {}, el('h2', {}, 'Not assessed here (need active testing, infrastructure access or a person)'), el('ul', { testid: 'not-automated' }, ...r.notAutomated.map((c) => el('li', {}, c)))) : null,
      r.inputs.skipped.length ? el('section', {}, el('h2', {}, 'Skipped'), el('ul', {}, ...r.inputs.skipped.map((s) => el('li', {}, `${s.input}: ${s.reason}`)))) : null,
    ),
  );
}

showPushedResult((e) => (e.name === 'audit' ? e.result : undefined), render);
