import { findPans } from '../detect/pan';
import { positionOf } from '../detect/position';
import { perExchange, type Hit, type Rule } from './rule';

function panHits(text: string, where: string): Hit[] {
  return findPans(text).map((p) => ({ key: `${where} ${p.masked}`, message: `${p.brand} card number ${p.masked} unmasked in ${where}`, evidence: `${p.brand} ${p.masked}${p.context ? ' (next to a card field)' : ''}`}));
}

export const panExposed: Rule = {
  id: 'pan-exposed',
  check: 9,
  title: 'Card number (PAN) shown unmasked',
  severity: 'high',
  remediation: 'Never return or log a full PAN: show at most the first 6 and last 4 digits, store it tokenised or encrypted (PCI DSS 3.4.1, 3.5.1).',
  traffic: perExchange((ex) => [...panHits(ex.url, 'the URL'), ...panHits(ex.responseBody, 'the response body')].map(({ key, ...h }) => ({ ...h, key: `${ex.id} ${key}` }))),
  files: {
    kinds: ['log'],
    scan: (file) => {
      return findPans(file.text).map((p) => {
        const at = positionOf(file.text, p.index);
        return { message: `${p.brand} card number ${p.masked} unmasked in ${file.path}`, evidence: `${p.brand} ${p.masked}`, at: { ...at, endLine: at.line, endColumn: at.column + p.length } };
      });
    },
  },
};
