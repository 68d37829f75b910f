/** error_rate_below[=FRACTION]: 5xx and failed requests of the run at most FRACTION of them; needs only HTTP. */
import type { Invariant } from '../types';
import { example } from './latencyBounded';

/** Server errors and failed requests at most `fraction` of the run's requests (default 0.01). */
export function errorRateBelow(fraction = 0.01): Invariant {
  return {
    name: 'error_rate_below',
    judgesRun: true,
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
