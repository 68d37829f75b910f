/**
 * When an audit fails: a finding at least as severe as the chosen level ('none' never fails). The CLI's --fail-on
 * and the library's `isCompliant(level)` both ask this.
 */
import { SEVERITY_RANK, type Finding, type Severity } from './types';

export type FailOn = Severity | 'none';
export const FAIL_ON_LEVELS: readonly FailOn[] = ['high', 'medium', 'low', 'none'];

export function failsAt(findings: readonly Pick<Finding, 'severity'>[], failOn: FailOn): boolean {
  if (failOn === 'none') return false;
  return findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]);
}
