/** What an experiment run comes to, from the runner's result: the figures, and in words what went wrong. */
import type { ExperimentResult, PhaseStats, TimelineEvent } from '../core/chaos/types';

/** The figures of one run; `raw` is the runner's full result (as `chaos run --json` prints it). */
export interface ChaosOutcome {
  title: string;
  /** From the last fault's removal to the first of the successful probes in a row; null if it never recovered. */
  recoveryTimeMs: number | null;
  /** Failed probes / probes while the fault held (0..1). */
  errorRateDuringFailure: number;
  /** p99 of successful probes while the fault held, ms (0 when none succeeded). */
  latencyP99Ms: number;
  recoveredSuccessfully: boolean;
  /** The steady-state hypothesis held after the method and rollbacks. */
  hypothesisHeld: boolean;
  status: ExperimentResult['status'];
  phases: PhaseStats[];
  timeline: TimelineEvent[];
  /** Completed, the hypothesis held after, and the system recovered. */
  passed(): boolean;
  /** One line per thing that went wrong (unhealthy before, no recovery, hypothesis failed after, a rollback failed); empty when it passed. */
  failures(): string[];
  raw: ExperimentResult;
}

/** The outcome of a runner result. */
export function chaosOutcome(raw: ExperimentResult): ChaosOutcome {
  const fault = raw.phases.find((p) => p.phase === 'fault');
  const failures = (): string[] => {
    const out: string[] = [];
    const failed = (o: ExperimentResult['hypothesisAfter']): string => o.filter((x) => !x.ok).map((x) => `${x.probe}: ${x.detail}`).join('; ');
    if (raw.status === 'unhealthy-before') return [`the system was unhealthy before any fault (${failed(raw.hypothesisBefore)})`];
    const errors = raw.timeline.filter((e) => e.kind === 'error' || e.kind === 'abort');
    if (raw.status === 'aborted' || errors.length) out.push(`the run ${raw.status}${errors.map((e) => `: ${e.name}${e.detail ? ` ${e.detail}` : ''}`).join('')}`);
    if (!raw.recoveredSuccessfully) out.push(`the system did not recover (no ${raw.consecutiveSuccesses} successful probes in a row)`);
    if (!raw.hypothesisHeld) out.push(`the steady-state hypothesis failed after the faults (${failed(raw.hypothesisAfter)})`);
    for (const r of raw.rollbacks.filter((x) => !x.ok)) out.push(`the rollback of '${r.action}' failed: ${r.error ?? 'unknown'}`);
    return out;
  };
  return {
    title: raw.title,
    recoveryTimeMs: raw.recoveryTimeMs,
    errorRateDuringFailure: raw.errorRateDuringFailure,
    latencyP99Ms: fault?.p99 ?? 0,
    recoveredSuccessfully: raw.recoveredSuccessfully,
    hypothesisHeld: raw.hypothesisHeld,
    status: raw.status,
    phases: raw.phases,
    timeline: raw.timeline,
    passed: () => failures().length === 0,
    failures,
    raw,
  };
}
