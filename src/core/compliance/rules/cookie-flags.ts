import { parseSetCookie } from '../detect/cookies';
import { headerValues, originOf, perExchange, type Rule } from './rule';

export const cookieFlags: Rule = {
  id: 'cookie-flags',
  check: 6,
  title: 'Cookie missing Secure, HttpOnly or SameSite',
  severity: 'medium',
  remediation: 'Set cookies with `Secure; HttpOnly; SameSite=Lax` (or Strict); a cookie scripts must read still needs Secure and SameSite.',
  traffic: perExchange((ex) =>
    headerValues(ex.responseHeaders, 'set-cookie').flatMap((h) => {
      const c = parseSetCookie(h);
      const missing = ['Secure', 'HttpOnly', 'SameSite'].filter((a) => !c.attributes.has(a.toLowerCase()));
      if (c.attributes.get('samesite')?.toLowerCase() === 'none' && !missing.includes('Secure')) missing.push('SameSite (None)');
      if (!missing.length) return [];
      return [{ key: `${originOf(ex.url)} ${c.name}`, message: `cookie '${c.name}' set by ${originOf(ex.url)} lacks ${missing.join(', ')}`, evidence: `Set-Cookie ${c.name}=… without ${missing.join(', ')}` }];
    }),
  ),
};
