/** latency_bounded[=MS]: p99 latency of the run's own requests at most MS; needs only HTTP. */
import type { Invariant, Step } from '../types';

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;
}

export function example(step: Step | undefined): Step[] {
  return step ? [step] : [];
}

/** p99 latency of the run's requests at most `boundMs` (default 2000 ms: generous on a loaded machine). */
export function latencyBounded(boundMs = 2_000): Invariant {
  return {
    name: 'latency_bounded',
    judgesRun: true,
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
