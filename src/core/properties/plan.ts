/**
 * What the commands are made of, read from the behaviour model: per endpoint, a recorded request to copy the shape
 * of (path with chained variables, headers, body template), where each chained variable comes from (the
 * producer→consumer links of the learned flows: POST /items → /id → GET /items/{itemId}), what its responses
 * produce, which headers carry credentials, and the schemas to generate bodies from.
 */
import type { BehaviourModel, EndpointModel, Step as ModelStep } from '../learn/model';
import type { SchemaLike } from './arbitraries';

/** Where a chained value comes from: a response of `endpoint`, at `from` (a JSON pointer or header:location). */
export interface Producer {
  endpoint: string;
  from: string;
}

export function producerKey(p: Producer): string {
  return `${p.endpoint} ${p.from}`;
}

export interface EndpointPlan {
  endpoint: EndpointModel;
  /** A recorded request whose path uses chained variables (needs their producers to have run), if any. */
  chained?: ModelStep;
  /** A recorded request with every value literal (runs at any time), if any. */
  literal?: ModelStep;
  /** Variable name → its producer, for the variables the recorded requests use. */
  links: Map<string, Producer>;
  /** Where this endpoint's 2xx responses produce values later requests reuse (/id, header:location). */
  produces: string[];
  /** Request headers that carry credentials (recorded with them): removed for ignored_auth. */
  auth: string[];
  /** The schema bodies are generated from (learned `required`: fields every sample had). */
  generate?: SchemaLike;
  /** The schema negative bodies break (required only where enough samples agree). */
  strict?: SchemaLike;
  /** The usual success status (most seen 2xx), for regression tests. */
  successStatus: number | null;
}

const AUTH_HEADER = /^(authorization|x-api-key|cookie|proxy-authorization|x-auth-token)$/i;

/** Samples a learned `required` needs before a missing field counts as invalid (fewer: the field may be optional). */
export const CONFIDENT_SAMPLES = 3;

/** The learned schema with `required` kept only where `count` samples stand behind it, and no formats. */
export function confidentSchema(s: SchemaLike, count: number): SchemaLike {
  const out: SchemaLike = {};
  if (s.type !== undefined) out.type = s.type;
  if (s.enum) out.enum = s.enum;
  for (const k of ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const) if (s[k] !== undefined) out[k] = s[k];
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, confidentSchema(v, count)]));
  if (s.required && count >= CONFIDENT_SAMPLES) out.required = s.required;
  if (s.items) out.items = confidentSchema(s.items, count);
  return out;
}

function variablesOf(step: ModelStep): string[] {
  const out: string[] = [];
  for (const p of step.path) if (typeof p === 'object' && 'variable' in p) out.push(p.variable);
  return out;
}

function jsonVariables(v: unknown, out: string[]): string[] {
  if (Array.isArray(v)) for (const x of v) jsonVariables(x, out);
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$var === 'string') out.push(o.$var);
    else for (const x of Object.values(o)) jsonVariables(x, out);
  }
  return out;
}

/** Every chained variable a recorded request uses: path, query, headers and body. */
export function stepVariables(step: ModelStep): string[] {
  const parts = [...step.path, ...step.query.flatMap(([, v]) => v), ...step.headers.flatMap(([, v]) => v)];
  const out = parts.flatMap((p) => (typeof p === 'object' && 'variable' in p ? [p.variable] : []));
  if (step.body && 'json' in step.body) jsonVariables(step.body.json, out);
  return [...new Set(out)];
}

function isSuccess(step: ModelStep): boolean {
  return step.expect.status >= 200 && step.expect.status < 300;
}

export function buildPlans(model: BehaviourModel): EndpointPlan[] {
  const plans = new Map<string, EndpointPlan>();
  for (const e of model.endpoints) {
    const success = Object.entries(e.statuses).filter(([s]) => s.startsWith('2')).sort((a, b) => b[1] - a[1])[0];
    const plan: EndpointPlan = { endpoint: e, links: new Map(), produces: [], auth: [], successStatus: success ? Number(success[0]) : null };
    if (e.requestSchema) {
      plan.generate = e.requestSchema;
      plan.strict = confidentSchema(e.requestSchema, e.count);
    }
    plans.set(e.key, plan);
  }
  for (const scenario of model.scenarios) {
    // Within one scenario a variable is captured once, by an earlier step: that step's endpoint is its producer.
    const producers = new Map<string, Producer>();
    for (const step of scenario.steps) {
      const plan = plans.get(step.endpoint);
      if (!plan) continue;
      const vars = variablesOf(step);
      const all = stepVariables(step);
      if (all.every((v) => producers.has(v))) {
        for (const v of all) plan.links.set(v, producers.get(v)!);
        // A successful recorded request is the better copy; a chained one over a literal one when both exist.
        if (vars.length && (!plan.chained || (!isSuccess(plan.chained) && isSuccess(step)))) plan.chained = step;
        if (!vars.length && (!plan.literal || (!isSuccess(plan.literal) && isSuccess(step)))) plan.literal = step;
      }
      for (const [name] of step.headers) if (AUTH_HEADER.test(name) && !plan.auth.includes(name.toLowerCase())) plan.auth.push(name.toLowerCase());
      for (const c of step.captures) {
        producers.set(c.variable, { endpoint: step.endpoint, from: c.from });
        if (!plan.produces.includes(c.from)) plan.produces.push(c.from);
      }
    }
  }
  return [...plans.values()].filter((p) => p.chained || p.literal);
}
