import { header, originOf, perExchange, type Rule } from './rule';

/** Why an HSTS header fails, or null when it is sound (max-age of at least a year). */
export function hstsProblem(value: string | undefined): string | null {
  if (value === undefined) return 'no Strict-Transport-Security header';
  const m = /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?\s*(?:;|$)/i.exec(value);
  if (!m) return 'Strict-Transport-Security without a valid max-age';
  if (Number(m[1]) === 0) return 'Strict-Transport-Security max-age=0 disables HSTS';
  if (Number(m[1]) < 31_536_000) return `Strict-Transport-Security max-age=${m[1]} is under one year`;
  return null;
}

export const hstsMissing: Rule = {
  id: 'hsts-missing',
  check: 2,
  title: 'HSTS missing, disabled or malformed',
  severity: 'medium',
  remediation: 'Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS response.',
  traffic: perExchange((ex) => {
    if (!ex.url.startsWith('https://') || ex.status === null) return [];
    const problem = hstsProblem(header(ex.responseHeaders, 'strict-transport-security'));
    return problem ? [{ key: originOf(ex.url), message: `${originOf(ex.url)}: ${problem}`, evidence: problem }] : [];
  }),
};
