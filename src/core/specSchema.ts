/**
 * JSON Schema errors (ajv, allErrors) of a YAML spec file — an experiment, a load spec, a readiness suite — turned into
 * one line each in the user's words: the place (`method[0] 'kill'.provider.type`), then the fix. Each file kind adds
 * its own wording for the few errors a generic sentence would not explain (a duration, a URL); the rest is shared.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { InputError, describeError } from './errors';

export type SpecPath = (string | number)[];

export interface SchemaProblem {
  path: SpecPath;
  message: string;
}

export interface SchemaWording {
  /** Appended to "'field' is missing; add it": where to look, e.g. " (see examples/suite.yaml)". */
  requiredHint(path: SpecPath, field: string): string;
  /** The whole message for an error this file kind words itself; undefined for the shared wording. */
  special?(e: ErrorObject, path: SpecPath, place: string, value: string): string | undefined;
}

/** `method[0] 'kill the backend'.provider.type` — list items get their name when they have one. */
export function placeOf(path: SpecPath, raw: unknown): string {
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

export function schemaProblems(errors: ErrorObject[], raw: unknown, wording: SchemaWording): SchemaProblem[] {
  // An anyOf (a duration, a tolerance, an SLO) is reported once, in its own words, not once per branch.
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const insideAnyOf = (e: ErrorObject): boolean =>
    e.keyword !== 'anyOf' && anyOfs.some((a) => e.instancePath.startsWith(a.instancePath) && e.schemaPath.startsWith(`${a.schemaPath}/`));
  const problems: SchemaProblem[] = [];
  for (const e of errors) {
    // An 'if' says nothing by itself; a property name's problem comes again as its 'pattern' error, with the name.
    if (e.keyword === 'if' || e.keyword === 'propertyNames' || insideAnyOf(e)) continue;
    const path = toPath(e.instancePath);
    const place = placeOf(path, raw);
    const value = JSON.stringify(e.data);
    const special = wording.special?.(e, path, place, value);
    if (special !== undefined) {
      problems.push({ path, message: special });
      continue;
    }
    switch (e.keyword) {
      case 'required': {
        const field = (e.params as { missingProperty: string }).missingProperty;
        problems.push({ path, message: `${place}: '${field}' is missing; add it${wording.requiredHint(path, field)}` });
        break;
      }
      case 'additionalProperties': {
        const field = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        const hint = allowed.length ? `; allowed here: ${allowed.join(', ')}` : '; nothing else is allowed here';
        problems.push({ path: [...path, field], message: `${place}: unknown field '${field}'${hint}` });
        break;
      }
      case 'enum':
        problems.push({ path, message: `${place}: ${value} is not allowed; use one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` });
        break;
      case 'const':
        problems.push({ path, message: `${place}: must be '${String((e.params as { allowedValue: unknown }).allowedValue)}', not ${value}` });
        break;
      case 'type':
        problems.push({ path, message: `${place}: must be ${article((e.params as { type: unknown }).type)}, not ${value}` });
        break;
      default:
        problems.push({ path, message: `${place}: ${value} ${e.message ?? 'is not valid'}` });
    }
  }
  return dedupe(problems);
}

/** The same message once (ajv repeats an error per failing branch). */
export function dedupe<P extends { message: string }>(problems: P[]): P[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message) !== undefined);
}

/** A spec file's text, or one line naming the file and the fix. */
export function readSpecText(file: string, what: string, fix: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the ${what} ${file} (${describeError(e)}); ${fix}`);
  }
}

/** A parse's problems as one InputError, a `file:line:col: message` line each. */
export function throwProblems(file: string, problems: Array<{ line?: number; column?: number; message: string }>): never {
  throw new InputError(problems.map((p) => `${file}:${p.line ?? 1}:${p.column ?? 1}: ${p.message}`).join('\n'));
}

function toPath(instancePath: string): SpecPath {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** ajv gives a type as a string ("string", "string,number") or, for a list of types, as an array. */
function article(type: unknown): string {
  const t = Array.isArray(type) ? String(type[0]) : String(type).split(',')[0];
  return `${/^[aeio]/.test(t) ? 'an' : 'a'} ${t}`;
}
