/**
 * One fast-check command per endpoint and request variant (recorded body, generated, with an unexpected field,
 * invalid, without credentials). A command runs only when the sequence has produced the values its recorded
 * request chains (GET /items/{itemId} after a POST /items), sends the request, judges the response with the checks,
 * and updates the model: values produced, resources deleted. A failed check throws; fast-check shrinks the sequence.
 */
import fc from 'fast-check';
import type * as http from 'node:http';
import { invalidValue, typesOf, validValue, withUnexpectedField } from './arbitraries';
import { judge, type ResponseSchemas } from './checks';
import { producerKey, stepVariables, type EndpointPlan } from './plan';
import { chooseStep, producedValue, type BodyChoice, type RequestBuilder } from './request';
import type { Sender, SequenceModel, TraceEntry } from './state';
import type { CheckCount, CheckName, Step } from './types';

/** Everything the sequences of one property run share. */
export interface RunShared {
  base: URL;
  sender: Sender;
  builder: RequestBuilder;
  agent?: http.Agent;
  enabled: CheckName[];
  /** `check endpoint` pairs already reported: a later round looks for other violations. */
  excluded: Set<string>;
  schemas: ResponseSchemas;
  maxResponseTimeMs: number;
  checks: Record<string, CheckCount>;
  /** `endpoint status` pairs hit. */
  pairs: Set<string>;
  /** Steps of the search phase, for invariants (bounded). */
  steps: Step[];
  requests: number;
  /** False while fast-check shrinks a failure: counts and steps are of the search only. */
  searching: boolean;
  signal?: AbortSignal;
  onRequest?: () => void;
}

export const MAX_KEPT_STEPS = 100_000;

/** A failed check, with the sequence that led to it. */
export class CheckViolation extends Error {
  constructor(readonly check: CheckName, readonly endpoint: string, message: string, readonly trace: TraceEntry[]) {
    super(message);
  }
}

export class SequenceReal {
  readonly trace: TraceEntry[] = [];
  constructor(readonly shared: RunShared) {}
}

const CREATES = new Set(['POST', 'PUT', 'PATCH']);

export class EndpointCommand implements fc.AsyncCommand<SequenceModel, SequenceReal> {
  constructor(readonly plan: EndpointPlan, readonly choice: BodyChoice, readonly pick: number, private readonly _signal?: AbortSignal) {}

  check(m: Readonly<SequenceModel>): boolean {
    return !this._signal?.aborted && chooseStep(this.plan, m as SequenceModel, stepVariables) !== undefined;
  }

  async run(m: SequenceModel, r: SequenceReal): Promise<void> {
    const shared = r.shared;
    const recorded = chooseStep(this.plan, m, stepVariables)!;
    const req = shared.builder.build(this.plan, recorded, m, this.pick, this.choice);
    const res = await shared.sender.send(shared.base, req.method, req.path, req.headers, req.body);
    // A request cut by Ctrl-C says nothing about the backend.
    if (shared.signal?.aborted) return;
    shared.requests++;
    shared.onRequest?.();
    const endpoint = this.plan.endpoint.key;
    shared.pairs.add(`${endpoint} ${res.status ?? 'no response'}`);
    const step: Step = {
      endpoint, method: req.method, path: req.path, headers: req.shownHeaders, status: res.status, latencyMs: Math.round(res.latencyMs * 100) / 100,
      ...(req.body !== undefined ? { body: req.body } : {}), ...(res.error ? { error: res.error } : {}), ...(this._variant() ? { variant: this._variant() } : {}),
    };
    const entry: TraceEntry = { step, template: req.template, captures: [], variant: this.choice.kind, contentType: res.contentType };
    r.trace.push(entry);
    if (shared.searching && shared.steps.length < MAX_KEPT_STEPS) shared.steps.push(step);

    const targets = req.targets.map((value) => ({ value, created: m.created.has(value), deleted: m.deleted.has(value) }));
    const ok = res.status !== null && res.status >= 200 && res.status < 300;
    if (ok) {
      for (const from of this.plan.produces) {
        const value = producedValue(res.json, res.headers, from);
        if (value === undefined) continue;
        m.produce(producerKey({ endpoint, from }), from, value, r.trace.length, CREATES.has(req.method));
        entry.captures.push({ variable: m.names.get(value)!, from });
      }
      if (req.method === 'DELETE') for (const t of req.targets) m.deleted.add(t);
    }

    const { failures } = judge(
      { plan: this.plan, variant: this.choice.kind, method: req.method, status: res.status, error: res.error, contentType: res.contentType, bodySize: res.bodySize, json: res.json, latencyMs: res.latencyMs, targets },
      shared.enabled,
      { schemas: shared.schemas, maxResponseTimeMs: shared.maxResponseTimeMs },
    );
    if (shared.searching) for (const c of shared.enabled) shared.checks[c].checked++;
    const failure = failures.find((f) => !shared.excluded.has(`${f.check} ${endpoint}`));
    if (!failure) return;
    if (shared.searching) shared.checks[failure.check].failed++;
    throw new CheckViolation(failure.check, endpoint, failure.message, [...r.trace]);
  }

  private _variant(): string | undefined {
    switch (this.choice.kind) {
      case 'generated':
        return 'generated body';
      case 'unexpected':
        return 'body with an unexpected field';
      case 'negative':
        return `invalid body: ${this.choice.why}`;
      case 'noauth':
        return `credentials removed (${this.plan.auth.join(', ')})`;
      default:
        return undefined;
    }
  }

  toString(): string {
    return `${this.plan.endpoint.key}${this._variant() ? ` [${this._variant()}]` : ''}`;
  }
}

/**
 * One arbitrary per endpoint (so each endpoint is drawn as often, whatever its variants), choosing a variant:
 * the recorded body most often; shrinking crosses over to it, so a minimal example keeps only the odd part that matters.
 */
export function commandArbitraries(plans: readonly EndpointPlan[], signal?: AbortSignal): Array<fc.Arbitrary<fc.AsyncCommand<SequenceModel, SequenceReal>>> {
  const pick = fc.nat({ max: 1000 });
  return plans.map((plan) => {
    const variants: Array<fc.WeightedArbitrary<EndpointCommand>> = [{ arbitrary: pick.map((p) => new EndpointCommand(plan, { kind: 'recorded' }, p, signal)), weight: 3 }];
    if (plan.generate) {
      const valid = validValue(plan.generate);
      variants.push({ arbitrary: fc.tuple(valid, pick).map(([value, p]) => new EndpointCommand(plan, { kind: 'generated', value }, p, signal)), weight: 2 });
      if (typesOf(plan.generate).includes('object')) {
        variants.push({ arbitrary: fc.tuple(withUnexpectedField(valid), pick).map(([value, p]) => new EndpointCommand(plan, { kind: 'unexpected', value }, p, signal)), weight: 1 });
      }
      const invalid = plan.strict ? invalidValue(plan.generate, plan.strict) : undefined;
      if (invalid) variants.push({ arbitrary: fc.tuple(invalid, pick).map(([inv, p]) => new EndpointCommand(plan, { kind: 'negative', value: inv.value, why: inv.why }, p, signal)), weight: 1 });
    }
    if (plan.auth.length) variants.push({ arbitrary: pick.map((p) => new EndpointCommand(plan, { kind: 'noauth' }, p, signal)), weight: 1 });
    return fc.oneof({ withCrossShrink: true }, ...variants);
  });
}
