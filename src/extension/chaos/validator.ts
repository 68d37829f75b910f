import { parseDocument } from 'yaml';
import type { ExperimentProblem } from '../../core/chaos/types';
import type { ExperimentValidator } from './experimentDiagnostics';

/**
 * YAML syntax errors only, at their line and column: what the editor can say until the experiment parser
 * (src/core/chaos/parse.ts, `parseExperimentText`) is on main; `experimentValidator` below then uses it.
 */
export function yamlSyntaxProblems(text: string): ExperimentProblem[] {
  const doc = parseDocument(text, { prettyErrors: true });
  return doc.errors.map((e) => ({ message: e.message.split('\n')[0], path: [], line: e.linePos?.[0].line, column: e.linePos?.[0].col }));
}

// WIRING: replace with `(text, file) => parseExperimentText(text, file).problems` once src/core/chaos/parse.ts lands.
export const experimentValidator: ExperimentValidator = (text) => yamlSyntaxProblems(text);
