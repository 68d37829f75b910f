/** A chaos experiment: the hypothesis holds after the method, and recovery time and error rate stay within the suite's bounds. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { saveResult } from '../../../core/chaos/results';
import type { ExperimentResult } from '../../../core/chaos/types';
import { saveRun } from '../../../core/store/runs';
import type { ChaosCheckSpec } from '../../../core/readiness/types';
import { ChaosExperiment } from '../../chaosExperiment';
import { outcomeEvenIfCancelled } from '../../errors';
import type { CheckBody, CheckContext } from './context';

export async function runChaosCheck(check: ChaosCheckSpec, ctx: CheckContext): Promise<CheckBody> {
  const experiment = ctx.experiment!;
  // Stopped: its rollbacks have run; the partial result is judged and kept like a whole one.
  const r = (await outcomeEvenIfCancelled(ChaosExperiment.fromExperiment(experiment).execute({
    signal: ctx.signal, journalDir: ctx.dir,
    onProgress: (e) => ctx.log(`${(e.at / 1000).toFixed(2)}s ${e.kind} ${e.name}${e.ok === false ? ' FAILED' : ''}${e.detail ? `: ${e.detail}` : ''}`),
    onLog: ctx.log,
  }))).raw;
  const runs = [path.relative(process.cwd(), saveResult(r, ctx.dir))];
  if (existsSync(ctx.suite.traffic)) {
    const started = Date.parse(r.startedAt);
    runs.push((await saveRun(ctx.suite.traffic, { kind: 'chaos', spec: { ...experiment, file: undefined }, result: r, startedAt: started, finishedAt: started + r.durationMs })).note);
  }
  const failures = judge(r, check);
  const recovery = r.recoveryTimeMs === null ? 'did not recover' : `recovered in ${r.recoveryTimeMs} ms${check.maxRecoveryTimeMs === undefined ? '' : ` (≤ ${check.maxRecoveryTimeMs} ms)`}`;
  const errors = `${pct(r.errorRateDuringFailure)} errors during the failure${check.maxErrorRate === undefined ? '' : ` (≤ ${pct(check.maxErrorRate)})`}`;
  return {
    status: failures.length ? 'failed' : 'passed',
    figure: `${recovery}, ${errors}`,
    failures,
    run: runs.join('; '),
    charts: {
      recovery: {
        samples: r.samples.map((s) => ({ at: s.at, latencyMs: s.latencyMs, ok: s.ok })),
        phases: r.phases.map((p) => ({ phase: p.phase, from: p.startedAt, to: p.endedAt })),
        recoveryTimeMs: r.recoveryTimeMs,
      },
    },
  };
}

function judge(r: ExperimentResult, check: ChaosCheckSpec): string[] {
  const out: string[] = [];
  if (r.status === 'aborted') return ['stopped; its rollbacks ran'];
  if (r.status === 'unhealthy-before') return [`the system was not healthy before the method: ${r.hypothesisBefore.filter((o) => !o.ok).map((o) => `${o.probe}: ${o.detail}`).join('; ')}`];
  if (!r.hypothesisHeld) out.push(`the hypothesis did not hold after the method: ${r.hypothesisAfter.filter((o) => !o.ok).map((o) => `${o.probe}: ${o.detail}`).join('; ') || r.status}`);
  if (r.recoveryTimeMs === null) out.push('did not recover before its recovery timeout');
  else if (check.maxRecoveryTimeMs !== undefined && r.recoveryTimeMs > check.maxRecoveryTimeMs) out.push(`recovery took ${r.recoveryTimeMs} ms, over max-recovery-time ${check.maxRecoveryTimeMs} ms`);
  if (check.maxErrorRate !== undefined && r.errorRateDuringFailure > check.maxErrorRate) out.push(`error rate during the failure ${pct(r.errorRateDuringFailure)}, over max-error-rate ${pct(check.maxErrorRate)}`);
  for (const b of r.rollbacks.filter((x) => !x.ok)) out.push(`rollback '${b.action}' failed: ${b.error ?? 'unknown'}; run 'chaos-testing chaos recover'`);
  return out;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
