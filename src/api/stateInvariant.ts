/**
 * Invariants from code. Each builder names a built-in invariant and its options exactly as `chaos-testing
 * properties --invariant NAME='{…}'` does (the options are checked at once, by the same reader), and `verify` runs
 * it through the properties engine: one implementation, the same replay command in every violation.
 */
import { INVARIANTS } from '../core/properties/invariants';
import { runProperties } from '../core/properties/properties';
import type { Invariant, InvariantContext, InvariantOutcome, PropertiesOptions, PropertiesProgress, PropertiesResult, Step, Violation } from '../core/properties/types';
import { CancelledError, UsageError, throwIfCancelled } from './errors';
import type { CallOptions } from './options';
import { INVARIANT_WORDING, inApiWords, inApiWordsAsync, type Wording } from './wording';

/** A whole property run as `chaos-testing properties` takes it (see {@link StateInvariant.propertyRun}). */
export type PropertyRunOptions = Omit<PropertiesOptions, 'signal' | 'onProgress'>;

/** Where the service under test is, and (for invariants that judge a command run) the traffic to learn from. */
export interface InvariantTarget {
  /** Base URL of the service, e.g. http://127.0.0.1:3000 (loopback unless you mean otherwise). */
  target: string;
}

/** A request template; `{name}` placeholders are filled by the invariant (`{id}`, `{message}`, `{from}` …). */
export interface RequestTemplate {
  method?: string;
  /** Starts with /, e.g. /api/accounts/{id}. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A fault proxy the invariant starts (`listen` + `upstream`: point the service at `listen`), or one behind a fault API. */
export type InvariantProxy = { listen: string; upstream: string } | { api: string; name: string };

/** Options of {@link StateInvariant.circuitBreakerNeverStuckOpen}. */
export interface CircuitBreakerOptions extends InvariantTarget {
  proxy: InvariantProxy;
  /** A call that needs the dependency. */
  request: RequestTemplate;
  faults?: Array<'down' | 'reset_peer'>;
  /** Requests sent while the dependency is gone (default 10). */
  maxRequests?: number;
  /** How soon after healing the service must succeed again (default 5000 ms). */
  recoveryMs?: number;
  pollMs?: number;
  runs?: number;
  timeLimitMs?: number;
}

/** Options of {@link StateInvariant.queueMessagePreservation}. */
export interface QueuePreservationOptions extends InvariantTarget {
  proxy: { listen: string; upstream: string };
  /** redis:// URL of the server itself (read directly, never through the proxy). */
  redis: string;
  /** The list or stream the messages land in. */
  key: string;
  /** The request that enqueues; `{message}` is a unique id the stored item must contain. */
  send: RequestTemplate;
  maxMessages?: number;
  maxCommand?: number;
  settleMs?: number;
  runs?: number;
  timeLimitMs?: number;
}

/** Options of {@link StateInvariant.transactionAtomicity}. */
export interface TransactionAtomicityOptions extends InvariantTarget {
  proxy: { listen: string; upstream: string };
  /** postgres:// URL of the server itself. */
  database: string;
  /** SQL giving the conserved value, e.g. SELECT SUM(balance) FROM accounts. */
  sum: string;
  /** The transfer request with `{from}`, `{to}` and `{amount}`. */
  transfer: RequestTemplate;
  accounts?: unknown[];
  maxTransfers?: number;
  maxAmount?: number;
  maxStatement?: number;
  runs?: number;
  timeLimitMs?: number;
}

/** Options of {@link StateInvariant.cacheConsistency}. */
export interface CacheConsistencyOptions extends InvariantTarget {
  /** The cached read, path with `{id}`. */
  read: RequestTemplate;
  /** JSON pointer of the value in the read's answer (default ''). */
  served?: string;
  /** The write, with `{id}` and `{value}`. */
  write: RequestTemplate;
  create?: RequestTemplate;
  idPointer?: string;
  ids?: unknown[];
  /** The source of truth: SQL run directly ($1 = id), or a request that bypasses the cache. */
  truth: { database: string; sql: string } | { request: RequestTemplate; pointer?: string };
  maxOps?: number;
  settleMs?: number;
  runs?: number;
  timeLimitMs?: number;
}

/** Options of the invariants that judge a property run's own requests (latency_bounded, error_rate_below). */
export interface RunInvariantOptions extends InvariantTarget {
  /** The traffic database the request sequences are learned from (default .chaos/traffic.db). */
  traffic?: string;
  /** Request sequences to run (default 20). */
  runs?: number;
  /** Most requests in one sequence (default 10). */
  maxSteps?: number;
}

/** What a custom check returns: true/undefined passes, false or a string (the reason) fails. */
export type CustomCheckResult = boolean | string | void | { passed: boolean; summary?: string; message?: string; minimalExample?: Step[] };

/** Options of {@link StateInvariant.custom}. */
export interface CustomInvariantOptions extends Omit<Partial<RunInvariantOptions>, 'target'>, InvariantTarget {
  name: string;
  description?: string;
  /** Judges the service: `ctx.send` makes requests, `ctx.steps` are the run's requests (with `runs` > 0). */
  check(ctx: InvariantContext): Promise<CustomCheckResult> | CustomCheckResult;
}

/** Options of {@link StateInvariant.verify}. */
export interface VerifyOptions extends CallOptions<PropertiesProgress> {
  /** fast-check seed (a new one when absent; always reported so a failure can be replayed). */
  seed?: number;
  /** The replay path of a reported violation, with its seed: runs exactly that case. */
  path?: string;
}

/** One violation, shrunk to its minimal example. */
export interface InvariantViolation {
  invariant: string;
  message: string;
  /** The shrunk failing sequence; its last step is the failing one. */
  minimalExample: Step[];
  seed: number;
  path: string | null;
  /** The command that replays this case. */
  replay: string;
}

/** What {@link StateInvariant.verify} comes to; `raw` is the properties engine's result. */
export interface InvariantVerdict {
  passed: boolean;
  /** Test cases of the request-sequence search (0 when the invariant drove the service alone). */
  runs: number;
  seed: number;
  violations: InvariantViolation[];
  /** Each invariant's one-line account of what it measured. */
  outcomes: InvariantOutcome[];
  codePathsExercised: PropertiesResult['codePathsExercised'];
  raw: PropertiesResult;
}

/** The properties engine's options, the CLI's `--invariant` argument when there is one, and how errors are worded. */
type Plan = { options: PropertyRunOptions; spec?: string; wording: Wording };

/** A run of `runs` sequences judged by the invariant `spec` or `custom`, learned from `database`, not stored. */
function planOf(p: { target: string; spec?: string; custom?: Invariant; database?: string; runs: number; maxSteps: number }): Plan {
  return {
    spec: p.spec,
    wording: INVARIANT_WORDING,
    options: {
      database: p.database ?? '.chaos/traffic.db', target: p.target, runs: p.runs, maxSteps: p.maxSteps, timeoutMs: 10_000, store: false,
      ...(p.spec ? { invariants: [p.spec] } : {}), ...(p.custom ? { customInvariants: [p.custom] } : {}),
    },
  };
}

/**
 * A property of the system as a whole, checked against the running service: the stateful ones drive PostgreSQL,
 * Redis and fault proxies themselves; `latencyBounded` and `errorRateBelow` judge request sequences learned from
 * captured traffic.
 *
 * @example
 * const verdict = await StateInvariant.transactionAtomicity({
 *   target: 'http://127.0.0.1:3000', proxy: { listen: '127.0.0.1:6543', upstream: '127.0.0.1:5432' },
 *   database: 'postgres://postgres@127.0.0.1:5432/postgres', sum: 'SELECT SUM(balance) FROM accounts',
 *   transfer: { method: 'POST', path: '/api/transfers', body: { from: '{from}', to: '{to}', amount: '{amount}' } },
 * }).verify();
 * assert.ok(verdict.passed, verdict.violations.map((v) => v.message).join('\n'));
 */
export class StateInvariant {
  private constructor(private readonly _plan: Plan) {}

