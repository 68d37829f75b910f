import type { Dialect } from './dialect';
import { goTesting } from './dialects/go';
import { javaJunit5 } from './dialects/java';
import { pythonPytest } from './dialects/python';
import { rustUreq } from './dialects/rust';
import { typescriptNode, typescriptVitest } from './dialects/typescript';

export { goTesting, javaJunit5, pythonPytest, rustUreq, typescriptNode, typescriptVitest };

/** Every generator, one file per language under dialects/; the first of a language is its default framework. */
export const DIALECTS: Dialect[] = [pythonPytest, typescriptVitest, typescriptNode, goTesting, rustUreq, javaJunit5];

/** The dialect for a language and optional framework; the first framework of a language is its default. */
export function findDialect(language: string, framework?: string): Dialect | undefined {
  const lang = language.toLowerCase() === 'ts' ? 'typescript' : language.toLowerCase() === 'py' ? 'python' : language.toLowerCase();
  const matches = DIALECTS.filter((d) => d.language === lang);
  if (!framework) return matches[0];
  const f = framework.toLowerCase().replace(/^node$/, 'node:test');
  return matches.find((d) => d.framework === f);
}
