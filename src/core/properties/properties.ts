/**
 * A property run: the behaviour model learned from the traffic, one command per endpoint and variant, fast-check
 * sequences run against the target with every response checked; a failure shrunk to a minimal sequence and
 * reported with its seed and replay path. After a violation the search goes on (seed + round) with that check at
 * that endpoint set aside, so one run reports several distinct violations. Invariants judge the run at the end.
 */
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { InputError, StoreError, UsageError } from '../errors';
import { learn } from '../learn/learn';
import type { BehaviourModel } from '../learn/model';
import { parseTarget } from '../replay/replay';
import { openForReading } from '../store/reader';
import { saveRun } from '../store/runs';
import { ResponseSchemas, defaultMaxResponseTime } from './checks';
import { CheckViolation, SequenceReal, commandArbitraries, type RunShared } from './commands';
import { resolveInvariants } from './invariants';
import { buildPlans } from './plan';
import { invariantRegressionTest, regressionTest } from './regression';
import { RequestBuilder } from './request';
import { SequenceModel, httpSender, type TraceEntry } from './state';
import { CHECK_NAMES, type CheckCount, type HttpExampleStep, type InvariantOutcome, type PropertiesOptions, type PropertiesResult, type Violation } from './types';

/** Distinct violations one run reports at most (each needs a search round of its own). */
export const MAX_VIOLATIONS = 5;
const PROGRESS_EVERY_MS = 200;

/** `--path` is fast-check's path, then `@` and the commands' replay path when there is one. */
function parsePath(p: string): { fc: string; replay?: string } {
  const [fcPath, replay] = p.split('@', 2);
  if (!/^\d+(:\d+)*$/.test(fcPath)) throw new UsageError(`--path '${p}' is not a replay path; copy it from a violation's replay command (e.g. 12:0:3@AAB)`);
  return replay ? { fc: fcPath, replay } : { fc: fcPath };
}

