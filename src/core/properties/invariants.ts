/**
 * Invariants: properties of the system as a whole, judged over the run (or by driving the system themselves).
 * Each is a module with a name and `run(ctx)`, registered here by name; later ones (circuit breaker, queue
 * preservation, transaction atomicity, cache consistency, user invariants from .chaos/invariants/) add entries.
 * `latency_bounded[=MS]` and `error_rate_below[=FRACTION]` need only HTTP: they read the run's own requests.
 */
import { UsageError } from '../errors';
import type { Invariant, Step } from './types';

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;
}

function example(step: Step | undefined): Step[] {
  return step ? [step] : [];
}

/** p99 latency of the run's requests at most `boundMs` (default 2000 ms: generous on a loaded machine). */
export function latencyBounded(boundMs = 2_000): Invariant {
  return {
    name: 'latency_bounded',
    description: `p99 latency of every request the run made is at most ${boundMs} ms`,
    async run(ctx) {
      const answered = ctx.steps.filter((s) => s.status !== null);
      const sorted = answered.map((s) => s.latencyMs).sort((a, b) => a - b);
      const p99 = percentile(sorted, 99);
      const passed = p99 <= boundMs;
      const summary = `p99 ${Math.round(p99)} ms ${passed ? '≤' : '>'} ${boundMs} ms over ${answered.length} requests`;
      const slowest = answered.reduce<Step | undefined>((a, s) => (!a || s.latencyMs > a.latencyMs ? s : a), undefined);
      return {
        outcome: { name: 'latency_bounded', passed, summary },
        violations: passed ? [] : [{ check: 'latency_bounded', kind: 'invariant', endpoint: slowest?.endpoint ?? null, message: `latency_bounded: ${summary}`, minimalExample: example(slowest) }],
      };
    },
  };
}

/** Server errors and failed requests at most `fraction` of the run's requests (default 0.01). */
export function errorRateBelow(fraction = 0.01): Invariant {
  return {
    name: 'error_rate_below',
    description: `at most ${fraction * 100}% of requests fail (5xx or no response)`,
    async run(ctx) {
      const failed = ctx.steps.filter((s) => s.status === null || s.status >= 500);
      const rate = ctx.steps.length ? failed.length / ctx.steps.length : 0;
      const passed = rate <= fraction;
      const summary = `${failed.length} of ${ctx.steps.length} requests failed (${(rate * 100).toFixed(2)}%, bound ${(fraction * 100).toFixed(2)}%)`;
      return {
        outcome: { name: 'error_rate_below', passed, summary },
        violations: passed ? [] : [{ check: 'error_rate_below', kind: 'invariant', endpoint: failed[0]?.endpoint ?? null, message: `error_rate_below: ${summary}`, minimalExample: example(failed[0]) }],
      };
    },
  };
}

/** Invariant factories by name; an argument follows `=`: latency_bounded=500, error_rate_below=0.05. */
export const INVARIANTS: Record<string, { description: string; make(arg?: string): Invariant }> = {
  latency_bounded: {
    description: 'p99 latency of the run at most MS (default 2000)',
    make: (arg) => latencyBounded(arg === undefined ? undefined : positive('latency_bounded', arg, false)),
  },
  error_rate_below: {
    description: 'share of 5xx and failed requests at most FRACTION (default 0.01)',
    make: (arg) => errorRateBelow(arg === undefined ? undefined : positive('error_rate_below', arg, true)),
  },
};

function positive(name: string, arg: string, fraction: boolean): number {
  const n = Number(arg);
  if (!Number.isFinite(n) || n <= 0 || (fraction && n >= 1)) {
    throw new UsageError(`--invariant ${name}=${arg}: the value must be ${fraction ? 'a fraction between 0 and 1, e.g. 0.05' : 'a number of milliseconds above 0'}`);
  }
  return n;
}

/** The invariants named by `--invariant NAME[=VALUE]`; an unknown name is a usage error listing the known ones. */
export function resolveInvariants(names: readonly string[]): Invariant[] {
  return names.map((spec) => {
    const [name, arg] = spec.split('=', 2);
    const entry = INVARIANTS[name];
    if (!entry) throw new UsageError(`--invariant ${name} is not known; choose one of ${Object.keys(INVARIANTS).join(', ')} (the database, queue and cache invariants are not available yet)`);
    return entry.make(arg);
  });
}
