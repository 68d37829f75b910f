/**
 * A violation's minimal sequence as a regression test in the user's language, through the generate templates: the
 * steps before the failing one assert what they returned, the failing one asserts what the check expected (404
 * after a DELETE, 401 without credentials, 400 for an invalid body, the documented success status instead of a 500).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, describeError } from '../errors';
import { findDialect } from '../generate/dialects';
import { pascal, type Dialect } from '../generate/dialect';
import { fileState, renderSuite } from '../generate/generate';
import { actionName, requiredShape } from '../learn/learn';
import type { BehaviourModel, Step as ModelStep } from '../learn/model';
import { atomicWriteFileSync, ensureParentDir } from '../store/atomicWrite';
import { renderCliRegression } from './cliRegression';
import { confidentSchema, type EndpointPlan } from './plan';
import type { TraceEntry } from './state';
import type { CheckName, HttpExampleStep, RegressionLanguage, RegressionTest } from './types';

/** The status a correct backend gives at the failing step, or undefined when no test can say it (timing). */
function expectedStatus(check: string, last: TraceEntry, plan: EndpointPlan | undefined): number | undefined {
  const success = plan?.successStatus ?? 200;
  switch (check as CheckName) {
    case 'use_after_free':
      return 404;
    case 'ignored_auth':
      return 401;
    case 'negative_data_rejection':
      return 400;
    case 'not_a_server_error':
      return last.variant === 'negative' ? 400 : success;
    case 'status_code_conformance':
    case 'ensure_resource_availability':
      return success;
    case 'content_type_conformance':
    case 'response_schema_conformance':
      return last.step.status ?? success;
    default:
      return undefined;
  }
}

/** The file a regression test for `name` goes to, per language, beside (not over) the generated suite. */
function fileFor(d: Dialect, name: string): string {
  const pascal = name.replace(/(^|_)(\w)/g, (_, _u, c: string) => c.toUpperCase());
  switch (d.language) {
    case 'python':
      return `tests/test_properties_${name}.py`;
    case 'typescript':
      return `tests/properties-${name.replace(/_/g, '-')}.test.ts`;
    case 'go':
      return `tests/properties_${name}/regression_test.go`;
    case 'rust':
      return `tests/test_properties_${name}.rs`;
    default:
      return `src/test/java/properties/${pascal}Test.java`;
  }
}

function scenarioSteps(trace: TraceEntry[], check: string, plan: EndpointPlan | undefined): ModelStep[] | undefined {
  const last = trace[trace.length - 1];
  const status = expectedStatus(check, last, plan);
  if (status === undefined) return undefined;
  const used = new Set(trace.flatMap((e) => JSON.stringify([e.template.path, e.template.headers, e.template.body, e.template.query]).match(/"variable":"[^"]+"|"\$var":"[^"]+"/g) ?? []).map((m) => m.split(':')[1].slice(1, -1)));
  return trace.map((e, i): ModelStep => {
    const isLast = i === trace.length - 1;
    const response = plan?.endpoint.responses.find((r) => r.status === status);
    let contentType: string | null = isLast ? null : (e.contentType ?? null);
    let schema;
    if (isLast && check === 'content_type_conformance') contentType = response?.contentType ?? null;
    if (isLast && check === 'response_schema_conformance' && response?.schema) {
      contentType = response.contentType;
      schema = requiredShape(confidentSchema(response.schema, response.count) as never);
    }
    return {
      ...e.template,
      expect: { status: isLast ? status : (e.step.status ?? 0), contentType, ...(schema ? { schema } : {}), values: [], noise: [] },
      captures: e.captures.filter((c) => used.has(c.variable)),
    };
  });
}

/** Renders (and with `outDir`, writes) the regression test of one violation; undefined when none can be written. */
export function regressionTest(options: {
  language: RegressionLanguage;
  framework?: string;
  check: string;
  trace: TraceEntry[];
  plan: EndpointPlan | undefined;
  model: BehaviourModel;
  target: string;
  replay: string;
  name: string;
  outDir?: string;
}): RegressionTest | undefined {
  const d = findDialect(options.language, options.framework);
  if (!d) return undefined;
  const steps = scenarioSteps(options.trace, options.check, options.plan);
  if (!steps) return undefined;
  const name = `${options.check}_${actionName(steps[steps.length - 1].method, options.plan?.endpoint.template ?? '/')}`;
  const env = options.model.env.filter((e) => JSON.stringify(steps).includes(`"${e.name}"`));
  const model: BehaviourModel = {
    version: 1,
    source: { database: options.model.source.database, exchanges: options.trace.length, used: options.trace.length, skipped: {} },
    baseUrl: new URL(options.target).origin,
    endpoints: options.model.endpoints.filter((e) => steps.some((s) => s.endpoint === e.key)),
    scenarios: [{ name, kind: 'flow', steps, samples: 1 }],
    env,
    noiseHeaders: [],
  };
  const file = fileFor(d, options.name);
  let code = renderSuite({ ...d, file }, model, `a property-run violation; replay: ${options.replay}`);
  if (d.language === 'java') code = rename(d, code, path.basename(file, '.java'));
  return placed(d, file, code, options.outDir);
}

