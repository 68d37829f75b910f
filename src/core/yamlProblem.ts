import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';

/** Where an offset of the text is, 1-based. */
export interface TextPlace {
  line: number;
  column: number;
}

/**
 * A spec file's text as YAML (experiments, load specs, suites): its document, its value, and a way to place an
 * offset; or the one problem that stops it. One problem, not one per YAML error: a file that is not YAML at all
 * (a script given as a spec) makes hundreds, each following from the first. An alias bomb is a problem too.
 */
export function parseYamlSpec(text: string): { doc: Document; raw: unknown; at: (offset: number) => TextPlace } | { problem: { message: string } & TextPlace } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): TextPlace => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length) return { problem: { message: firstYamlProblem(doc.errors), ...at(doc.errors[0].pos[0]) } };
  try {
    return { doc, raw: doc.toJS({ maxAliasCount: 100 }), at };
  } catch (e) {
    return { problem: { message: `not valid YAML: ${(e as Error).message.split('\n')[0]}`, line: 1, column: 1 } };
  }
}

function firstYamlProblem(errors: readonly YAMLError[]): string {
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more after it)` : '';
  return `not valid YAML: ${errors[0].message.split('\n')[0]}${more}`;
}
