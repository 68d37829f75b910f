import type { Rule, TrafficExchange } from './rule';

/** PCI DSS 8.3.4: lock out after at most 10 failed attempts. */
export const MAX_FAILURES = 10;

export const noLockout: Rule = {
  id: 'no-lockout',
  check: 14,
  title: 'No lockout or 429 after repeated failed logins',
  severity: 'medium',
  remediation: `Lock the account or answer 429 after at most ${MAX_FAILURES} failed attempts, for at least 30 minutes (PCI DSS 8.3.4, NIST AC-7).`,
  traffic: () => {
    const endpoints = new Map<string, { failures: number; limited: boolean; first: TrafficExchange }>();
    return {
      visit(ex) {
        if (ex.status !== 401 && ex.status !== 429) return [];
        let key = ex.url;
        try {
          const u = new URL(ex.url);
          key = `${ex.method} ${u.origin}${u.pathname}`;
        } catch { /* keep the raw url */ }
        const e = endpoints.get(key) ?? { failures: 0, limited: false, first: ex };
        if (ex.status === 429) e.limited = true;
        else e.failures++;
        endpoints.set(key, e);
        return [];
      },
      end() {
        return [...endpoints.entries()]
          .filter(([, e]) => e.failures > MAX_FAILURES && !e.limited)
          .map(([key, e]) => ({ key, exchangeId: e.first.id, url: e.first.url, message: `${key} answered 401 ${e.failures} times and never 429 or a lockout`, evidence: `${e.failures} × 401, no 429` }));
      },
    };
  },
};
