import type { Location, Log, ReportingDescriptor } from 'sarif';
import { checkOf } from './controls';
import { RULES } from './rules';
import type { AuditResult, Finding, Severity } from './types';
import { VERSION } from '../version';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { high: 'error', medium: 'warning', low: 'note' };

function location(f: Finding, trafficUri: string): Location {
  const l = f.location;
  if ('file' in l) {
    const region: NonNullable<NonNullable<Location['physicalLocation']>['region']> = { startLine: l.line, startColumn: l.column };
    if (l.endLine) region.endLine = l.endLine;
    if (l.endColumn) region.endColumn = l.endColumn;
    return { physicalLocation: { artifactLocation: { uri: l.file, uriBaseId: '%SRCROOT%' }, region } };
  }
  return {
    physicalLocation: { artifactLocation: { uri: `${trafficUri}#exchange/${l.exchangeId}` } },
    logicalLocations: [{ name: `exchange/${l.exchangeId}`, fullyQualifiedName: l.url, kind: 'resource' }],
  };
}

/** The audit as a SARIF 2.1.0 log, with control ids as rule tags, for code-scanning tools. */
export function toSarif(r: AuditResult): Log {
  const rules = RULES.filter((x) => r.rulesRun.includes(x.id));
  const trafficUri = r.inputs.traffic ? r.inputs.traffic.replace(/\\/g, '/') : 'traffic.db';
  return {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'chaos-testing audit',
          version: VERSION,
          informationUri: 'https://github.com/chaos-testing/chaos-testing',
          rules: rules.map((x): ReportingDescriptor => {
            const c = checkOf(x.check);
            const tags = [...c.nist.map((i) => `NIST-800-53:${i}`), ...c.soc2.map((i) => `SOC2:${i}`), ...c.hipaa.map((i) => `HIPAA:${i}`), ...c.pci.map((i) => `PCI-DSS:${i}`)];
            return {
              id: x.id,
              name: x.id.replace(/(^|-)(\w)/g, (_m, _d, ch: string) => ch.toUpperCase()),
              shortDescription: { text: x.title },
              fullDescription: { text: `${x.title} (compliance matrix check #${x.check}: ${c.name}).` },
              help: { text: x.remediation, markdown: `**Remediation:** ${x.remediation}` },
              defaultConfiguration: { level: LEVEL[x.severity] },
              properties: { tags: ['compliance', 'security', ...tags], 'security-severity': x.severity === 'high' ? '8.0' : x.severity === 'medium' ? '5.0' : '2.0' },
            };
          }),
        },
      },
      originalUriBaseIds: r.inputs.workspace ? { '%SRCROOT%': { uri: `file://${r.inputs.workspace.replace(/\\/g, '/').replace(/\/?$/, '/')}` } } : undefined,
      results: r.findings.map((f) => ({
        ruleId: f.ruleId,
        ruleIndex: rules.findIndex((x) => x.id === f.ruleId),
        level: LEVEL[f.severity],
        message: { text: `${f.message}. Evidence: ${f.evidence}.` },
        locations: [location(f, trafficUri)],
        properties: { frameworks: f.frameworks, occurrences: f.occurrences },
      })),
    }],
  };
}
