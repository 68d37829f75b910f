/**
 * The readiness result as one SARIF 2.1.0 log for code scanning: the audit's own run (its findings on the files and
 * traffic they concern), and a run of the suite's failed checks, each located at its declaration in the suite file.
 */
import type { Log, ReportingDescriptor, Run } from 'sarif';
import { toSarif } from '../../compliance/sarif';
import { VERSION } from '../../version';
import { CHECK_KINDS, type ReadinessResult } from '../types';

const RULES: Record<string, string> = {
  tests: 'A test suite of the readiness suite failed',
  properties: 'A property or invariant of the readiness suite was violated',
  chaos: 'A chaos experiment of the readiness suite failed its hypothesis or bounds',
  load: 'A load profile of the readiness suite broke its SLO',
  audit: 'The compliance audit of the readiness suite found violations at its fail-on severity',
};

export function toReadinessSarif(r: ReadinessResult): Log {
  const rules = CHECK_KINDS.map((kind): ReportingDescriptor => ({
    id: `readiness/${kind}`,
    name: `Readiness${kind[0].toUpperCase()}${kind.slice(1)}`,
    shortDescription: { text: RULES[kind] },
    defaultConfiguration: { level: 'error' },
  }));
  const failed = r.checks.filter((c) => c.status === 'failed' || c.status === 'error');
  const suiteRun: Run = {
    tool: { driver: { name: 'chaos-testing ci', version: VERSION, informationUri: 'https://github.com/chaos-testing/chaos-testing', rules } },
    results: failed.map((c) => ({
      ruleId: `readiness/${c.kind}`,
      ruleIndex: CHECK_KINDS.indexOf(c.kind),
      level: 'error',
      message: { text: `${c.name}: ${c.failures.join('; ') || c.figure}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: r.suite.replace(/\\/g, '/') }, region: { startLine: c.place.line, startColumn: c.place.column } } }],
      properties: { figure: c.figure, status: c.status, ...(c.run ? { run: c.run } : {}) },
    })),
  };
  const auditRuns = r.audit ? toSarif(r.audit).runs : [];
  return {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [suiteRun, ...auditRuns],
  };
}
