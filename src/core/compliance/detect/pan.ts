import { luhnValid } from './luhn';
import { maskPan } from './mask';

/** Card brands by prefix and length (ISO/IEC 7812 issuer ranges as the card schemes publish them). */
const BRANDS: ReadonlyArray<{ brand: string; prefix: RegExp; lengths: number[] }> = [
  { brand: 'Amex', prefix: /^3[47]/, lengths: [15] },
  { brand: 'Visa', prefix: /^4/, lengths: [13, 16, 19] },
  { brand: 'Mastercard', prefix: /^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, lengths: [16] },
  { brand: 'Discover', prefix: /^(6011|65|64[4-9]|622(12[6-9]|1[3-9]\d|[2-8]\d\d|9[01]\d|92[0-5]))/, lengths: [16, 19] },
  { brand: 'JCB', prefix: /^35(2[89]|[3-8]\d)/, lengths: [16, 17, 18, 19] },
  { brand: 'Diners', prefix: /^3(0[0-5]|[689])/, lengths: [14, 16, 19] },
  { brand: 'Maestro', prefix: /^(5018|5020|5038|5893|6304|6759|676[1-3])/, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
];

// 12-19 digits, optionally in groups split by single spaces or dashes; not part of a longer number or a decimal.
const CANDIDATE = /(?<![\d.,-])\d(?:[ -]?\d){11,18}(?![\d]|[.,]\d|e[+-]?\d)/gi;
const CONTEXT = /card|credit|debit|visa|amex|master|pan\b|cc_?num|account/i;

export interface PanHit {
  index: number;
  length: number;
  brand: string;
  masked: string;
  /** A card word within 40 characters before it. */
  context: boolean;
}

export function brandOf(digits: string): string | null {
  for (const b of BRANDS) if (b.prefix.test(digits) && b.lengths.includes(digits.length)) return b.brand;
  return null;
}

/** Card numbers in free text: a brand prefix and length, a valid Luhn checksum, consistent separators. */
export function findPans(text: string): PanHit[] {
  const hits: PanHit[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const raw = m[0];
    const seps = new Set(raw.replace(/\d/g, ''));
    if (seps.size > 1) continue;
    const digits = raw.replace(/\D/g, '');
    if (/^(\d)\1+$/.test(digits)) continue;
    const brand = brandOf(digits);
    if (!brand || !luhnValid(digits)) continue;
    const before = text.slice(Math.max(0, m.index - 40), m.index);
    hits.push({ index: m.index, length: raw.length, brand, masked: maskPan(digits), context: CONTEXT.test(before) });
  }
  return hits;
}
