/**
 * Options of the stateful invariants: read from a small YAML/JSON file (`--invariant NAME=FILE`) or from a
 * `.chaos/invariants/*.yaml` that names a built-in (`invariant: NAME` + `options:`), checked here field by field so
 * a mistake is one line naming the invariant, the field and what it should be.
 */
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError, UsageError, describeError } from '../../errors';
import type { InvariantRequest } from '../types';

export type Obj = Record<string, unknown>;

/** Reads an options file (YAML or JSON: YAML is a superset), or options written inline as a YAML/JSON mapping: `{…}`. */
export function readOptionsFile(name: string, file: string): Obj {
  let text: string;
  if (file.trim().startsWith('{')) text = file;
  else {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--invariant ${name}=${file}: cannot read the options file (${describeError(e)}); give a YAML or JSON file, or the options inline as {key: value, …}`);
    }
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new InputError(`${name} options: not YAML/JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${name} options: must be a mapping (key: value)`);
  return value as Obj;
}

/** Field readers that throw one-line InputErrors naming `where` (e.g. "transaction_atomicity options"). */
export class OptionReader {
  constructor(
    readonly where: string,
    readonly o: Obj,
  ) {}

  private _fail(key: string, what: string): never {
    throw new InputError(`${this.where}: '${key}' must be ${what}`);
  }

  has(key: string): boolean {
    return this.o[key] !== undefined && this.o[key] !== null;
  }

  string(key: string, fallback?: string): string {
    const v = this.o[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this._fail(key, 'given (a string)');
    }
    if (typeof v !== 'string' || v === '') this._fail(key, 'a non-empty string');
    return v;
  }

  number(key: string, fallback: number, min: number, max: number): number {
    const v = this.o[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this._fail(key, `a number from ${min} to ${max}`);
    return v;
  }

  choice<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const v = this.o[key] ?? fallback;
    if (typeof v !== 'string' || !choices.includes(v as T)) this._fail(key, `one of ${choices.join(', ')}`);
    return v as T;
  }

  object(key: string): OptionReader {
    const v = this.o[key];
    if (!v || typeof v !== 'object' || Array.isArray(v)) this._fail(key, 'a mapping');
    return new OptionReader(`${this.where} ${key}`, v as Obj);
  }

  /** A request template: {method, path, body?, headers?}; `{name}` placeholders are filled in later (fill()). */
  request(key: string, defaultMethod = 'GET'): InvariantRequest {
    const r = this.object(key);
    const method = r.string('method', defaultMethod).toUpperCase();
    const path = r.string('path');
    if (!path.startsWith('/')) throw new InputError(`${r.where}: 'path' must start with /, e.g. /api/accounts/{id}`);
    const headers = r.has('headers') ? Object.entries(r.object('headers').o).map(([k, v]) => [k, String(v)] as [string, string]) : undefined;
    return { method, path, ...(headers ? { headers } : {}), ...(r.has('body') ? { body: r.o.body } : {}) };
  }
}

/**
 * Fills `{name}` placeholders: a string that is exactly one placeholder becomes the value itself (a number stays a
 * number in a JSON body); elsewhere the value is written into the string.
 */
export function fill<T>(template: T, values: Record<string, unknown>): T {
  const one = (s: string): unknown => {
    const whole = /^\{(\w+)\}$/.exec(s);
    if (whole && whole[1] in values) return values[whole[1]];
    return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return one(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(template) as T;
}

export function fillRequest(r: InvariantRequest, values: Record<string, unknown>): InvariantRequest {
  const path = r.path.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? encodeURIComponent(String(values[k])) : m));
  const headers: Array<[string, string]> = [...(r.headers ?? [])].map(([k, v]) => [k, String(fill(v, values))]);
  if (r.body !== undefined && !headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['content-type', 'application/json']);
  return { method: r.method, path, headers, ...(r.body !== undefined ? { body: fill(r.body, values) } : {}) };
}

/** RFC 6901 JSON pointer ('' is the whole document). */
export function pointer(doc: unknown, ptr: string): unknown {
  if (ptr === '' || ptr === '/') return ptr === '' ? doc : (doc as Obj | undefined)?.[''];
  let cur: unknown = doc;
  for (const raw of ptr.replace(/^\//, '').split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[key];
  }
  return cur;
}

/** Two values the same for an invariant: numbers and numeric strings compare as numbers (SQL numerics come as strings). */
export function sameValue(a: unknown, b: unknown): boolean {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
  const na = num(a);
  const nb = num(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  return JSON.stringify(a) === JSON.stringify(b);
}

export const is2xx = (status: number | null): boolean => status !== null && status >= 200 && status < 300;
