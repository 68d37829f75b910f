/**
 * Checks Chaos Mesh resources against the CRDs' OpenAPI schemas (the served, storage version), with ajv, as the API
 * server would — plus what the schemas leave to Chaos Mesh's webhooks and the API server: names, durations, and a
 * Workflow's template graph, whose embedded chaos specs are checked against their own kinds' CRDs too.
 *
 * Unknown fields are errors here (kubectl's --validate=strict): the API server would silently drop a misspelt field.
 * The CRDs are not shipped with the product: this is for the tests and for `chaos export --validate`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { InputError } from '../errors';
import { CHAOS_MESH_API_VERSION, TEMPLATE_FIELD, isDns1123Label, type KubeResource } from './chaosMeshFormat';

type Schema = Record<string, unknown>;

/** Go's time.ParseDuration: one or more number+unit pairs, optionally signed. */
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;
const FLOW_TYPES = new Set(['Serial', 'Parallel', 'Suspend', 'Task', 'Schedule']);
const MAX_TEMPLATE_DEPTH = 100;
const VALIDATORS = new Map<string, ChaosMeshValidator>();

/** The CRD directory beside the project (../shared/data/chaos-mesh-crds from the repo root), if there is one. */
export function findCrdDir(from: string[] = [__dirname, process.cwd()]): string | undefined {
  for (const start of from) {
    for (let dir = path.resolve(start), i = 0; i < 12; dir = path.dirname(dir), i++) {
      const candidate = path.join(dir, '..', 'shared', 'data', 'chaos-mesh-crds');
      if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  return undefined;
}

export class ChaosMeshValidator {
  private readonly _ajv = new Ajv({ strict: false, allErrors: true });
  private readonly _compiled = new Map<string, ValidateFunction>();

  /** `files` maps each kind to its CRD file; a file is parsed and compiled only when its kind is first checked. */
  private constructor(private readonly _files: Map<string, string>) {
    // Kubernetes' formats: integers' ranges are what matters; the others are not ours to emit.
    this._ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    this._ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    for (const format of ['byte', 'date-time', 'int-or-string', 'quantity']) this._ajv.addFormat(format, true);
  }

  /** One validator per directory: compiling the Workflow CRD's schema takes seconds. */
  static fromDirectory(dir: string): ChaosMeshValidator {
    const key = path.resolve(dir);
    let validator = VALIDATORS.get(key);
    if (!validator) VALIDATORS.set(key, (validator = ChaosMeshValidator._load(key)));
    return validator;
  }

  private static _load(dir: string): ChaosMeshValidator {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n));
    } catch {
      throw new InputError(`cannot read the Chaos Mesh CRDs in ${dir}; give the directory of chaos-mesh.org_*.yaml files`);
    }
    const files = new Map<string, string>();
    for (const name of names) {
      const file = path.join(dir, name);
      const kind = /\n {2}names:\n(?: {4}.*\n)*? {4}kind: (\w+)/.exec(readFileSync(file, 'utf8'))?.[1];
      if (kind) files.set(kind, file);
    }
    if (!files.size) throw new InputError(`no CustomResourceDefinitions in ${dir}; give the directory of chaos-mesh.org_*.yaml files`);
    return new ChaosMeshValidator(files);
  }

  get kinds(): string[] {
    return [...this._files.keys()];
  }

  /** Every problem in every resource, each one line starting with `Kind/name:`. */
  validateAll(resources: object[]): string[] {
    return resources.flatMap((r) => this.validate(r));
  }

  validate(resource: object): string[] {
    const r = resource as KubeResource;
    const where = `${r.kind ?? '?'}/${r.metadata?.name ?? '?'}`;
    const problems = this._metadata(r);
    if (!this._files.has(r.kind)) return [...problems, `unknown kind (known: ${this.kinds.join(', ')})`].map((p) => `${where}: ${p}`);
    problems.push(...this._schema(r.kind, r), ...durations(r.spec, '/spec'));
    if (r.kind === 'Workflow' && r.spec && typeof r.spec === 'object') problems.push(...this._workflow(r.spec));
    return problems.map((p) => `${where}: ${p}`);
  }

  private _metadata(r: KubeResource): string[] {
    const problems: string[] = [];
    if (r.apiVersion !== CHAOS_MESH_API_VERSION) problems.push(`apiVersion must be ${CHAOS_MESH_API_VERSION}`);
    const name = r.metadata?.name;
    if (typeof name !== 'string' || !isDns1123Label(name)) problems.push(`metadata.name '${String(name)}' is not a DNS-1123 label`);
    const ns = r.metadata?.namespace;
    if (ns !== undefined && (typeof ns !== 'string' || !isDns1123Label(ns))) problems.push(`metadata.namespace '${String(ns)}' is not a DNS-1123 label`);
    return problems;
  }

  private _schema(kind: string, value: unknown): string[] {
    const validate = this._validator(kind);
    return validate(value) ? [] : (validate.errors ?? []).map(describe);
  }

  private _validator(kind: string): ValidateFunction {
    let validate = this._compiled.get(kind);
    if (!validate) {
      const crd = YAML.parse(readFileSync(this._files.get(kind)!, 'utf8'), { maxAliasCount: -1 });
      const versions: { name: string; served?: boolean; storage?: boolean; schema?: { openAPIV3Schema?: Schema } }[] = crd?.spec?.versions ?? [];
      const version = versions.find((v) => v.served && v.storage) ?? versions.find((v) => v.served);
      if (!version?.schema?.openAPIV3Schema) throw new InputError(`${this._files.get(kind)} has no served version with an openAPIV3Schema`);
      validate = this._ajv.compile(strictFields(version.schema.openAPIV3Schema));
      this._compiled.set(kind, validate);
    }
    return validate;
  }

  /** The template graph (entry, children, one template per name) and each embedded spec against its own CRD. */
  private _workflow(spec: Record<string, unknown>): string[] {
    const problems: string[] = [];
    const templates = Array.isArray(spec.templates) ? (spec.templates as Record<string, unknown>[]) : [];
    const byName = new Map<string, Record<string, unknown>>();
    for (const [i, t] of templates.entries()) {
      const at = `/spec/templates/${i}`;
      const name = String(t.name);
      if (byName.has(name)) problems.push(`${at}: a second template named '${name}'`);
      byName.set(name, t);
      if (!isDns1123Label(name)) problems.push(`${at}/name '${name}' is not a DNS-1123 label`);
      const type = String(t.templateType);
      const field = TEMPLATE_FIELD[type as keyof typeof TEMPLATE_FIELD];
      if (!field && !FLOW_TYPES.has(type)) problems.push(`${at}/templateType '${type}' is not one this export knows`);
      if (type === 'Suspend' && t.deadline === undefined) problems.push(`${at}: a Suspend needs a deadline`);
      if ((type === 'Serial' || type === 'Parallel') && !Array.isArray(t.children)) problems.push(`${at}: a ${type} needs children`);
      if (!field) continue;
      const embedded = t[field];
      if (!embedded || typeof embedded !== 'object') {
        problems.push(`${at}: templateType ${type} needs '${field}'`);
        continue;
      }
      if (this._files.has(type)) {
        problems.push(...this._schema(type, { apiVersion: CHAOS_MESH_API_VERSION, kind: type, metadata: {}, spec: embedded }).map((p) => `${at}/${field}${p.replace(/^\/spec/, '')}`));
      }
    }
    const entry = String(spec.entry);
    if (!byName.has(entry)) problems.push(`/spec/entry '${entry}' names no template`);
    else problems.push(...reachable(entry, byName));
    return problems;
  }
}

