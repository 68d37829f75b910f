import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type YAMLMap } from 'yaml';
import type { WorkspaceFile } from '../workspace';

export interface YamlFile {
  /** Documents that parsed cleanly; the others are left out (and named in `errors`). */
  docs: Document.Parsed[];
  lines: LineCounter;
  errors: string[];
}

const cache = new WeakMap<WorkspaceFile, YamlFile>();

/** The file's YAML documents with a line counter for positions (parsed once per file). */
export function yamlOf(file: WorkspaceFile): YamlFile {
  let y = cache.get(file);
  if (!y) {
    const lines = new LineCounter();
    const docs = parseAllDocuments(file.text, { lineCounter: lines, uniqueKeys: false });
    const all = Array.isArray(docs) ? docs : [docs];
    const errors = all.flatMap((d) => d.errors.map((e) => `${e.linePos?.[0] ? `line ${e.linePos[0].line}: ` : ''}${e.message.split('\n')[0].replace(/:$/, '')}`));
    y = { docs: all.filter((d) => d.errors.length === 0), lines, errors };
    cache.set(file, y);
  }
  return y;
}

/** 1-based line:column where a node starts and ends. */
export function rangeOf(y: YamlFile, node: Node | null | undefined): { line: number; column: number; endLine?: number; endColumn?: number } {
  const r = node?.range;
  if (!r) return { line: 1, column: 1 };
  const a = y.lines.linePos(r[0]);
  const b = y.lines.linePos(r[1]);
  return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
}

/** The pair (key node, value node) of `key` in a map, for positions; undefined when absent. */
export function entry(map: unknown, key: string): { key: Node; value: Node | null } | undefined {
  if (!isMap(map)) return undefined;
  for (const p of map.items) {
    if (isScalar(p.key) && p.key.value === key) return { key: p.key, value: (p.value as Node | null) ?? null };
  }
  return undefined;
}

export function scalar(node: unknown): unknown {
  return isScalar(node) ? node.value : undefined;
}

export function mapsIn(seq: unknown): YAMLMap[] {
  return isSeq(seq) ? seq.items.filter((i): i is YAMLMap => isMap(i)) : [];
}

const POD_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export interface PodSpec {
  doc: Document.Parsed;
  kind: string;
  name: string;
  spec: YAMLMap;
  containers: YAMLMap[];
}

/** Every Kubernetes workload's pod spec in the file, with its containers and init containers. */
export function podSpecs(y: YamlFile): PodSpec[] {
  const out: PodSpec[] = [];
  for (const doc of y.docs) {
    const kind = doc.get('kind');
    const path = typeof kind === 'string' ? POD_PATHS[kind] : undefined;
    if (!path) continue;
    const spec = doc.getIn(path, true);
    if (!isMap(spec)) continue;
    const containers = [...mapsIn(spec.get('containers', true)), ...mapsIn(spec.get('initContainers', true))];
    out.push({ doc, kind: kind as string, name: String(doc.getIn(['metadata', 'name']) ?? '?'), spec, containers });
  }
  return out;
}

/** Compose services (name → map). */
export function composeServices(y: YamlFile): Array<{ name: string; service: YAMLMap; key: Node }> {
  const out: Array<{ name: string; service: YAMLMap; key: Node }> = [];
  for (const doc of y.docs) {
    const services = doc.get('services', true);
    if (!isMap(services)) continue;
    for (const p of services.items) if (isScalar(p.key) && isMap(p.value)) out.push({ name: String(p.key.value), service: p.value, key: p.key });
  }
  return out;
}