function replayCommand(o: PropertiesOptions, seed: number, path: string | null, check: string | null): string {
  const parts = ['chaos-testing properties', '--input', o.database, '--target', o.target];
  if (o.sessionId !== undefined) parts.push('--session', String(o.sessionId));
  parts.push('--seed', String(seed));
  if (path) parts.push('--path', path);
  if (check) parts.push('--check', check);
  parts.push('--max-steps', String(o.maxSteps));
  return parts.map((p) => (/^[\w@%+=:,./-]+$/.test(p) || p === 'chaos-testing properties' ? p : `'${p.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * The CLI arguments that replay one invariant's case: --runs 0 skips the commands and --path goes to the
 * invariant's own fast-check run; an invariant judging the run's own requests replays the whole run instead.
 */
function invariantReplayArgs(o: PropertiesOptions, seed: number, path: string | null, spec: string, judgesRun: boolean): string[] {
  if (judgesRun) {
    const args = ['properties', '--input', o.database, '--target', o.target];
    if (o.sessionId !== undefined) args.push('--session', String(o.sessionId));
    return [...args, '--runs', String(o.runs), '--seed', String(seed), '--max-steps', String(o.maxSteps), '--invariant', spec];
  }
  return ['properties', '--target', o.target, '--runs', '0', '--seed', String(seed), ...(path ? ['--path', path] : []), '--invariant', spec];
}

function shellCommand(args: string[]): string {
  return ['chaos-testing', ...args].map((p) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export async function runProperties(options: PropertiesOptions): Promise<PropertiesResult> {
  const target = parseTarget(options.target);
  const enabled = options.checks?.length ? CHECK_NAMES.filter((c) => options.checks!.includes(c)) : [...CHECK_NAMES];
  const invariants = [...(await resolveInvariants(options.invariants ?? [], options.invariantsDir)), ...(options.customInvariants ?? [])];
  // --runs 0: the invariants alone, no commands, no traffic database; --path then replays an invariant's case.
  const invariantsOnly = options.runs === 0;
  if (invariantsOnly && !invariants.length) throw new UsageError('--runs 0 runs the invariants alone: name at least one with --invariant');
  const replaying = options.path && !invariantsOnly ? parsePath(options.path) : undefined;
  if (invariantsOnly && options.path && !/^\d+(:\d+)*$/.test(options.path)) throw new UsageError(`--path '${options.path}' is not an invariant's replay path; copy it from the violation's replay command (e.g. 3:0:1)`);
  let model: BehaviourModel = { endpoints: [] } as unknown as BehaviourModel;
  if (!invariantsOnly) {
    if (!fs.existsSync(options.database)) throw new StoreError(`no traffic database at ${options.database}: capture some first with 'chaos-testing observe', or pass --input PATH`);
    const db = await openForReading(options.database);
    try {
      if (options.sessionId !== undefined && !db.sessions().some((s) => s.id === options.sessionId)) {
        throw new UsageError(`${options.database} has no session ${options.sessionId}; 'chaos-testing list' shows the sessions`);
      }
      model = learn(db, { sessionId: options.sessionId });
    } finally {
      db.close();
    }
  }
  const plans = invariantsOnly ? [] : buildPlans(model);
  if (!plans.length && !invariantsOnly) throw new InputError(`${options.database} has no HTTP requests with responses to build commands from; capture some traffic first`);
  const seed = options.seed ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
  const startedAt = Date.now();
  const t0 = performance.now();
  const agent = new (target.protocol === 'https:' ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 4 });
  const checks: Record<string, CheckCount> = Object.fromEntries(enabled.map((c) => [c, { checked: 0, failed: 0 }]));
  const shared: RunShared = {
    base: target,
    sender: httpSender(agent, options.timeoutMs, options.signal),
    builder: new RequestBuilder(options.env ?? process.env),
    enabled,
    excluded: new Set(),
    schemas: new ResponseSchemas(),
    maxResponseTimeMs: options.maxResponseTimeMs ?? defaultMaxResponseTime(model.endpoints),
    checks,
    pairs: new Set(),
    steps: [],
    requests: 0,
    searching: true,
    signal: options.signal,
  };
  const arbs = commandArbitraries(plans, options.signal);
  const violations: Violation[] = [];
  const traces: TraceEntry[][] = [];
  let runs = 0;
  let shrinkMs = 0;
  let searchMs = 0;
  let lastProgress = 0;
  const progress = (force = false): void => {
    const now = performance.now();
    if (!options.onProgress || (!force && now - lastProgress < PROGRESS_EVERY_MS)) return;
    lastProgress = now;
    options.onProgress({ runs, requests: shared.requests, violations: violations.length, phase: shared.searching ? 'searching' : 'shrinking' });
  };
  shared.onRequest = () => progress();

  try {
    for (let round = 0; round < MAX_VIOLATIONS && !options.signal?.aborted && !invariantsOnly; round++) {
      const roundSeed = (seed + round) | 0;
      let lastFailure: CheckViolation | undefined;
      let failedAt: number | undefined;
      const roundStart = performance.now();
      shared.searching = true;
      const property = fc.asyncProperty(fc.commands(arbs, { maxCommands: options.maxSteps, ...(replaying?.replay ? { replayPath: replaying.replay } : {}) }), async (cmds) => {
        // Interrupted: an interrupting precondition failure ends fc.check (no further runs generated, what was
        // found kept), and a run cut short is not counted: `runs` is the runs made, not the runs asked for.
        if (options.signal?.aborted) throw new fc.PreconditionFailure(true);
        try {
          await fc.asyncModelRun(() => ({ model: new SequenceModel(), real: new SequenceReal(shared) }), cmds);
          if (options.signal?.aborted) throw new fc.PreconditionFailure(true);
          if (shared.searching) runs++;
        } catch (e) {
          if (options.signal?.aborted && !(e instanceof CheckViolation)) throw new fc.PreconditionFailure(true);
          if (shared.searching) runs++;
          if (e instanceof CheckViolation) {
            lastFailure = e;
            if (shared.searching) {
              shared.searching = false;
              failedAt = performance.now();
              progress(true);
            }
          }
          throw e;
        }
      });
      const details = await fc.check(property, { numRuns: options.runs, seed: roundSeed, ...(replaying ? { path: replaying.fc } : {}) });
      const end = performance.now();
      searchMs += (failedAt ?? end) - roundStart;
      if (failedAt !== undefined) shrinkMs += end - failedAt;
      // Interrupted before any run passed, fast-check calls it a failure (without one): it is only the interruption.
      if (!details.failed || (details.interrupted && !lastFailure)) break;
      const failure = lastFailure as CheckViolation | undefined;
      if (!failure) throw details.errorInstance instanceof Error ? details.errorInstance : new Error(String(details.errorInstance));
      const replayPath = /replayPath="([^"]*)"/.exec(String(details.counterexample?.[0] ?? ''))?.[1];
      const path = details.counterexamplePath ? `${details.counterexamplePath}${replayPath ? `@${replayPath}` : ''}` : null;
      violations.push({
        check: failure.check, kind: 'check', endpoint: failure.endpoint, message: failure.message,
        minimalExample: failure.trace.map((t) => t.step), seed: roundSeed, path, replay: replayCommand(options, roundSeed, path, failure.check),
      });
      traces.push(failure.trace);
      shared.excluded.add(`${failure.check} ${failure.endpoint}`);
      progress(true);
      if (replaying) break;
    }

    // Invariants judge the whole run (the search's requests); they may send requests of their own.
    const outcomes: InvariantOutcome[] = [];
    // By violation index: what an invariant violation's regression test is made from.
    const invariantCases = new Map<number, { httpExample?: HttpExampleStep[]; args: string[] }>();
    const invariantSpecs = new Map(invariants.map((inv, i) => [inv, options.invariants?.[i]]));
    for (const inv of invariants) {
      options.onProgress?.({ runs, requests: shared.requests, violations: violations.length, phase: 'invariants' });
      const spec = invariantSpecs.get(inv) ?? inv.name;
      const r = await inv.run({
        target, steps: shared.steps, options, signal: options.signal, seed, ...(invariantsOnly && options.path ? { path: options.path } : {}),
        send: async (req) => {
          const res = await shared.sender.send(target, req.method, req.path, req.headers ?? [], req.body);
          shared.requests++;
          const body = req.body === undefined ? {} : { body: req.body };
          return { endpoint: `${req.method} ${req.path}`, method: req.method, path: req.path, headers: req.headers ?? [], ...body, status: res.status, latencyMs: Math.round(res.latencyMs), ...(res.error ? { error: res.error } : {}), json: res.json };
        },
      });
      outcomes.push(r.outcome);
      for (const { httpExample, ...v } of r.violations) {
        const vSeed = v.seed ?? seed;
        const vPath = v.path ?? null;
        const args = invariantReplayArgs(options, vSeed, vPath, spec, inv.judgesRun === true);
        violations.push({ ...v, seed: vSeed, path: vPath, replay: shellCommand(args) });
        invariantCases.set(violations.length - 1, { httpExample, args });
      }
    }

    if (options.language) {
      const names = new Map<string, number>();
      violations.forEach((v, i) => {
        const trace = traces[i];
        const invariantCase = invariantCases.get(i);
        if (!trace && !invariantCase) return;
        const n = (names.get(v.check) ?? 0) + 1;
        names.set(v.check, n);
        const common = { language: options.language!, framework: options.framework, check: v.check, target: options.target, replay: v.replay, name: n === 1 ? v.check : `${v.check}_${n}`, outDir: options.outDir };
        const test = trace
          ? regressionTest({ ...common, trace, plan: plans.find((p) => p.endpoint.key === v.endpoint), model })
          : invariantRegressionTest({ ...common, httpExample: invariantCase!.httpExample, cliArgs: invariantCase!.args });
        if (test) v.regressionTest = test;
      });
    }

    const pairs = [...shared.pairs].sort();
    const known = model.endpoints.flatMap((e) => Object.keys(e.statuses).map((s) => `${e.key} ${s}`));
    const totalMs = performance.now() - t0;
    const result: PropertiesResult = {
      version: 1,
      kind: 'properties',
      database: options.database,
      target: target.href,
      passed: violations.length === 0 && outcomes.every((o) => o.passed),
      runs,
      runsRequested: options.runs,
      requests: shared.requests,
      seed,
      ...(options.path ? { path: options.path } : {}),
      checks: invariantsOnly ? {} : checks,
      invariants: outcomes,
      violations,
      codePathsExercised: { endpointStatusPairs: pairs, distinct: pairs.length, notHit: known.filter((k) => !shared.pairs.has(k)) },
      timing: { totalMs: Math.round(totalMs), shrinkMs: Math.round(shrinkMs), perRunMs: runs ? Math.round((searchMs / runs) * 100) / 100 : 0 },
      startedAt,
      finishedAt: Date.now(),
      aborted: Boolean(options.signal?.aborted),
      notes: [],
    };
    if (options.store !== false && (!invariantsOnly || fs.existsSync(options.database))) {
      const spec = { target: result.target, sessionId: options.sessionId ?? null, runs: options.runs, seed, path: options.path ?? null, checks: enabled, invariants: options.invariants ?? [], maxSteps: options.maxSteps };
      result.notes.push((await saveRun(options.database, { kind: 'properties', spec, result, startedAt, finishedAt: result.finishedAt })).note);
    }
    return result;
  } finally {
    agent.destroy();
  }
}
