import Ajv, { type ValidateFunction } from 'ajv';
import { leaves } from '../learn/learn';
import type { BehaviourModel, ExchangeFacts, JsonSchema } from '../learn/model';
import type { ExchangeView } from '../store/queries';
import type { Bindings } from './bindings';
import { getPointer, jsonOf } from './jsonPointer';
import type { FreshResponse } from './resend';

const MAX_REASONS = 5;

/** Learned response schemas by endpoint and status, compiled once. Formats are not checked (they are learned from few samples). */
export class SchemaBook {
  private readonly _ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  private readonly _cache = new Map<string, ValidateFunction | null>();

  constructor(private readonly _model: BehaviourModel) {}

  /** Why `body` does not fit the schema learned for endpoint + status (empty: fits, or nothing was learned). */
  check(endpoint: string, status: number, body: unknown): string[] {
    const key = `${endpoint} ${status}`;
    let validate = this._cache.get(key);
    if (validate === undefined) {
      const schema: JsonSchema | undefined = this._model.endpoints.find((e) => e.key === endpoint)?.responses.find((r) => r.status === status)?.schema;
      validate = schema ? this._ajv.compile(schema) : null;
      this._cache.set(key, validate);
    }
    if (!validate || validate(body)) return [];
    return (validate.errors ?? []).map((e) => `schema: ${e.instancePath || '(body)'} ${e.message ?? 'does not fit'}`);
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** A recorded string with the chained values it mentions replaced by their replayed ones ("user 4 not found" → "user 7 not found"). */
function rebindText(text: string, bindings: Bindings): string {
  let out = text;
  for (const [before, after] of bindings.pairs()) {
    if (!before) continue;
    out = out.replace(new RegExp(`(^|[^\\w-])${before.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[^\\w-])`, 'g'), `$1${after}`);
  }
  return out;
}

function sameValue(recorded: unknown, actual: unknown, bindings: Bindings): boolean {
  if (actual === recorded) return true;
  if (recorded === null || actual === undefined || actual === null || typeof actual === 'object') return false;
  const bound = bindings.valueFor(String(recorded));
  if (bound !== undefined && String(actual) === bound) return true;
  return typeof recorded === 'string' && typeof actual === 'string' && rebindText(recorded, bindings) === actual;
}

/**
 * Compares a replayed response with the recorded one: status, the learned schema of the endpoint at that status,
 * and every stable (non-noise, non-array) value of the recorded JSON body. Values chained during the replay count
 * as equal to what they stand for.
 */
export function judge(ex: ExchangeView, fresh: FreshResponse, facts: ExchangeFacts | undefined, endpoint: string, schemas: SchemaBook, bindings: Bindings): { reasons: string[]; notes: string[]; json: unknown } {
  const reasons: string[] = [];
  const notes: string[] = [];
  if (fresh.status !== ex.status) reasons.push(`status ${ex.status} → ${fresh.status}`);
  const recordedJson = jsonOf(ex.responseBody);
  const json = jsonOf(fresh.body);
  if (recordedJson === undefined) {
    if (facts?.compareText && ex.responseBody && fresh.status === ex.status) {
      const actual = fresh.body.encoding ? undefined : fresh.body.text;
      if (actual === undefined || !sameValue(ex.responseBody.text, actual, bindings)) reasons.push(`the text body: ${show(ex.responseBody.text)} → ${actual === undefined ? `${fresh.body.size} bytes that are not text` : show(actual)}`);
    } else if (ex.responseBody && ex.responseBody.size > 0) notes.push('the recorded body is neither JSON nor a small stable text (or was truncated): only the status was compared');
    return { reasons, notes, json };
  }
  if (json === undefined) {
    reasons.push(`the body is no longer JSON (content-type ${fresh.body.contentType ?? 'none'}, ${fresh.body.size} bytes)`);
    return { reasons, notes, json };
  }
  reasons.push(...schemas.check(endpoint, fresh.status, json));
  if (fresh.status === ex.status) {
    const noise = new Set((facts?.noise ?? []).map((n) => n.pointer));
    const differences: string[] = [];
    for (const [pointer, recorded] of leaves(recordedJson, false)) {
      if (noise.has(pointer)) continue;
      const actual = getPointer(json, pointer);
      if (!sameValue(recorded, actual, bindings)) differences.push(`${pointer || '(body)'}: ${show(recorded)} → ${show(actual)}`);
    }
    reasons.push(...differences);
  }
  if (reasons.length > MAX_REASONS) reasons.splice(MAX_REASONS, reasons.length, `… and ${reasons.length - MAX_REASONS} more`);
  return { reasons, notes, json };
}
