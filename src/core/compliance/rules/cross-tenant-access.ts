import { credentialOf } from '../detect/credentials';
import { header, type Hit, type Rule } from './rule';

interface Created {
  owner: string;
  exchangeId: number;
}

/** Where a 201 put what it created: its Location, else the request URL + the body's `id`. */
function createdAt(url: string, location: string | undefined, body: string): string | null {
  try {
    if (location) return new URL(location, url).origin + new URL(location, url).pathname.replace(/\/$/, '');
    const id = (JSON.parse(body) as { id?: unknown }).id;
    if (typeof id !== 'string' && typeof id !== 'number') return null;
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/$/, '')}/${encodeURIComponent(String(id))}`;
  } catch {
    return null;
  }
}

export const crossTenantAccess: Rule = {
  id: 'cross-tenant-access',
  check: 13,
  title: 'A resource created by one user answered to another (IDOR)',
  severity: 'high',
  remediation: 'Check ownership on every object access, not just authentication: look the object up scoped to the caller (`WHERE id = ? AND owner = ?`) and answer 404 to others; test it with two accounts (NIST AC-3, PCI DSS 7.2.1).',
  traffic: () => {
    const created = new Map<string, Created>();
    return {
      visit(ex) {
        const who = credentialOf(ex.requestHeaders);
        if (!who || ex.status === null) return [];
        if (ex.method.toUpperCase() === 'POST' && ex.status === 201) {
          const at = createdAt(ex.url, header(ex.responseHeaders, 'location'), ex.responseBody);
          if (at && !created.has(at)) created.set(at, { owner: who, exchangeId: ex.id });
          return [];
        }
        if (ex.status < 200 || ex.status >= 300) return [];
        let at: string;
        try {
          const u = new URL(ex.url);
          at = `${u.origin}${u.pathname.replace(/\/$/, '')}`;
        } catch {
          return [];
        }
        const c = created.get(at);
        if (!c || c.owner === who) return [];
        const hit: Hit = {
          key: `${ex.method} ${at}`,
          message: `${ex.method} ${at} answered ${ex.status} to other credentials than those that created it at exchange #${c.exchangeId}`,
          evidence: `created by one credential (exchange #${c.exchangeId}), ${ex.method} → ${ex.status} with a different one (credentials compared, never shown)`,
        };
        return [hit];
      },
    };
  },
};
