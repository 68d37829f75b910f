import { MATRIX, checkOf, controlsFor } from './controls';
import type { Rule } from './rules/rule';
import type { Finding, Framework, FrameworkSummary } from './types';

const uniq = (xs: string[]): string[] => [...new Set(xs)].sort();

/** Per framework: controls the rules that ran can observe, which of them failed, and which nothing assessed. */
export function summarise(frameworks: Framework[], rulesRun: Rule[], findings: Finding[]): FrameworkSummary[] {
  return frameworks.map((f) => {
    const assessed = uniq(rulesRun.flatMap((r) => controlsFor(checkOf(r.check), f)));
    const failing = uniq(findings.flatMap((x) => x.frameworks[f] ?? []));
    const all = uniq(MATRIX.flatMap((c) => controlsFor(c, f)));
    return {
      framework: f,
      assessed,
      failing,
      compliant: assessed.filter((c) => !failing.includes(c)),
      notAssessed: all.filter((c) => !assessed.includes(c)),
      findings: findings.filter((x) => (x.frameworks[f] ?? []).length > 0).length,
    };
  });
}

/** Matrix checks no rule implements: they need active testing or a person. */
export function notAutomated(rules: readonly Rule[]): string[] {
  const covered = new Set(rules.map((r) => r.check));
  return MATRIX.filter((c) => !covered.has(c.check)).map((c) => `#${c.check} ${c.name}`);
}
