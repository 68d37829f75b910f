/**
 * Reads a readiness suite (.chaos/suite.yaml): YAML with node ranges kept, the JSON Schema (schemas/suite.schema.json,
 * ajv), then what a schema cannot check (a test is a language with a dir or a command). `loadSuite` also reads what
 * the suite names — experiment files, load specs, invariants — so a bad suite fails before anything runs. Every
 * problem is one line: `file:line:col: message`.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { Document } from 'yaml';
import loadSchema from '../../../schemas/load.schema.json';
import schema from '../../../schemas/suite.schema.json';
import { offsetOf } from '../chaos/parse';
import { dedupe, readSpecText, schemaProblems, throwProblems, type SchemaWording } from '../specSchema';
import { DURATION_HINT, parseDuration } from '../chaos/duration';
import type { Framework } from '../compliance/types';
import type { RunnerLanguage } from '../generate/runners';
import { CHECK_NAMES } from '../properties/types';
import type { AuditCheckSpec, CheckSpec, Suite, SuitePlace } from './types';
import { parseYamlSpec } from '../yamlProblem';

export interface SuiteProblem {
  message: string;
  line: number;
  column: number;
}

type Path = (string | number)[];
type Obj = Record<string, unknown>;

const EXAMPLE = 'see examples/suite.yaml';
const ALL_FRAMEWORKS: Framework[] = ['fisma', 'fedramp', 'soc2', 'hipaa', 'pci-dss'];
const DEFAULT_TEST_TIMEOUT_MS = 5 * 60_000;

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);
  return validator;
}

// The suite's inline load: a load spec (schemas/load.schema.json) whose target may come from the suite, plus `spec`.
let loadValidator: ValidateFunction | undefined;
function validateLoad(): ValidateFunction {
  const inline = { ...loadSchema, $id: undefined, required: [], properties: { ...loadSchema.properties, spec: { type: 'string', minLength: 1 } } };
  loadValidator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(inline);
  return loadValidator;
}

/** The suite's checks in the order `ci` runs them; `file` names the suite in the checks' places and errors. */
export function parseSuiteText(text: string, file = '.chaos/suite.yaml'): { suite?: Suite; problems: SuiteProblem[] } {
  const parsed = parseYamlSpec(text);
  if ('problem' in parsed) return { problems: [parsed.problem] };
  const { doc, raw, at } = parsed;
  const placeAt = (path: Path): SuitePlace => at(offsetOf(doc as Document, path));
  const problem = (path: Path, message: string): SuiteProblem => ({ message, ...placeAt(path) });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: [problem([], `a suite is a YAML mapping with at least target:; ${EXAMPLE}`)] };
  const check = validate();
  const checkLoad = validateLoad();
  const r = raw as Obj;
  const errors = check(raw) ? [] : [...(check.errors ?? [])];
  if (r.load && typeof r.load === 'object' && !checkLoad(r.load)) errors.push(...(checkLoad.errors ?? []).map((e) => ({ ...e, instancePath: `/load${e.instancePath}` })));
  if (errors.length) return { problems: dedupe(schemaProblems(errors, raw, WORDING).map((p) => problem(p.path, p.message))) };
  const problems: SuiteProblem[] = [];
  const checks: CheckSpec[] = [];

  (r.tests as Obj[] | undefined ?? []).forEach((t, i) => {
    const place = placeAt(['tests', i]);
    const hasLanguage = t.language !== undefined || t.dir !== undefined;
    if (t.command !== undefined && hasLanguage) problems.push(problem(['tests', i, 'command'], `tests[${i}]: either command, or language with dir; not both`));
    else if (t.command === undefined && (t.language === undefined || t.dir === undefined)) {
      problems.push(problem(['tests', i], `tests[${i}]: name the generated suite with language and dir (e.g. language: typescript-node, dir: tests/generated), or give a command`));
    }
    const label = t.command !== undefined ? String(t.command) : `${String(t.language)} tests in ${String(t.dir)}`;
    checks.push({
      kind: 'tests', name: (t.name as string) ?? label, place,
      language: t.language as RunnerLanguage | undefined, dir: t.dir as string | undefined, command: t.command as string | undefined,
      timeoutMs: parseDuration(t.timeout) ?? DEFAULT_TEST_TIMEOUT_MS,
    });
  });

  if (r.properties !== undefined) {
    const p = r.properties as Obj;
    for (const [i, c] of ((p.checks as string[] | undefined) ?? []).entries()) {
      if (!(CHECK_NAMES as readonly string[]).includes(c)) problems.push(problem(['properties', 'checks', i], `properties.checks[${i}]: '${c}' is not a check; choose from ${CHECK_NAMES.join(', ')}`));
    }
    const invariants = ((p.invariants as unknown[] | undefined) ?? []).map(invariantArg);
    const runs = (p.runs as number | undefined) ?? 100;
    if (runs === 0 && !invariants.length) problems.push(problem(['properties', 'runs'], 'properties.runs: 0 runs the invariants alone; name at least one under invariants:'));
    checks.push({
      kind: 'properties', name: (p.name as string) ?? 'properties and invariants', place: placeAt(['properties']),
      runs, seed: p.seed as number | undefined, maxSteps: (p['max-steps'] as number | undefined) ?? 10,
      checks: (p.checks as string[] | undefined) ?? [], invariants, invariantsDir: (p['invariants-dir'] as string | undefined) ?? '.chaos/invariants',
      timeoutMs: parseDuration(p.timeout) ?? 10_000,
    });
  }

  (r.experiments as Obj[] | undefined ?? []).forEach((e, i) => {
    checks.push({
      kind: 'chaos', name: (e.name as string) ?? String(e.file), place: placeAt(['experiments', i]), file: e.file as string,
      maxRecoveryTimeMs: parseDuration(e['max-recovery-time']), maxErrorRate: parseRate(e['max-error-rate']),
    });
  });

  if (r.load !== undefined) {
    const l = r.load as Obj;
    checks.push({ kind: 'load', name: (l.name as string) ?? 'load profile', place: placeAt(['load']), input: { ...l } as never });
  }

  if (r.audit !== undefined) {
    const a = r.audit as Obj;
    const names = (a.frameworks as string[] | undefined) ?? ['all'];
    const frameworks = names.includes('all') ? ALL_FRAMEWORKS : [...new Set(names)] as Framework[];
    const workspace = a.workspace === undefined ? '.' : String(a.workspace);
    checks.push({
      kind: 'audit', name: (a.name as string) ?? `compliance: ${frameworks.join(', ')}`, place: placeAt(['audit']), frameworks,
      failOn: (a['fail-on'] as AuditCheckSpec['failOn'] | undefined) ?? 'high', workspace: workspace || null,
    });
  }
  if (!checks.length) problems.push(problem([], `the suite names no check; add tests, properties, experiments, load or audit (${EXAMPLE})`));
  if (problems.length) return { problems };
  return {
    suite: { file, name: (r.name as string) ?? String(r.target), target: r.target as string, traffic: (r.traffic as string | undefined) ?? '.chaos/traffic.db', checks },
    problems: [],
  };
}

