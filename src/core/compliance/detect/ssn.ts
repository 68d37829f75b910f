import { maskSsn } from './mask';

const CANDIDATE = /(?<![\d-])(\d{3})([- .])(\d{2})\2(\d{4})(?![\d-])/g;
/** Published examples that are not anyone's number (the Woolworth wallet card, advertising samples). */
const KNOWN_FAKES = new Set(['078051120', '219099999', '123456789', '457555462']);

export interface SsnHit {
  index: number;
  length: number;
  masked: string;
}

/** Whether area/group/serial can be issued: not area 000, 666 or 9xx; not group 00; not serial 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  const all = area + group + serial;
  if (/^(\d)\1+$/.test(all) || KNOWN_FAKES.has(all)) return false;
  return true;
}

/** US Social Security numbers written with one consistent separator (dash, space or dot). */
export function findSsns(text: string): SsnHit[] {
  const hits: SsnHit[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    if (!ssnValid(m[1], m[3], m[4])) continue;
    hits.push({ index: m.index, length: m[0].length, masked: maskSsn(m[4]) });
  }
  return hits;
}
