/**
 * Chaos replay: the captured HTTP exchanges sent again, in capture order, to a target (optionally through faults),
 * with chained values re-bound, each answer judged against the recording and the learned model.
 */
import { isIP } from 'node:net';
import { UsageError, describeError } from '../errors';
import { routeThroughFaults } from '../faults/route';
import type { Toxic } from '../faults/toxics';
import { learnWithFacts } from '../learn/learn';
import type { ExchangeFacts } from '../learn/model';
import { templatePath } from '../learn/pathTemplate';
import { openForReading } from '../store/reader';
import { exchangeView, type ExchangeView } from '../store/queries';
import { saveRun } from '../store/runs';
import { Bindings } from './bindings';
import { jsonOf } from './jsonPointer';
import { Pacer } from './pacing';
import { buildRequest, unreplayable } from './request';
import { sendRequest } from './resend';
import { Secrets } from './secrets';
import { summarize } from './summary';
import type { Pacing, ReplayProgress, ReplayResult, ReplayedExchange } from './types';
import { SchemaBook, judge } from './verdict';

export interface ReplayOptions {
  /** The traffic database file. */
  database: string;
  /** Base URL of the backend to replay against, e.g. http://127.0.0.1:9000 */
  target: string;
  sessionId?: number;
  pacing?: Pacing;
  faults?: Toxic[];
  /** Per request (default 10 s). */
  timeoutMs?: number;
  insecure?: boolean;
  /** Where CHAOS_SECRET_* values come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Store the result in the database's runs table (default true). */
  store?: boolean;
}

export interface ReplayHooks {
  signal?: AbortSignal;
  onProgress?: (p: ReplayProgress) => void;
}

export function parseTarget(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`target '${target}' is not a URL; use e.g. http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`target '${target}' must be an http:// or https:// URL`);
  return url;
}

/** A send failure in words: connection refused / reset / timed out, with the cause. */
function describeFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return `connection refused (${describeError(e)})`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `connection reset (${describeError(e)})`;
  if (code === 'ETIMEDOUT') return `timed out: ${describeError(e)}`;
  return describeError(e);
}

export async function replay(options: ReplayOptions, hooks: ReplayHooks = {}): Promise<ReplayResult> {
  const target = parseTarget(options.target);
  const pacing = options.pacing ?? { mode: 'fast' };
  const db = await openForReading(options.database);
  const startedAt = Date.now();
  const t0 = performance.now();
  const exchanges: ReplayedExchange[] = [];
  const skipped: Record<string, number> = {};
  const notes: string[] = [];
  let aborted = false;
  let sentTo = target.href;
  let faults: Toxic[] = [];
  try {
    if (options.sessionId !== undefined && !db.sessions().some((s) => s.id === options.sessionId)) {
      throw new UsageError(`${options.database} has no session ${options.sessionId}; 'chaos-testing list' shows the sessions`);
    }
    const { model, facts } = learnWithFacts(db, { sessionId: options.sessionId });
    const factsById = new Map<number, ExchangeFacts>(facts.map((f) => [f.exchangeId, f]));
    const ids = db.exchangeIds(options.sessionId);
    const secrets = new Secrets(model.env, options.env ?? process.env);
    const bindings = new Bindings();
    const schemas = new SchemaBook(model);
    const pacer = new Pacer(pacing);
    const route = await routeThroughFaults(target, options.faults ?? []);
    faults = route.faults;
    sentTo = route.url.href;
    const prefix = target.pathname.replace(/\/$/, '');
    const progress: ReplayProgress = { done: 0, total: ids.length, matched: 0, diverged: 0, errors: 0 };
    try {
      for (const id of ids) {
        const detail = db.exchange(id);
        if (!detail) continue;
        const ex = exchangeView(detail);
        const why = unreplayable(ex);
        if (why) {
          skipped[why] = (skipped[why] ?? 0) + 1;
          progress.total--;
          continue;
        }
        if (hooks.signal?.aborted || !(await pacer.next(ex.startedAt, hooks.signal))) {
          aborted = true;
          break;
        }
        const result = await replayOne(ex, factsById.get(ex.id), { route: route.url, prefix, host: target.host, servername: faults.length && !isIP(target.hostname.replace(/^\[|\]$/g, '')) ? target.hostname : undefined }, { bindings, secrets, schemas, options, signal: hooks.signal });
        if (!result) {
          aborted = true;
          break;
        }
        exchanges.push(result);
        progress.done++;
        if (result.verdict === 'matched') progress.matched++;
        else if (result.verdict === 'diverged') progress.diverged++;
        else progress.errors++;
        hooks.onProgress?.({ ...progress });
      }
    } finally {
      await route.close();
    }
    if (secrets.missing.size) notes.push(`redacted secrets not in the environment: ${[...secrets.missing].join(', ')}`);
    if (secrets.used.size) notes.push(`secrets filled from the environment: ${[...secrets.used].join(', ')}`);
  } finally {
    db.close();
  }
  const result: ReplayResult = {
    version: 1,
    kind: 'replay',
    database: options.database,
    sessionId: options.sessionId ?? null,
    target: target.href,
    sentTo,
    pacing,
    faults,
    startedAt,
    finishedAt: Date.now(),
    aborted,
    exchanges,
    summary: summarize(exchanges, skipped, performance.now() - t0),
    notes,
  };
  if (options.store !== false) {
    const spec = { target: result.target, sessionId: result.sessionId, pacing, faults };
    notes.push((await saveRun(options.database, { kind: 'replay', spec, result, startedAt, finishedAt: result.finishedAt })).note);
  }
  return result;
}

interface Destination {
  route: URL;
  prefix: string;
  host: string;
  servername?: string;
}

interface RunState {
  bindings: Bindings;
  secrets: Secrets;
  schemas: SchemaBook;
  options: ReplayOptions;
  signal?: AbortSignal;
}

/** Replays one exchange; undefined when the run was aborted mid-request. */
async function replayOne(ex: ExchangeView, facts: ExchangeFacts | undefined, to: Destination, run: RunState): Promise<ReplayedExchange | undefined> {
  const endpoint = facts?.endpoint ?? `${ex.method} ${templatePath(new URL(ex.url).pathname)}`;
  const req = buildRequest(ex, facts, run.bindings, run.secrets);
  const url = new URL(`${to.route.origin}${to.prefix}${req.pathAndQuery}`);
  const base = { exchangeId: ex.id, endpoint, method: ex.method, path: req.pathAndQuery, recordedStatus: ex.status!, rebound: req.rebound };
  const t = performance.now();
  try {
    const fresh = await sendRequest(
      { url, method: req.method, headers: [['host', to.host], ...req.headers], body: req.body, servername: to.servername },
      { timeoutMs: run.options.timeoutMs, insecure: run.options.insecure, signal: run.signal },
    );
    const verdict = judge(ex, fresh, facts, endpoint, run.schemas, run.bindings);
    run.bindings.record(ex.id, facts?.produces ?? [], { json: jsonOf(ex.responseBody), headers: ex.responseHeaders }, { json: verdict.json, headers: fresh.headers });
    return {
      ...base,
      status: fresh.status,
      verdict: verdict.reasons.length ? 'diverged' : 'matched',
      reasons: verdict.reasons,
      latencyMs: Math.round(fresh.durationMs * 100) / 100,
      notes: [...req.notes, ...verdict.notes],
    };
  } catch (e) {
    if (run.signal?.aborted) return undefined;
    return { ...base, status: null, verdict: 'error', reasons: [], error: describeFailure(e), latencyMs: Math.round((performance.now() - t) * 100) / 100, notes: req.notes };
  }
}
