/**
 * Reads an experiment file: YAML (node ranges kept, so every problem carries a line and column), the JSON Schema
 * (schemas/experiment.schema.json, ajv with allErrors), then the checks a schema cannot make (targets named by
 * actions and probes exist and fit, each driver's own check). Problems are one line each: the place, then the fix.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import schema from '../../../schemas/experiment.schema.json';
import { checkExperiment } from './checks';
import { DURATION_HINT } from './duration';
import { normalizeExperiment } from './normalize';
import { ACTION_KINDS, type Experiment, type ExperimentProblem } from './types';

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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length) {
    return { problems: doc.errors.map((e) => ({ message: `not valid YAML: ${e.message.split('\n')[0]}`, path: [], ...at(e.pos[0]) })) };
  }
  const raw: unknown = doc.toJS();
  const locate = (p: ExperimentProblem): ExperimentProblem => (p.line !== undefined ? p : { ...p, ...at(offsetOf(doc, p.path)) });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { problems: [locate({ message: 'an experiment file is a YAML mapping with title, targets, steady-state-hypothesis and method; see examples/experiments/backend-restart.yaml', path: [] })] };
  }
  const check = validate();
  if (!check(raw)) return { problems: dedupe(schemaProblems(check.errors ?? [], raw)).map(locate) };
  const experiment = normalizeExperiment(raw as Record<string, unknown>, file);
  const problems = checkExperiment(experiment).map(locate);
  return problems.length ? { problems } : { experiment, problems };
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

function toPath(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `method[0] 'kill the backend'.provider.type` — list items get their name when they have one. */
export function placeOf(path: (string | number)[], raw: unknown): string {
  let out = '';
  let node: unknown = raw;
  for (const key of path) {
    node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined;
    if (typeof key === 'number') {
      out += `[${key}]`;
      const name = node && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
      if (typeof name === 'string') out += ` '${name}'`;
    } else out += out ? `.${key}` : key;
  }
  return out || 'the file';
}

function schemaProblems(errors: ErrorObject[], raw: unknown): ExperimentProblem[] {
  // An anyOf (duration, tolerance) is reported once, in its own words, instead of one line per branch.
  const summarised = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.instancePath}|${e.schemaPath}`);
  const inside = (e: ErrorObject): boolean => summarised.some((s) => {
    const [ip, sp] = s.split('|');
    return e.keyword !== 'anyOf' && e.instancePath.startsWith(ip) && e.schemaPath.startsWith(sp + '/');
  });
  const problems: ExperimentProblem[] = [];
  for (const e of errors) {
    if (e.keyword === 'if' || inside(e)) continue;
    const path = toPath(e.instancePath);
    const place = placeOf(path, raw);
    const value = JSON.stringify(e.data);
    switch (e.keyword) {
      case 'required': {
        const field = (e.params as { missingProperty: string }).missingProperty;
        problems.push({ path, message: `${place}: '${field}' is missing; add it${requiredHint(path, field)}` });
        break;
      }
      case 'additionalProperties': {
        const field = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        const hint = allowed.length ? `; allowed here: ${allowed.join(', ')}` : '; nothing else is allowed here';
        problems.push({ path: [...path, field], message: `${place}: unknown field '${field}'${hint}` });
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        if (path.at(-1) === 'type' && path.at(-2) === 'provider' && (path[0] === 'method' || path[0] === 'rollbacks')) {
          problems.push({ path, message: `${place}: unknown action kind ${value}; kinds are: ${ACTION_KINDS.join(', ')}` });
        } else problems.push({ path, message: `${place}: ${value} is not allowed; use one of: ${allowed.join(', ')}` });
        break;
      }
      case 'const':
        problems.push({ path, message: `${place}: must be '${String((e.params as { allowedValue: unknown }).allowedValue)}', not ${value}` });
        break;
      case 'anyOf':
        if (e.schemaPath.includes('duration')) problems.push({ path, message: `${place}: ${value} is not a duration; ${DURATION_HINT}` });
        else if (e.schemaPath.includes('tolerance')) problems.push({ path, message: `${place}: a tolerance is a status (200), a list of statuses ([200, 204]) or {status, jsonpath, equals, latency}` });
        else problems.push({ path, message: `${place}: ${e.message ?? 'is not valid'}` });
        break;
      case 'type':
        problems.push({ path, message: `${place}: must be ${article((e.params as { type: string }).type)}, not ${value}` });
        break;
      case 'propertyNames':
        break; // reported by its 'pattern' error, with the name
      case 'pattern':
        if (path.length === 1 && path[0] === 'targets') problems.push({ path, message: `targets: the name ${JSON.stringify((e.params as { propertyName?: string }).propertyName ?? e.data)} must be 1-64 letters, digits, '_', '.' or '-'` });
        else if (path.at(-1) === 'url') problems.push({ path, message: `${place}: ${value} must be an http:// or https:// URL` });
        else problems.push({ path, message: `${place}: ${value} ${e.message ?? 'is not valid'}` });
        break;
      default:
        problems.push({ path, message: `${place}: ${e.message ?? 'is not valid'}` });
    }
  }
  return problems;
}

function requiredHint(path: (string | number)[], field: string): string {
  if (path.length === 0 && field === 'method') return ' (a list of actions, e.g. a process-kill)';
  if (path.length === 0 && field === 'steady-state-hypothesis') return ' (probes that say the system is healthy)';
  if (field === 'target') return " (the name of one of the file's targets)";
  return '';
}

function article(type: string): string {
  const t = type.split(',')[0];
  return `${/^[aeio]/.test(t) ? 'an' : 'a'} ${t}`;
}

function dedupe(problems: ExperimentProblem[]): ExperimentProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message) !== undefined);
}
