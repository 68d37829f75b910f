/**
 * Reads a load spec (.chaos/load/*.yaml): YAML with node ranges kept, the JSON Schema (schemas/load.schema.json, ajv),
 * then what a schema cannot check (the SLO clauses, the mix options that exclude each other). Every problem is one
 * line with the place in the file: `file:line:col: message`.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import schema from '../../../schemas/load.schema.json';
import { offsetOf } from '../chaos/parse';
import { dedupe, readSpecText, schemaProblems, throwProblems, type SchemaWording } from '../specSchema';
import { DURATION_HINT, parseDuration } from '../chaos/duration';
import { isChaosError } from '../errors';
import type { LoadPlanInput, RequestInput } from './plan';
import { parseSlo } from './slo';
import type { ProfileKind } from './types';
import { parseYamlSpec } from '../yamlProblem';

export interface LoadSpecProblem {
  message: string;
  line: number;
  column: number;
}

type Path = (string | number)[];

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  return validator;
}

const EXAMPLE = 'see examples/load/checkout-ramp.yaml';

export function parseLoadSpecText(text: string): { input?: LoadPlanInput; problems: LoadSpecProblem[] } {
  const parsed = parseYamlSpec(text);
  if ('problem' in parsed) return { problems: [parsed.problem] };
  const { doc, raw, at } = parsed;
  const problem = (path: Path, message: string): LoadSpecProblem => ({ message, ...at(offsetOf(doc, path)) });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: [problem([], `a load spec is a YAML mapping with at least target:; ${EXAMPLE}`)] };
  const check = validate();
  if (!check(raw)) return { problems: dedupe(schemaProblems(check.errors ?? [], raw, WORDING).map((p) => problem(p.path, p.message))) };
  const r = raw as Record<string, unknown>;
  const problems: LoadSpecProblem[] = [];
  for (const clause of Array.isArray(r.slo) ? (r.slo as string[]) : r.slo ? [r.slo as string] : []) {
    try {
      parseSlo(clause);
    } catch (e) {
      if (!isChaosError(e)) throw e;
      problems.push(problem(Array.isArray(r.slo) ? ['slo', (r.slo as string[]).indexOf(clause)] : ['slo'], `slo: ${e.message}`));
    }
  }
  if (r.requests && (r.mix !== undefined || r['read-write'] !== undefined)) problems.push(problem([r.mix !== undefined ? 'mix' : 'read-write'], 'requests: is a mix of its own; remove mix and read-write, or remove requests'));
  if (r.mix === 'target' && r['read-write'] !== undefined) problems.push(problem(['read-write'], "read-write reshapes the captured traffic; it needs mix: traffic, not mix: target"));
  if (problems.length) return { problems };
  const ms = (key: string): number | undefined => (r[key] === undefined ? undefined : parseDuration(r[key]));
  const input: LoadPlanInput = {
    name: r.name as string | undefined,
    target: r.target as string,
    profile: r.profile as ProfileKind | undefined,
    from: r.from as number | undefined,
    to: r.to as number | undefined,
    durationMs: ms('duration'),
    stepEveryMs: ms('step-every'),
    rate: r.rate as number | undefined,
    connections: r.connections as number | undefined,
    mix: r.mix as LoadPlanInput['mix'],
    readWrite: r['read-write'] as string | undefined,
    requests: r.requests as RequestInput[] | undefined,
    slo: r.slo as string | string[] | undefined,
    input: r.input as string | undefined,
    session: r.session as number | undefined,
    maxRequests: r['max-requests'] as number | undefined,
    timeoutMs: ms('timeout'),
    pid: r.pid as number | undefined,
    allowRemote: r['allow-remote'] as boolean | undefined,
    insecure: r.insecure as boolean | undefined,
  };
  return { input: Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as LoadPlanInput, problems: [] };
}

/** Reads and parses a spec file; a problem is thrown as one InputError line per problem, `file:line:col: message`. */
export function readLoadSpec(file: string): LoadPlanInput {
  const { input, problems } = parseLoadSpecText(readSpecText(file, 'load spec', 'check the path'));
  if (problems.length) throwProblems(file, problems);
  return input!;
}

/** How load specs word the errors a shared sentence would not explain. */
const WORDING: SchemaWording = {
  requiredHint: () => ` (${EXAMPLE})`,
  special(e, path, place, value) {
    if (e.keyword === 'anyOf') return path[0] === 'slo' ? `${place}: a list of clauses or one string, e.g. "p99<200ms,errors<1%"` : `${place}: ${value} is not a duration; ${DURATION_HINT}`;
    if (e.keyword === 'pattern' && path[0] === 'target') return `target: ${value} must be an http:// or https:// URL`;
    if (e.keyword === 'pattern' && path[0] === 'read-write') return `read-write: ${value} is not a ratio; write reads:writes, e.g. '0.8:0.2'`;
    return undefined;
  },
};
