import { findSsns } from '../detect/ssn';
import { perExchange, type Rule } from './rule';
import { decodeOrKeep } from '../../uri';

export const ssnInUrl: Rule = {
  id: 'ssn-in-url',
  check: 11,
  title: 'Social Security number in a URL',
  severity: 'high',
  remediation: 'Move identifiers such as SSNs out of paths and query strings (they land in logs, proxies and browser history): send them in a POST body over HTTPS or use an opaque id.',
  traffic: perExchange((ex) => {
    return findSsns(decodeOrKeep(ex.url)).map((s) => ({ key: `${ex.id} ${s.masked}`, message: `${ex.method} request carried SSN ${s.masked} in its URL`, evidence: `SSN ${s.masked} in the URL` }));
  }),
};
