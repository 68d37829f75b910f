import { findPans } from './pan';
import { findSsns } from './ssn';

/** Replaces card numbers and SSNs in a text (a URL, a message) by their masked forms. */
export function maskText(text: string): string {
  const hits = [...findPans(text), ...findSsns(text)].sort((a, b) => b.index - a.index);
  let out = text;
  for (const h of hits) out = out.slice(0, h.index) + h.masked + out.slice(h.index + h.length);
  return out;
}
