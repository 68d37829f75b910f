import { saveRun } from '../store/runs';
import type { AuditOptions, AuditResult } from './types';

/** Stores the audit as a run with its findings in the traffic database (when there is one). */
export function saveAudit(file: string, options: AuditOptions, result: AuditResult): Promise<{ saved: boolean; note: string }> {
  const { findings, ...summary } = result;
  return saveRun(file, {
    kind: 'audit',
    spec: options,
    result: summary,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    findings: findings.map((f) => ({
      kind: 'compliance',
      rule: f.ruleId,
      severity: f.severity,
      exchangeId: 'exchangeId' in f.location && f.location.exchangeId > 0 ? f.location.exchangeId : null,
      detail: f,
    })),
  });
}
