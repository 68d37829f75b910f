import type { Finding } from './types';

/** A finding as the labelled corpus names it: `rule @ #exchange` or `rule @ file:line:column`. */
export function findingLabel(f: Finding): string {
  const l = f.location;
  return `${f.ruleId} @ ${'file' in l ? `${l.file}:${l.line}:${l.column}` : `#${l.exchangeId}`}`;
}

/** Precision and recall per rule of `actual` labels against `expected` ones (multisets). */
export function scoreByRule(expected: string[], actual: string[]): Map<string, { tp: number; fp: number; fn: number; precision: number; recall: number }> {
  const rules = new Set([...expected, ...actual].map((l) => l.split(' @ ')[0]));
  const out = new Map<string, { tp: number; fp: number; fn: number; precision: number; recall: number }>();
  for (const rule of [...rules].sort()) {
    const exp = expected.filter((l) => l.startsWith(`${rule} @ `));
    const rest = [...exp];
    let tp = 0;
    let fp = 0;
    for (const a of actual.filter((l) => l.startsWith(`${rule} @ `))) {
      const i = rest.indexOf(a);
      if (i === -1) fp++;
      else {
        tp++;
        rest.splice(i, 1);
      }
    }
    const fn = rest.length;
    out.set(rule, { tp, fp, fn, precision: tp + fp ? tp / (tp + fp) : 1, recall: tp + fn ? tp / (tp + fn) : 1 });
  }
  return out;
}
