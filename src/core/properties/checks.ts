/**
 * The built-in checks, Schemathesis's names: each judges one response of a sequence against the behaviour model
 * and what the sequence did before it (created, deleted, credentials removed, invalid body). Learned models come
 * from samples, so each check accuses only what the samples support: statuses the model never saw are allowed
 * where the request explains them (404 for a gone resource, 4xx for an invalid body), and a response schema's
 * `required` counts only where enough samples agree.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { EndpointModel } from '../learn/model';
import { confidentSchema, type EndpointPlan } from './plan';
import type { CheckName } from './types';

export type VariantKind = 'recorded' | 'generated' | 'unexpected' | 'negative' | 'noauth';

/** One response and what the sequence knows about the request that caused it. */
export interface Judged {
  plan: EndpointPlan;
  variant: VariantKind;
  method: string;
  status: number | null;
  error?: string;
  /** Media type of the response, without parameters. */
  contentType: string | null;
  bodySize: number;
  json: unknown;
  latencyMs: number;
  /** Chained values the request's path used, and what the sequence did with them. */
  targets: Array<{ value: string; created: boolean; deleted: boolean }>;
}

export interface CheckFailure {
  check: CheckName;
  message: string;
}

/** Learned response schemas by endpoint and status, made confident and compiled once. */
export class ResponseSchemas {
  private readonly _ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });
  private readonly _cache = new Map<string, ValidateFunction | null>();

  /** Why `body` does not fit, or undefined (fits, or nothing was learned for that status). */
  check(e: EndpointModel, status: number, body: unknown): string | undefined {
    const key = `${e.key} ${status}`;
    let validate = this._cache.get(key);
    if (validate === undefined) {
      const r = e.responses.find((x) => x.status === status);
      validate = r?.schema ? this._ajv.compile(confidentSchema(r.schema, r.count)) : null;
      this._cache.set(key, validate);
    }
    if (!validate || validate(body)) return undefined;
    const err = validate.errors?.[0];
    return `${err?.instancePath || '(body)'} ${err?.message ?? 'does not fit'}`;
  }
}

const is2xx = (s: number | null): boolean => s !== null && s >= 200 && s < 300;
const is4xx = (s: number | null): boolean => s !== null && s >= 400 && s < 500;

function statusAllowed(j: Judged): boolean {
  const s = j.status!;
  if (j.plan.endpoint.statuses[String(s)] !== undefined) return true;
  if ((s === 404 || s === 410) && j.plan.endpoint.params.length) return true;
  if (j.variant === 'negative' && is4xx(s)) return true;
  if (j.variant === 'noauth' && (s === 401 || s === 403)) return true;
  // A 4xx for an odd but valid body (an unexpected field) is a fair answer too.
  if (j.variant === 'unexpected' && (s === 400 || s === 422)) return true;
  return false;
}

type Check = (j: Judged, ctx: { schemas: ResponseSchemas; maxResponseTimeMs: number }) => string | undefined;

const where = (j: Judged): string => `${j.method} ${j.plan.endpoint.template}`;

export const CHECKS: Record<CheckName, Check> = {
  not_a_server_error: (j) => {
    if (j.status === null) return `${where(j)} got no response: ${j.error ?? 'the connection failed'}`;
    return j.status >= 500 ? `${where(j)} returned ${j.status}, a server error` : undefined;
  },
  status_code_conformance: (j) => {
    if (j.status === null || j.status >= 500 || statusAllowed(j)) return undefined;
    return `${where(j)} returned ${j.status}, never seen for it (the model knows ${Object.keys(j.plan.endpoint.statuses).join(', ')})`;
  },
  content_type_conformance: (j) => {
    if (j.status === null || j.bodySize === 0) return undefined;
    const expected = j.plan.endpoint.responses.find((r) => r.status === j.status)?.contentType;
    if (!expected || expected === j.contentType) return undefined;
    return `${where(j)} answered ${j.status} with content type ${j.contentType ?? 'none'}; the model has ${expected}`;
  },
  response_schema_conformance: (j, ctx) => {
    if (j.status === null || j.json === undefined) return undefined;
    const why = ctx.schemas.check(j.plan.endpoint, j.status, j.json);
    return why ? `${where(j)} ${j.status} body does not fit the learned schema: ${why}` : undefined;
  },
  use_after_free: (j) => {
    if (j.method !== 'GET' && j.method !== 'HEAD') return undefined;
    const gone = j.targets.find((t) => t.deleted);
    if (!gone || !is2xx(j.status)) return undefined;
    return `${where(j)} returned ${j.status} for ${gone.value} after it was deleted (expected 404 or 410)`;
  },
  ensure_resource_availability: (j) => {
    if (j.method !== 'GET' || j.status !== 404 || j.variant === 'noauth') return undefined;
    const lost = j.targets.find((t) => t.created && !t.deleted);
    return lost ? `${where(j)} returned 404 for ${lost.value}, created earlier in the sequence and never deleted` : undefined;
  },
  ignored_auth: (j) => {
    if (j.variant !== 'noauth' || !is2xx(j.status)) return undefined;
    return `${where(j)} returned ${j.status} without credentials (${j.plan.auth.join(', ')} removed; expected 401 or 403)`;
  },
  negative_data_rejection: (j) => {
    if (j.variant !== 'negative' || j.status === null || j.status >= 500 || is4xx(j.status)) return undefined;
    return `${where(j)} accepted an invalid body with ${j.status} (expected a 4xx)`;
  },
  max_response_time: (j, ctx) => {
    if (j.status === null || j.latencyMs <= ctx.maxResponseTimeMs) return undefined;
    return `${where(j)} took ${Math.round(j.latencyMs)} ms (bound ${ctx.maxResponseTimeMs} ms)`;
  },
};

/** Every check that fails, in the order of CHECKS (a server error first). */
export function judge(j: Judged, enabled: readonly CheckName[], ctx: { schemas: ResponseSchemas; maxResponseTimeMs: number }): { checked: CheckName[]; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  for (const check of enabled) {
    const message = CHECKS[check](j, ctx);
    if (message) failures.push({ check, message });
  }
  return { checked: [...enabled], failures };
}

/** A generous default bound: ten times the slowest recorded response, at least 5 s. */
export function defaultMaxResponseTime(endpoints: readonly EndpointModel[]): number {
  const slowest = Math.max(0, ...endpoints.map((e) => e.latency.max));
  return Math.max(5_000, Math.ceil(slowest * 10));
}