/** An invariant as `--invariant` takes it: NAME, NAME=VALUE, or NAME={options as inline JSON, which is YAML}. */
function invariantArg(item: unknown): string {
  if (typeof item === 'string') return item;
  const [name, value] = Object.entries(item as Obj)[0];
  if (value === null || value === undefined) return name;
  return `${name}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
}

/** 0.05 or '5%' → 0.05. */
export function parseRate(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value.trim().replace(/%$/, '')) / 100;
  return undefined;
}

/** Reads and parses a suite file; its problems are thrown as one InputError line each, `file:line:col: message`. */
export function readSuite(file: string): Suite {
  const { suite, problems } = parseSuiteText(readSpecText(file, 'suite', `check the path, or write one (${EXAMPLE})`), file);
  if (problems.length) throwProblems(file, problems);
  return suite!;
}

/** How suite files word the errors a shared sentence would not explain. */
const WORDING: SchemaWording = {
  requiredHint: () => ` (${EXAMPLE})`,
  special(e, path, place, value) {
    if (e.keyword === 'anyOf') {
      const hint = e.schemaPath.includes('rate') ? "is not a rate; write a fraction (0.05) or a percentage ('5%')"
        : e.schemaPath.includes('duration') ? `is not a duration; ${DURATION_HINT}`
        : path.includes('invariants') ? 'is not an invariant; write its name, or {name: options} with one key'
        : 'is not valid; a list of clauses or one string, e.g. "p99<200ms,errors<1%"';
      return `${place}: ${value} ${hint}`;
    }
    if (e.keyword === 'pattern' && path[0] === 'target') return `target: ${value} must be an http:// or https:// URL`;
    return undefined;
  },
};