  /** A stateful built-in, its options written inline as the CLI's NAME='{…}' and checked now. */
  private static _stateful(name: string, options: InvariantTarget & Record<string, unknown>): StateInvariant {
    const { target, ...rest } = options;
    if (typeof target !== 'string' || !target) throw new UsageError(`${name}: 'target' (the service's base URL) is missing`);
    const spec = `${name}=${JSON.stringify(rest)}`;
    inApiWords(INVARIANT_WORDING, () => INVARIANTS[name].make(spec.slice(name.length + 1)));
    return new StateInvariant(planOf({ target, spec, runs: 0, maxSteps: 10 }));
  }

  /** The service is back to success within `recoveryMs` after its dependency is faulted and healed. */
  static circuitBreakerNeverStuckOpen(options: CircuitBreakerOptions): StateInvariant {
    return StateInvariant._stateful('circuit_breaker_never_stuck_open', { ...options });
  }

  /** Every message the service accepted (2xx) reaches the Redis list or stream while its connection is reset. */
  static queueMessagePreservation(options: QueuePreservationOptions): StateInvariant {
    return StateInvariant._stateful('queue_message_preservation', { ...options });
  }

  /** A conserved SQL sum holds while PostgreSQL connections are reset mid-transaction. */
  static transactionAtomicity(options: TransactionAtomicityOptions): StateInvariant {
    return StateInvariant._stateful('transaction_atomicity', { ...options });
  }

