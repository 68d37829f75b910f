/** A load profile against the target: every SLO clause holds (a stress run may find its breaking point instead). */
import * as path from 'node:path';
import { errorRate, usAsMs } from '../../../core/load/report';
import { saveLoadResultFile, storeLoadRun } from '../../../core/load/results';
import { formatActual, parseSlo } from '../../../core/load/slo';
import type { LoadResult, LoadTick } from '../../../core/load/types';
import { breakingPointText, loadVerdict } from '../../../core/load/verdict';
import type { LoadCheckSpec } from '../../../core/readiness/types';
import { outcomeEvenIfCancelled } from '../../errors';
import { LoadTest } from '../../loadTest';
import type { CheckBody, CheckContext } from './context';

export async function runLoadCheck(check: LoadCheckSpec, ctx: CheckContext): Promise<CheckBody> {
  const test = LoadTest.fromInput(check.input);
  const plan = await test.plan();
  const { spec, mix } = plan;
  ctx.log(`load: ${mix.source}, ${spec.profile.kind} for ${spec.durationMs / 1000} s`);
  const onProgress = (t: LoadTick): void => ctx.log(`load: ${t.second} s, ${t.rps} req/s, p99 ${usAsMs(t.latency.p99)}, ${t.errors} errors`);
  // Stopped: the partial result is judged and kept like a whole one.
  const r = (await outcomeEvenIfCancelled(test.run({ plan, signal: ctx.signal, onProgress }))).raw;
  const runs = [path.relative(process.cwd(), saveLoadResultFile(r, ctx.dir)), await storeLoadRun(r, check.input.input ?? ctx.suite.traffic)];
  const verdict = loadVerdict(r);
  const figure = `${r.rps.toFixed(1)} req/s, p50 ${usAsMs(r.latency.p50)}, p99 ${usAsMs(r.latency.p99)}, ${(errorRate(r.totals) * 100).toFixed(2)} % errors${verdict === 'breaking-point' ? `; ${breakingPointText(r)}` : ''}`;
  return {
    status: verdict === 'passed' || verdict === 'breaking-point' ? 'passed' : 'failed',
    figure,
    failures: verdict === 'passed' || verdict === 'breaking-point' ? [] : failures(r),
    run: runs.join('; '),
    charts: { latency: r.timeline.map((t) => ({ second: t.second, p50: t.latency.p50 / 1000, p99: t.latency.p99 / 1000, rps: t.rps, errors: t.errors })) },
  };
}

function failures(r: LoadResult): string[] {
  const out: string[] = [];
  if (r.stopped) out.push(`the run ended early: ${r.stopped}`);
  for (const v of r.slo.filter((s) => !s.passed)) {
    const clause = parseSlo(v.clause)[0];
    const where = v.brokeAt ? ` (first broken in seconds ${v.brokeAt.fromSecond}-${v.brokeAt.toSecond})` : '';
    out.push(`SLO ${v.clause} broke: ${clause ? formatActual(clause, v.actual) : v.actual} over the run${where}`);
  }
  return out;
}
