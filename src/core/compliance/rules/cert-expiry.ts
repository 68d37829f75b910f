import type { Rule } from './rule';

export const EXPIRY_WARNING_DAYS = 30;

export const certExpiry: Rule = {
  id: 'cert-expiry',
  check: 4,
  title: 'Certificate expired, expiring soon or untrusted',
  severity: 'high',
  remediation: `Renew certificates well before expiry (automate with ACME), alert ${EXPIRY_WARNING_DAYS} days ahead, and serve a chain that clients trust.`,
  tls: (p, now) => {
    if (p.error) return [];
    const problems: string[] = [];
    if (p.validTo !== null) {
      const days = Math.floor((p.validTo - now) / 86_400_000);
      if (days < 0) problems.push(`certificate expired ${-days} day(s) ago`);
      else if (days < EXPIRY_WARNING_DAYS) problems.push(`certificate expires in ${days} day(s)`);
    }
    if (!p.authorized) problems.push(`certificate not trusted (${p.authorizationError ?? 'unknown reason'})`);
    return problems.length ? [{ key: p.target, message: `${p.target}: ${problems.join('; ')}`, evidence: `valid to ${p.validTo === null ? '?' : new Date(p.validTo).toISOString()}${p.authorized ? '' : `, ${p.authorizationError}`}` }] : [];
  },
};
