/**
 * Reads an experiment file: YAML (node ranges kept, so every problem carries a line and column), the JSON Schema
 * (schemas/experiment.schema.json, ajv with allErrors), then the checks a schema cannot make (targets named by
 * actions and probes exist and fit, each driver's own check). Problems are one line each: the place, then the fix.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { isMap, isPair, isScalar, isSeq, type Document } from 'yaml';
import schema from '../../../schemas/experiment.schema.json';
import { placeOf, schemaProblems, type SchemaWording } from '../specSchema';
import { checkExperiment } from './checks';
import { DURATION_HINT } from './duration';
import { normalizeExperiment } from './normalize';
import { ACTION_KINDS, type Experiment, type ExperimentProblem } from './types';
import { parseYamlSpec } from '../yamlProblem';

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  return validator;
}

export interface ParsedExperiment {
  experiment?: Experiment;
  problems: ExperimentProblem[];
}

export function parseExperimentText(text: string, file?: string): ParsedExperiment {
  const yaml = parseYamlSpec(text);
  if ('problem' in yaml) return { problems: [{ ...yaml.problem, path: [] }] };
  const { doc, raw, at } = yaml;
  const locate = (p: ExperimentProblem): ExperimentProblem => (p.line !== undefined ? p : { ...p, ...at(offsetOf(doc, p.path)) });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { problems: [locate({ message: 'an experiment file is a YAML mapping with title, targets, steady-state-hypothesis and method; see examples/experiments/backend-restart.yaml', path: [] })] };
  }
  const parsed = parseExperimentObject(raw, file);
  return { ...parsed, problems: parsed.problems.map(locate) };
}

/**
 * The same checks on an experiment already in memory (the file's shape, as plain JS): the schema, then the
 * semantic checks. The library's builders go through here, so a built experiment is exactly what its YAML gives.
 * Problems carry their path but no line.
 */
export function parseExperimentObject(raw: unknown, file?: string): ParsedExperiment {
  const check = validate();
  if (!check(raw)) return { problems: schemaProblems(check.errors ?? [], raw, WORDING) };
  const huge = nonFiniteNumbers(raw, []).map((path) => ({ path, message: `${placeOf(path, raw)}: the number is too large (it reads as infinity); write a finite value` }));
  if (huge.length) return { problems: huge };
  const experiment = normalizeExperiment(raw as Record<string, unknown>, file);
  const problems = checkExperiment(experiment);
  return problems.length ? { problems } : { experiment, problems };
}

/** Paths of numbers YAML read as ±Infinity (1e400): the schema takes them as numbers; defaults would hide them. */
function nonFiniteNumbers(node: unknown, path: (string | number)[]): (string | number)[][] {
  if (typeof node === 'number') return Number.isFinite(node) ? [] : [path];
  if (Array.isArray(node)) return node.flatMap((v, i) => nonFiniteNumbers(v, [...path, i]));
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => nonFiniteNumbers(v, [...path, k]));
  return [];
}

/** The offset of the node at `path`, or of its deepest existing ancestor; a trailing key points at the key itself. */
export function offsetOf(doc: Document, path: (string | number)[]): number {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(key));
      if (!pair) break;
      offset = (isScalar(pair.key) && pair.key.range?.[0]) || offset;
      node = pair.value;
      if (isScalar(node) && node.range) offset = node.range[0];
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key];
      const range = (node as { range?: [number, number, number] }).range;
      if (range) offset = range[0];
    } else break;
  }
  return offset;
}

/** How experiment files word the errors a shared sentence would not explain. */
const WORDING: SchemaWording = {
  requiredHint,
  special(e, path, place, value) {
    if (e.keyword === 'enum' && path.at(-1) === 'type' && path.at(-2) === 'provider' && (path[0] === 'method' || path[0] === 'rollbacks')) {
      return `${place}: unknown action kind ${value}; kinds are: ${ACTION_KINDS.join(', ')}`;
    }
    if (e.keyword === 'anyOf') {
      if (e.schemaPath.includes('duration')) return `${place}: ${value} is not a duration; ${DURATION_HINT}`;
      if (e.schemaPath.includes('tolerance')) return `${place}: a tolerance is a status (200), a list of statuses ([200, 204]) or {status, jsonpath, equals, latency}`;
      return `${place}: ${e.message ?? 'is not valid'}`;
    }
    if (e.keyword === 'pattern') {
      if (path.length === 1 && path[0] === 'targets') return `targets: the name ${JSON.stringify((e.params as { propertyName?: string }).propertyName ?? e.data)} must be 1-64 letters, digits, '_', '.' or '-'`;
      if (path.at(-1) === 'url') return `${place}: ${value} must be an http:// or https:// URL`;
    }
    return undefined;
  },
};

function requiredHint(path: (string | number)[], field: string): string {
  if (path.length === 0 && field === 'method') return ' (a list of actions, e.g. a process-kill)';
  if (path.length === 0 && field === 'steady-state-hypothesis') return ' (probes that say the system is healthy)';
  if (field === 'target') return " (the name of one of the file's targets)";
  return '';
}

export { placeOf } from '../specSchema';
