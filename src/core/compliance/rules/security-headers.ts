import { header, originOf, perExchange, type Rule } from './rule';

export const securityHeaders: Rule = {
  id: 'security-headers',
  check: 7,
  title: 'No CSP, nosniff or frame protection',
  severity: 'low',
  remediation: 'Send `X-Content-Type-Options: nosniff` on every response and, on HTML, a `Content-Security-Policy` with `frame-ancestors` (or `X-Frame-Options: DENY`).',
  traffic: perExchange((ex) => {
    if (ex.status === null || ex.status < 200 || (ex.status >= 300 && ex.status < 400)) return [];
    const missing: string[] = [];
    if (header(ex.responseHeaders, 'x-content-type-options')?.trim().toLowerCase() !== 'nosniff') missing.push('X-Content-Type-Options: nosniff');
    const type = (header(ex.responseHeaders, 'content-type') ?? ex.responseContentType).toLowerCase();
    if (type.includes('text/html')) {
      const csp = header(ex.responseHeaders, 'content-security-policy');
      if (!csp) missing.push('Content-Security-Policy');
      if (!/frame-ancestors/i.test(csp ?? '') && !header(ex.responseHeaders, 'x-frame-options')) missing.push('frame protection (X-Frame-Options or frame-ancestors)');
    }
    if (!missing.length) return [];
    return [{ key: `${originOf(ex.url)} ${missing.join(',')}`, message: `${originOf(ex.url)} answers without ${missing.join(', ')}`, evidence: `missing ${missing.join(', ')}` }];
  }),
};