  /** What the service serves through its cache equals the source of truth after writes. */
  static cacheConsistency(options: CacheConsistencyOptions): StateInvariant {
    return StateInvariant._stateful('cache_consistency', { ...options });
  }

  private static _overRun(name: string, arg: number, options: RunInvariantOptions): StateInvariant {
    const spec = `${name}=${arg}`;
    inApiWords(INVARIANT_WORDING, () => INVARIANTS[name].make(String(arg)));
    return new StateInvariant(planOf({ target: options.target, spec, database: options.traffic, runs: options.runs ?? 20, maxSteps: options.maxSteps ?? 10 }));
  }

  /** p99 latency of a property run's requests is at most `boundMs` (default 2000). */
  static latencyBounded(options: RunInvariantOptions & { boundMs?: number }): StateInvariant {
    return StateInvariant._overRun('latency_bounded', options.boundMs ?? 2000, options);
  }

  /** The share of 5xx and failed requests of a property run is at most `fraction` (default 0.01). */
  static errorRateBelow(options: RunInvariantOptions & { fraction?: number }): StateInvariant {
    return StateInvariant._overRun('error_rate_below', options.fraction ?? 0.01, options);
  }

  /** An invariant of your own, judged after `runs` request sequences (default 0: the check alone). */
  static custom(options: CustomInvariantOptions): StateInvariant {
    if (!/^[\w.-]{1,64}$/.test(options.name)) throw new UsageError(`custom invariant name '${options.name}' must be 1-64 letters, digits, '_', '.' or '-'`);
    const custom: Invariant = {
      name: options.name,
      description: options.description ?? options.name,
      async run(ctx) {
        const r = await options.check(ctx);
        const o = typeof r === 'object' && r !== null ? r : { passed: r !== false && typeof r !== 'string', message: typeof r === 'string' ? r : undefined };
        const summary = o.summary ?? (o.passed ? 'held' : (o.message ?? 'failed'));
        const outcome = { name: options.name, passed: o.passed, summary };
        if (o.passed) return { outcome, violations: [] };
        const example = 'minimalExample' in o && o.minimalExample ? o.minimalExample : [];
        return { outcome, violations: [{ check: options.name, kind: 'invariant', endpoint: null, message: `${options.name}: ${o.message ?? summary}`, minimalExample: example }] };
      },
    };
    return new StateInvariant(planOf({ target: options.target, custom, database: options.traffic, runs: options.runs ?? 0, maxSteps: options.maxSteps ?? 10 }));
  }

  /**
   * A whole property run exactly as `chaos-testing properties` makes it (the CLI runs through here): the built-in
   * checks over request sequences learned from the traffic, invariants named as `--invariant` names them
   * ('latency_bounded=500', 'transaction_atomicity=atomicity.yaml', a user invariant), regression tests for each
   * violation with `language`, the run stored in the database unless `store: false`. Its options are the CLI's,
   * and so are the words of its errors.
   */
  static propertyRun(options: PropertyRunOptions): StateInvariant {
    return new StateInvariant({ options: { ...options }, wording: [] });
  }

  /** The `--invariant` argument the CLI would take for the same invariant (undefined for a custom one). */
  get cliSpec(): string | undefined {
    return this._plan.spec;
  }

  /** Runs it against the service. Rejects with CancelledError when `signal` fires. */
  async verify(options: VerifyOptions = {}): Promise<InvariantVerdict> {
    const p = this._plan;
    throwIfCancelled(options.signal, 'the invariant');
    const raw = await inApiWordsAsync(p.wording, () => runProperties({
      ...p.options,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.path !== undefined ? { path: options.path } : {}),
      signal: options.signal,
      onProgress: options.onProgress,
    }));
    const verdict: InvariantVerdict = {
      passed: raw.passed,
      runs: raw.runs,
      seed: raw.seed,
      violations: raw.violations.map(violationOf),
      outcomes: raw.invariants,
      codePathsExercised: raw.codePathsExercised,
      raw,
    };
    if (options.signal?.aborted) throw new CancelledError('the invariant', verdict);
    return verdict;
  }
}

function violationOf(v: Violation): InvariantViolation {
  return { invariant: v.check, message: v.message, minimalExample: v.minimalExample, seed: v.seed, path: v.path, replay: v.replay };
}
