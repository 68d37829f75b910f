import { cookieLifetime, parseSetCookie } from '../detect/cookies';
import { jwtLifetimes } from '../detect/jwt';
import { header, headerValues, originOf, perExchange, type Hit, type Rule } from './rule';

/** PCI DSS 8.2.8 and NIST AC-12: re-authenticate after 15 minutes idle. */
export const MAX_SESSION_SECONDS = 15 * 60;
const SESSION_COOKIE = /sess|sid|token|auth|jwt|login/i;

const minutes = (s: number): string => `${Math.round(s / 60)} min`;

export const sessionLifetime: Rule = {
  id: 'session-lifetime',
  check: 15,
  title: 'Session or token lifetime over 15 minutes',
  severity: 'medium',
  remediation: 'Expire sessions after 15 minutes idle: short-lived access tokens (exp − iat ≤ 900 s) with refresh, session cookies with Max-Age ≤ 900.',
  traffic: perExchange((ex) => {
    const hits: Hit[] = [];
    const date = Date.parse(header(ex.responseHeaders, 'date') ?? '') || ex.startedAt;
    for (const h of headerValues(ex.responseHeaders, 'set-cookie')) {
      const c = parseSetCookie(h);
      const life = cookieLifetime(c, date);
      if (SESSION_COOKIE.test(c.name) && life !== null && life > MAX_SESSION_SECONDS) {
        hits.push({ key: `${originOf(ex.url)} cookie ${c.name}`, message: `session cookie '${c.name}' lives ${minutes(life)}`, evidence: `cookie ${c.name} lifetime ${life} s (limit ${MAX_SESSION_SECONDS} s)` });
      }
      for (const t of jwtLifetimes(h, date)) if (t.seconds > MAX_SESSION_SECONDS) hits.push({ key: `${originOf(ex.url)} cookie-jwt ${c.name}`, message: `JWT in cookie '${c.name}' lives ${minutes(t.seconds)}`, evidence: `JWT exp − iat = ${t.seconds} s` });
    }
    for (const t of jwtLifetimes(ex.responseBody, date)) {
      if (t.seconds > MAX_SESSION_SECONDS) hits.push({ key: `${ex.id} body-jwt`, message: `${ex.method} ${ex.url} issued a JWT that lives ${minutes(t.seconds)}`, evidence: `JWT exp − iat = ${t.seconds} s (token not shown)` });
    }
    return hits;
  }),
};
