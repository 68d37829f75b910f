import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/** A place in a YAML file, 1-based as people count lines and columns. */
export interface YamlPlace {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

function nodeAt(root: unknown, at: readonly (string | number)[]): Node | undefined {
  let node = root as Node | null | undefined;
  for (const key of at) {
    if (isMap(node)) node = node.get(key, true) as Node | undefined;
    else if (isSeq(node) && typeof key === 'number') node = node.get(key, true) as Node | undefined;
    else return undefined;
  }
  return node ?? undefined;
}

function placeOf(node: Node | undefined, lines: LineCounter): YamlPlace | undefined {
  if (!node?.range) return undefined;
  const start = lines.linePos(node.range[0]);
  const end = lines.linePos(node.range[1]);
  return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
}

/** Where the node at a YAML path is (the deepest existing node along it); undefined when the text is not YAML. */
export function placeOfPath(text: string, at: readonly (string | number)[]): YamlPlace | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
  for (let n = at.length; n >= 0; n--) {
    const place = placeOf(nodeAt(doc.contents, at.slice(0, n)), lines);
    if (place) return place;
  }
  return undefined;
}

/**
 * Where the hypothesis probe called `name` is: its `name:` value, found by name in
 * `steady-state-hypothesis.probes` (the result of a run names probes, not lines).
 */
export function placeOfProbe(text: string, name: string): YamlPlace | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const probes = nodeAt(doc.contents, ['steady-state-hypothesis', 'probes']);
  if (!isSeq(probes)) return undefined;
  for (const item of probes.items) {
    if (!isMap(item)) continue;
    const value = item.get('name', true);
    if (isScalar(value) && String(value.value) === name) return placeOf(value, lines);
  }
  return undefined;
}

/** True for a YAML text whose top level has a `steady-state-hypothesis` key (cheap: no full parse). */
export function looksLikeExperiment(text: string): boolean {
  return /^steady-state-hypothesis\s*:/m.test(text);
}