/** Children must name templates, without cycles (a template inside itself would never end). */
function reachable(entry: string, byName: Map<string, Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const walk = (name: string, stack: string[]): void => {
    if (stack.length > MAX_TEMPLATE_DEPTH) return void problems.push(`templates nest deeper than ${MAX_TEMPLATE_DEPTH}`);
    for (const child of (byName.get(name)?.children as unknown[] | undefined) ?? []) {
      const c = String(child);
      if (!byName.has(c)) problems.push(`template '${name}' has a child '${c}' that names no template`);
      else if (stack.includes(c)) problems.push(`template '${c}' contains itself`);
      else walk(c, [...stack, c]);
    }
  };
  walk(entry, [entry]);
  return [...new Set(problems)];
}

/** Every `duration`, `deadline` and `timeOffset` string must parse as a Go duration. */
function durations(value: unknown, at: string): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const here = `${at}/${k}`;
    if ((k === 'duration' || k === 'deadline' || k === 'timeOffset') && typeof v === 'string' && !GO_DURATION.test(v)) return [`${here} '${v}' is not a Go duration like 30s`];
    return durations(v, here);
  });
}

function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'enum') return `${at} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  if (e.keyword === 'additionalProperties') return `${at} has an unknown field '${String(e.params.additionalProperty)}'`;
  return `${at} ${e.message}`;
}

/**
 * The schema with `additionalProperties: false` wherever an object lists its properties and says nothing about the
 * rest, and without Kubernetes' own `x-kubernetes-*` keywords (ajv does not know them; objects that preserve
 * unknown fields are left open).
 */
export function strictFields(schema: unknown): Schema {
  if (!schema || typeof schema !== 'object') return schema as Schema;
  const source = schema as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith('x-kubernetes-') || key === 'description') continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, strictFields(sub)]));
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && value && typeof value === 'object') {
      out[key] = strictFields(value);
    } else if ((key === 'anyOf' || key === 'allOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map(strictFields);
    } else {
      out[key] = value;
    }
  }
  if (source.properties && source.additionalProperties === undefined && !source['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  return out;
}
