import type { Document, YAMLError } from 'yaml';

/**
 * A file's YAML errors as one problem: the first, with a count of the rest. A file that is not YAML at all (a
 * script given as a spec) makes hundreds, each following from the first.
 */
export function firstYamlProblem(errors: readonly YAMLError[]): { message: string; offset: number } {
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more after it)` : '';
  return { message: `not valid YAML: ${first.message.split('\n')[0]}${more}`, offset: first.pos[0] };
}

/** The document's value; throws (with YAML's message) for one that expands beyond reason, e.g. an alias bomb. */
export function docToJs(doc: Document): unknown {
  return doc.toJS({ maxAliasCount: 100 });
}
