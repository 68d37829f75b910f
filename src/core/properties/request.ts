/**
 * Builds one request of a sequence from a recorded one: chained variables filled from what earlier steps of the
 * sequence produced, secrets from CHAOS_SECRET_* variables, the body recorded, generated or broken. Alongside it,
 * the same request as a learn Step (variables kept as variables), for the regression test.
 */
import type { HeaderPairs } from '../capture/types';
import type { Step as ModelStep, TemplateString } from '../learn/model';
import { getPointer } from '../replay/jsonPointer';
import type { VariantKind } from './checks';
import { producerKey, type EndpointPlan } from './plan';
import type { SequenceModel } from './state';

export interface BodyChoice {
  kind: VariantKind;
  /** The generated, odd or broken body (recorded and noauth use the recorded one). */
  value?: unknown;
  why?: string;
}

export interface BuiltRequest {
  method: string;
  path: string;
  headers: HeaderPairs;
  /** Headers as shown: secrets by their variable's name. */
  shownHeaders: Array<[string, string]>;
  body: unknown;
  /** Values from earlier steps the path used. */
  targets: string[];
  /** The same request with sequence variables as variables (for regression tests). */
  template: ModelStep;
  notes: string[];
}

/** The recorded request this plan copies now: the chained one when the sequence has its values, else the literal one. */
export function chooseStep(plan: EndpointPlan, m: SequenceModel, variables: (s: ModelStep) => string[]): ModelStep | undefined {
  const ready = (s: ModelStep | undefined): boolean => !!s && variables(s).every((v) => (m.pools.get(producerKey(plan.links.get(v)!))?.length ?? 0) > 0);
  if (ready(plan.chained)) return plan.chained;
  if (ready(plan.literal)) return plan.literal;
  return undefined;
}

/** JSON-template leaves ({ $var }, { $env }, { $concat }) by pointer. */
function templateLeaves(v: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(v)) v.forEach((x, i) => templateLeaves(x, `${prefix}/${i}`, out));
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$var === 'string' || typeof o.$env === 'string' || Array.isArray(o.$concat)) out.set(prefix, v);
    else for (const [k, x] of Object.entries(o)) templateLeaves(x, `${prefix}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
  return out;
}

/** Sets a value at a pointer, making objects on the way; false when the way is blocked by a non-object. */
function put(target: unknown, pointer: string, value: unknown): boolean {
  const tokens = pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur = target as Record<string, unknown>;
  for (const t of tokens.slice(0, -1)) {
    if (cur[t] === undefined) cur[t] = {};
    if (!cur[t] || typeof cur[t] !== 'object') return false;
    cur = cur[t] as Record<string, unknown>;
  }
  cur[tokens[tokens.length - 1]] = value;
  return true;
}

export class RequestBuilder {
  constructor(private readonly _env: NodeJS.ProcessEnv) {}

  build(plan: EndpointPlan, step: ModelStep, m: SequenceModel, pick: number, choice: BodyChoice): BuiltRequest {
    const notes: string[] = [];
    const targets: string[] = [];
    let offset = 0;
    const valueOf = (variable: string): { value: string; name: string } => {
      const pool = m.pools.get(producerKey(plan.links.get(variable)!))!;
      const value = pool[(pick + offset++) % pool.length];
      return { value, name: m.names.get(value)! };
    };
    const render = (t: TemplateString, forPath: boolean): { text: string; shown: string; template: TemplateString; missing: string[] } => {
      let text = '';
      let shown = '';
      const template: TemplateString = [];
      const missing: string[] = [];
      for (const p of t) {
        if (typeof p === 'string') {
          text += p;
          shown += p;
          template.push(p);
        } else if ('variable' in p) {
          const { value, name } = valueOf(p.variable);
          if (forPath) targets.push(value);
          text += forPath ? encodeURIComponent(value) : value;
          shown += value;
          template.push({ variable: name });
        } else {
          const value = this._env[p.env];
          if (value === undefined || value === '') missing.push(p.env);
          text += value ?? '';
          shown += `$${p.env}`;
          template.push(p);
        }
      }
      return { text, shown, template, missing };
    };

    const path = render(step.path, true);
    const query = step.query.map(([n, v]) => [n, render(v, false)] as const);
    const search = query.length ? `?${query.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v.text)}`).join('&')}` : '';
    const headers: HeaderPairs = [];
    const shownHeaders: Array<[string, string]> = [];
    const templateHeaders: Array<[string, TemplateString]> = [];
    for (const [name, value] of step.headers) {
      if (choice.kind === 'noauth' && plan.auth.includes(name.toLowerCase())) continue;
      const r = render(value, false);
      if (r.missing.length) {
        notes.push(`header ${name} not sent: set ${r.missing.join(', ')}`);
        continue;
      }
      headers.push([name, r.text]);
      shownHeaders.push([name, r.shown]);
      templateHeaders.push([name, r.template]);
    }

    // The body: as recorded, or generated/broken with the recorded chained and secret leaves put back.
    let body: unknown;
    let jsonTemplate: unknown;
    const recorded = step.body && 'json' in step.body ? step.body.json : undefined;
    const leaves = templateLeaves(recorded);
    const resolveLeaf = (leaf: unknown): { value: unknown; template: unknown } => {
      const o = leaf as { $var?: string; $env?: string; $concat?: unknown[] };
      if (o.$var !== undefined) {
        const { value, name } = valueOf(o.$var);
        return { value: /^-?\d+$/.test(value) ? Number(value) : value, template: { $var: name } };
      }
      if (o.$env !== undefined) return { value: this._env[o.$env] ?? '', template: leaf };
      return { value: '', template: leaf };
    };
    if (choice.kind === 'recorded' || choice.kind === 'noauth') {
      if (recorded !== undefined) {
        body = structuredClone(recorded);
        jsonTemplate = structuredClone(recorded);
      } else if (step.body && 'text' in step.body) body = step.body.text;
    } else {
      body = structuredClone(choice.value);
      jsonTemplate = structuredClone(choice.value);
    }
    if (choice.kind !== 'negative' && body && typeof body === 'object' && !Array.isArray(body)) {
      for (const [pointer, leaf] of leaves) {
        const r = resolveLeaf(leaf);
        if (put(body, pointer, r.value)) put(jsonTemplate, pointer, r.template);
      }
    }
    const hasJson = body !== undefined && (choice.kind !== 'recorded' || recorded !== undefined);
    if (hasJson && !headers.some(([n]) => n.toLowerCase() === 'content-type')) {
      headers.push(['content-type', 'application/json']);
      shownHeaders.push(['content-type', 'application/json']);
    }
    const template: ModelStep = {
      ...step,
      path: path.template,
      query: query.map(([n, v]) => [n, v.template]),
      headers: templateHeaders,
      body: hasJson ? { json: jsonTemplate } : typeof body === 'string' ? { text: body } : null,
      captures: [],
      cleanup: false,
    };
    return { method: step.method, path: `${path.text}${search}`, headers, shownHeaders, body, targets, template, notes };
  }
}

/** A value at `from` in a response: a JSON pointer or header:location (its last segment). */
export function producedValue(json: unknown, headers: HeaderPairs, from: string): string | undefined {
  if (from === 'header:location') {
    const loc = headers.find(([n]) => n.toLowerCase() === 'location')?.[1];
    return loc?.split('?')[0].split('/').filter(Boolean).pop();
  }
  if (from.startsWith('header:')) return headers.find(([n]) => n.toLowerCase() === from.slice(7))?.[1];
  const v = getPointer(json, from);
  return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
}
