import { credentialOf } from '../detect/credentials';
import { endpointOf } from './endpoint';
import { originOf, type Hit, type Rule, type TrafficExchange } from './rule';

/** Reads that matter without a write method. */
const SENSITIVE_PATH = /\/(admin|accounts?|users?|profiles?|me|orders?|payments?|cards?|patients?|records?|invoices?|settings|billing|documents?|files?|exports?)(\/|$)/i;
/** Endpoints that must answer anonymous callers: sign-in, sign-up, health, public metadata. */
const PUBLIC_PATH = /\/(login|logout|signin|signup|sign-in|sign-up|register|auth|oauth2?|token|session2?|password|forgot|reset|health\w*|ready\w*|live\w*|ping|status|metrics|\.well-known)(\/|$)/i;
const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Tally {
  withCredentials: number;
  anonymous: TrafficExchange[];
}

const ok = (s: number | null): boolean => s !== null && s >= 200 && s < 300;

export const authNotEnforced: Rule = {
  id: 'auth-not-enforced',
  check: 12,
  title: 'Authentication not enforced on a protected endpoint',
  severity: 'high',
  remediation: 'Require authentication on every non-public endpoint (deny by default, one middleware for all routes) and answer 401 without valid credentials; re-test with `chaos-testing properties --check ignored_auth`.',
  traffic: ({ storedRuns }) => {
    const endpoints = new Map<string, Tally>();
    const deniedAnonymously = new Map<string, number>(); // origin → anonymous 401/403 count
    return {
      visit(ex) {
        const credential = credentialOf(ex.requestHeaders);
        if (!credential && (ex.status === 401 || ex.status === 403)) deniedAnonymously.set(originOf(ex.url), (deniedAnonymously.get(originOf(ex.url)) ?? 0) + 1);
        if (!ok(ex.status)) return [];
        let path = '';
        try {
          path = new URL(ex.url).pathname;
        } catch {
          return [];
        }
        if (PUBLIC_PATH.test(path) || !(WRITE.has(ex.method.toUpperCase()) || SENSITIVE_PATH.test(path))) return [];
        const key = endpointOf(ex.method, ex.url);
        const t = endpoints.get(key) ?? { withCredentials: 0, anonymous: [] };
        if (credential) t.withCredentials++;
        else t.anonymous.push(ex);
        endpoints.set(key, t);
        return [];
      },
      end() {
        const out: Array<Hit & { exchangeId: number; url: string }> = [];
        for (const [key, t] of endpoints) {
          const first = t.anonymous[0];
          const denied = first ? deniedAnonymously.get(originOf(first.url)) ?? 0 : 0;
          // Both kinds of caller succeeded, and the same service turns anonymous callers away elsewhere.
          if (!first || !t.withCredentials || !denied) continue;
          out.push({
            key, exchangeId: first.id, url: first.url,
            message: `${key} answered ${first.status} without credentials, as it does with them, while ${originOf(first.url)} answers 401/403 to anonymous callers elsewhere`,
            evidence: `${t.anonymous.length} × 2xx without credentials, ${t.withCredentials} × 2xx with; ${denied} × 401/403 to anonymous requests on other endpoints`,
          });
        }
        for (const run of storedRuns('properties')) {
          const violations = (run.result as { violations?: Array<{ check?: string; endpoint?: string | null; message?: string; minimalExample?: Array<{ path?: string }> }>; target?: string } | null);
          for (const v of violations?.violations ?? []) {
            if (v.check !== 'ignored_auth') continue;
            const step = v.minimalExample?.[v.minimalExample.length - 1];
            out.push({
              // The same endpoint in later runs counts as occurrences of the first run's finding.
              key: `ignored_auth ${v.endpoint ?? v.message ?? run.id}`, exchangeId: 0, url: `${violations?.target ?? ''}${step?.path ?? ''}`,
              message: `properties run ${run.id}: ${v.message ?? `${v.endpoint} ignored missing credentials`}`,
              evidence: `ignored_auth violation stored in run ${run.id} (${v.endpoint ?? 'endpoint unknown'})`,
            });
          }
        }
        return out;
      },
    };
  },
};
