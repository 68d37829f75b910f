import { percentile } from '../../chaos/stats';
import { endpointOf } from './endpoint';
import type { Hit, Rule, TrafficExchange } from './rule';

interface EndpointTally {
  requests: number;
  errors: number;
  firstError: TrafficExchange | null;
  durations: number[];
  slowest: TrafficExchange | null;
}

const pct = (x: number): string => `${(x * 100).toFixed(1).replace(/\.0$/, '')} %`;

export const sloBreach: Rule = {
  id: 'slo-breach',
  check: 30,
  title: '5xx rate or p99 latency above the service level objective',
  severity: 'medium',
  remediation: 'Find what fails or stalls on the endpoint (logs, traces, `chaos-testing load` against it), fix it or add capacity, and alert on the 5xx share and p99 so a breach is seen before users report it (NIST SC-5, SOC 2 A1.2).',
  traffic: ({ slo }) => {
    const endpoints = new Map<string, EndpointTally>();
    return {
      visit(ex) {
        if (ex.status === null) return [];
        const key = endpointOf(ex.method, ex.url);
        const e = endpoints.get(key) ?? { requests: 0, errors: 0, firstError: null, durations: [], slowest: null };
        e.requests++;
        if (ex.status >= 500) {
          e.errors++;
          e.firstError ??= ex;
        }
        if (ex.durationMs !== null) {
          e.durations.push(ex.durationMs);
          if (!e.slowest || ex.durationMs > (e.slowest.durationMs ?? 0)) e.slowest = ex;
        }
        endpoints.set(key, e);
        return [];
      },
      end() {
        const out: Array<Hit & { exchangeId: number; url: string }> = [];
        for (const [key, e] of endpoints) {
          if (e.requests < slo.minRequests) continue;
          const share = e.errors / e.requests;
          if (e.firstError && share > slo.max5xxShare) {
            out.push({
              key: `5xx ${key}`, exchangeId: e.firstError.id, url: e.firstError.url,
              message: `${key}: ${e.errors} of ${e.requests} requests answered 5xx (${pct(share)}, objective ≤ ${pct(slo.max5xxShare)})`,
              evidence: `${e.errors} × 5xx of ${e.requests} requests = ${pct(share)} > ${pct(slo.max5xxShare)}`,
            });
          }
          if (e.durations.length >= slo.minRequests && e.slowest) {
            const p99 = percentile([...e.durations].sort((a, b) => a - b), 99);
            if (p99 > slo.maxP99Ms) {
              out.push({
                key: `p99 ${key}`, exchangeId: e.slowest.id, url: e.slowest.url,
                message: `${key}: p99 latency ${Math.round(p99)} ms over ${e.durations.length} requests (objective ≤ ${slo.maxP99Ms} ms)`,
                evidence: `p99 ${Math.round(p99)} ms > ${slo.maxP99Ms} ms; slowest ${Math.round(e.slowest.durationMs ?? 0)} ms (exchange #${e.slowest.id}) of ${e.durations.length} timed requests`,
              });
            }
          }
        }
        return out;
      },
    };
  },
};
