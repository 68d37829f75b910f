/**
 * The fast-check side of the stateful invariants: the random parts of a trial (which operations, how many
 * messages, where the reset lands) are drawn from an arbitrary, so a violation shrinks to a minimal case and
 * replays from seed + path, as the command runs do. Trials talk to real systems: their count and total time are
 * bounded, and a trial whose precondition does not hold (the service not healthy yet) is skipped, never failed.
 */
import fc from 'fast-check';
import type { HttpExampleStep, InvariantOutcome, InvariantViolation, Step } from '../types';

export interface Trial {
  ok: boolean;
  /** One line: what was found. */
  message: string;
  /** The trial as a readable sequence; for a failure, it ends with the step that showed it. */
  steps: Step[];
  /** Skip this trial (a precondition did not hold). */
  skip?: boolean;
  /** For a failure made of HTTP alone: the case from a fresh start, for a regression test in the user's language. */
  httpExample?: HttpExampleStep[];
}

export interface ScenarioRun<S> {
  name: string;
  arbitrary: fc.Arbitrary<S>;
  /** Trials to try (fast-check numRuns). */
  runs: number;
  /** Stop searching after this long (a trial in flight finishes). */
  timeLimitMs: number;
  seed: number;
  path?: string;
  signal?: AbortSignal;
  trial(s: S): Promise<Trial>;
}

export interface ScenarioResult {
  trials: number;
  /** Trials skipped (precondition not met), and the last reason. */
  skipped: number;
  skipReason?: string;
  failure?: { trial: Trial; seed: number; path: string | null };
  /** From the first failing trial to the end of shrinking (0 without a failure). */
  shrinkMs: number;
}

export async function runScenarios<S>(o: ScenarioRun<S>): Promise<ScenarioResult> {
  let trials = 0;
  let skipped = 0;
  let skipReason: string | undefined;
  let lastFailure: Trial | undefined;
  let failedAt: number | undefined;
  const property = fc.asyncProperty(o.arbitrary, async (s) => {
    if (o.signal?.aborted) return true;
    const t = await o.trial(s);
    // Counted when done: a time limit may end the search while a trial is in flight.
    trials++;
    if (t.skip) {
      skipped++;
      skipReason = t.message;
    }
    fc.pre(!t.skip);
    if (!t.ok) {
      lastFailure = t;
      failedAt ??= performance.now();
    }
    return t.ok;
  });
  const details = await fc.check(property, {
    numRuns: o.runs,
    seed: o.seed,
    interruptAfterTimeLimit: o.timeLimitMs,
    markInterruptAsFailure: false,
    // A real system that keeps failing its precondition is not retried hundreds of times.
    maxSkipsPerRun: 1,
    ...(o.path ? { path: o.path } : {}),
  });
  const shrinkMs = failedAt === undefined ? 0 : performance.now() - failedAt;
  if (!details.failed || !lastFailure) {
    if (details.failed && details.errorInstance) throw details.errorInstance;
    return { trials, skipped, skipReason, shrinkMs };
  }
  // fast-check's last failing trial is the shrunk counterexample.
  return { trials, skipped, skipReason, failure: { trial: lastFailure, seed: o.seed, path: details.counterexamplePath ?? null }, shrinkMs };
}

/** The outcome and violation of a scenario run, in the shape every invariant returns. */
export function scenarioVerdict(name: string, r: ScenarioResult, passedSummary: string, endpoint: string | null): { outcome: InvariantOutcome; violations: InvariantViolation[] } {
  if (!r.failure && r.trials > 0 && r.skipped === r.trials) {
    // Nothing was judged: say so, rather than pass.
    const message = `inconclusive: none of ${r.trials} trials could run (${r.skipReason ?? 'precondition not met'})`;
    return { outcome: { name, passed: false, summary: message, trials: r.trials, shrinkMs: 0 }, violations: [{ check: name, kind: 'invariant', endpoint, message: `${name}: ${message}`, minimalExample: [] }] };
  }
  if (!r.failure) return { outcome: { name, passed: true, summary: passedSummary, trials: r.trials, shrinkMs: 0 }, violations: [] };
  const { trial, seed, path } = r.failure;
  return {
    outcome: { name, passed: false, summary: `${trial.message} (after ${r.trials} trials; minimal case: ${trial.steps.length} steps)`, trials: r.trials, shrinkMs: Math.round(r.shrinkMs) },
    violations: [{ check: name, kind: 'invariant', endpoint, message: `${name}: ${trial.message}`, minimalExample: trial.steps, seed, path, ...(trial.httpExample ? { httpExample: trial.httpExample } : {}) }],
  };
}

/** A step that is not an HTTP request: a fault armed or healed, a SQL or Redis read. */
export function actionStep(method: 'FAULT' | 'HEAL' | 'SQL' | 'REDIS' | 'WAIT', what: string, outcome: string): Step {
  return { endpoint: `${method} ${what}`, method, path: what, headers: [], status: null, latencyMs: 0, outcome };
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
