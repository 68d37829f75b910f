/**
 * When an audit fails: a finding at least as severe as the chosen level ('none' never fails). The CLI's --fail-on,
 * the readiness suite's audit check and the library's `isCompliant(level)` all ask this.
 */
import { SEVERITY_RANK, type Finding, type Severity } from './types';

export type FailOn = Severity | 'none';
export const FAIL_ON_LEVELS: readonly FailOn[] = ['high', 'medium', 'low', 'none'];

/** The severity reaches the level. */
export function atOrAbove(severity: Severity, failOn: FailOn): boolean {
  return failOn !== 'none' && SEVERITY_RANK[severity] >= SEVERITY_RANK[failOn];
}

export function failsAt(findings: readonly Pick<Finding, 'severity'>[], failOn: FailOn): boolean {
  return findings.some((f) => atOrAbove(f.severity, failOn));
}
