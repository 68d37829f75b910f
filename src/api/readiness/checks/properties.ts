/** Property-based runs and invariants against the target: no violation passes. */
import type { CheckName } from '../../../core/properties/types';
import type { PropertiesCheckSpec } from '../../../core/readiness/types';
import { outcomeEvenIfCancelled } from '../../errors';
import { StateInvariant } from '../../stateInvariant';
import { capped, type CheckBody, type CheckContext } from './context';

export async function runPropertiesCheck(check: PropertiesCheckSpec, ctx: CheckContext): Promise<CheckBody> {
  let phase = '';
  const run = StateInvariant.propertyRun({
    database: ctx.suite.traffic, target: ctx.suite.target, runs: check.runs, seed: check.seed, maxSteps: check.maxSteps,
    checks: check.checks as CheckName[], invariants: check.invariants, invariantsDir: check.invariantsDir, timeoutMs: check.timeoutMs,
  });
  // Stopped: the partial result is judged (it fails: "stopped before the runs were done").
  const r = (await outcomeEvenIfCancelled(run.verify({
    signal: ctx.signal,
    onProgress: (p) => {
      if (p.phase !== phase) ctx.log(`properties: ${p.runs}/${check.runs} runs, ${p.requests} requests (${(phase = p.phase)})`);
    },
  }))).raw;
  const held = r.invariants.filter((i) => i.passed).length;
  const invariants = r.invariants.length ? `, ${held}/${r.invariants.length} invariant(s) held` : '';
  const figure = `${r.runs} runs, ${r.requests} requests, ${r.violations.length} violation(s)${invariants} (seed ${r.seed})`;
  const failures = [
    ...r.violations.map((v) => `${v.check}: ${v.message} (replay: ${v.replay})`),
    ...r.invariants.filter((i) => !i.passed && !r.violations.some((v) => v.check === i.name)).map((i) => `${i.name}: ${i.summary}`),
  ];
  if (r.aborted) failures.push('stopped before the runs were done');
  return { status: r.passed && !r.aborted ? 'passed' : 'failed', figure, failures: capped(failures), run: r.notes.find((n) => /stored|not stored/.test(n)) };
}