/** Java wants the class named as its file, in a package named as its folder; the hash line is made again. */
function rename(d: Dialect, code: string, className: string): string {
  const body = code.slice(code.indexOf('\n') + 1).replace(/^package generated;/m, 'package properties;').replace(/\bGeneratedApiTest\b/g, className);
  const hash = createHash('sha256').update(body).digest('hex');
  return `${d.comment(`chaos-testing:generated sha256=${hash} (edit freely: a changed file is never overwritten silently)`)}\n${body}`;
}

/** Writes the file unless the user edited it (then FILE.new beside it); returns where it went. */
function write(file: string, code: string): string {
  const state = fileState(file);
  const target = state === 'edited' || state === 'foreign' ? `${file}.new` : file;
  try {
    ensureParentDir(target);
    atomicWriteFileSync(target, Buffer.from(code));
  } catch (e) {
    throw new InputError(`cannot write ${target}: ${describeError(e)}; choose another --out`);
  }
  return target;
}


/**
 * The regression test of an invariant violation: its HTTP case through the generate templates when it has one
 * (cache_consistency: create → reads and writes → the read that must serve the source of truth), else a test that
 * replays the case with the CLI (`cliArgs`) and asserts exit 0.
 */
export function invariantRegressionTest(options: {
  language: RegressionLanguage;
  framework?: string;
  check: string;
  httpExample?: HttpExampleStep[];
  cliArgs: string[];
  target: string;
  replay: string;
  name: string;
  outDir?: string;
}): RegressionTest | undefined {
  const d = findDialect(options.language, options.framework);
  if (!d) return undefined;
  const file = fileFor(d, options.name);
  const className = pascal(options.name);
  let code: string;
  if (options.httpExample?.length) {
    const steps = options.httpExample.map((s): ModelStep => {
      const template = s.path.map((p) => (typeof p === 'string' ? p : `{${'variable' in p ? p.variable : p.env}}`)).join('');
      return {
        name: actionName(s.method, template), exchangeId: 0, endpoint: `${s.method} ${template}`, method: s.method, path: s.path, query: [],
        headers: s.headers.map(([k, v]) => [k, [v]]), body: s.body === undefined ? null : { json: s.body },
        expect: { status: s.status, contentType: s.contentType, values: s.values, noise: [] }, captures: s.captures,
      };
    });
    const last = steps[steps.length - 1];
    const model: BehaviourModel = {
      version: 1, source: { database: '(an invariant run)', exchanges: steps.length, used: steps.length, skipped: {} }, baseUrl: new URL(options.target).origin,
      endpoints: [], scenarios: [{ name: `${options.check}_${last.name}`, kind: 'flow', steps, samples: 1 }], env: [], noiseHeaders: [],
    };
    code = renderSuite({ ...d, file }, model, `an invariant violation (${options.check}); replay: ${options.replay}`);
    if (d.language === 'java') code = rename(d, code, path.basename(file, '.java'));
  } else {
    code = renderCliRegression(d, options.name, className, options.cliArgs, `${options.check} held on this case; replay: ${options.replay}`);
  }
  return placed(d, file, code, options.outDir);
}

/** The test as code, or written under `outDir` with what the suite needs around it when the project has none (go.mod, a minimal Cargo.toml), as generate writes it. */
function placed(d: Dialect, file: string, code: string, outDir: string | undefined): RegressionTest {
  if (!outDir) return { language: d.language, framework: d.framework, file: null, code };
  const written = write(path.resolve(outDir, file), code);
  for (const extra of d.scaffold?.(path.resolve(outDir)) ?? []) {
    const target = path.resolve(outDir, extra.path);
    if (!fs.existsSync(target)) write(target, extra.content);
  }
  return { language: d.language, framework: d.framework, file: written, code };
}
