/**
 * Runs a readiness suite: every check in the suite's order (tests, properties, experiments, load, audit), one at a
 * time, each bounded by its own limits. A cancel stops the check in hand (its rollbacks still run) and skips the
 * rest; an engine that fails on bad input fails its check, not the run.
 */
import { describeError, isChaosError } from '../../core/errors';
import { runAuditCheck } from './checks/audit';
import { runChaosCheck } from './checks/chaos';
import { runLoadCheck } from './checks/load';
import { runPropertiesCheck } from './checks/properties';
import { runTestsCheck } from './checks/tests';
import { base, type CheckBody, type CheckContext } from './checks/context';
import type { PreparedSuite } from '../../core/readiness/prepare';
import type { CheckKind, CheckOutcome, CheckSpec, ReadinessProgress, ReadinessResult } from '../../core/readiness/types';

export interface ReadinessOptions {
  /** Only checks of these kinds (default: all). */
  only?: CheckKind[];
  /** Where engine results and the chaos journal go (default .chaos). */
  dir?: string;
  signal?: AbortSignal;
  onProgress?: (p: ReadinessProgress) => void;
}

export async function runReadiness(suite: PreparedSuite, options: ReadinessOptions = {}): Promise<ReadinessResult> {
  const signal = options.signal ?? new AbortController().signal;
  const checks = suite.checks.filter((c) => !options.only?.length || options.only.includes(c.kind));
  const startedAt = Date.now();
  const outcomes: CheckOutcome[] = [];
  let audit: ReadinessResult['audit'];
  for (const [index, check] of checks.entries()) {
    const progress = (p: Omit<ReadinessProgress, 'index' | 'total' | 'check'>): void => options.onProgress?.({ index, total: checks.length, check: { kind: check.kind, name: check.name }, ...p });
    const started = Date.now();
    if (signal.aborted) {
      outcomes.push({ ...base(check), status: 'skipped', figure: 'not run', failures: ['not run: the suite was stopped'], startedAt: started, durationMs: 0 });
      continue;
    }
    progress({ phase: 'start' });
    const ctx: CheckContext = { suite, dir: options.dir ?? '.chaos', signal, log: (line) => progress({ phase: 'log', line }), experiment: suite.experiments.get(check) };
    let body: CheckBody;
    try {
      body = await runCheck(check, ctx);
      if ('audit' in body) {
        audit = (body as { audit: ReadinessResult['audit'] }).audit;
        delete (body as { audit?: unknown }).audit;
      }
    } catch (e) {
      body = { status: 'error', figure: 'could not run', failures: [isChaosError(e) ? e.message : `unexpected error: ${describeError(e)}`] };
    }
    const outcome: CheckOutcome = { ...base(check), ...body, startedAt: started, durationMs: Date.now() - started };
    outcomes.push(outcome);
    progress({ phase: 'end', outcome });
  }
  return {
    version: 1, kind: 'readiness', suite: suite.file, name: suite.name, target: suite.target,
    passed: outcomes.length > 0 && outcomes.every((o) => o.status === 'passed') && !signal.aborted,
    aborted: signal.aborted, startedAt, finishedAt: Date.now(), checks: outcomes, audit,
  };
}

function runCheck(check: CheckSpec, ctx: CheckContext): Promise<CheckBody> {
  switch (check.kind) {
    case 'tests': return runTestsCheck(check, ctx);
    case 'properties': return runPropertiesCheck(check, ctx);
    case 'chaos': return runChaosCheck(check, ctx);
    case 'load': return runLoadCheck(check, ctx);
    case 'audit': return runAuditCheck(check, ctx);
  }
}
