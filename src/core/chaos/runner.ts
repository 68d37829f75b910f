/**
 * Runs an experiment: hypothesis before (unhealthy → nothing runs) → baseline under a steady probe load → method
 * (each action's undo record journaled before it acts) → faults held → rollbacks (each action's undo in reverse,
 * then the file's own rollbacks) → recovery (probes go on until N successes in a row) → hypothesis after.
 * Rollbacks run on success, failure and abort (the signal); the journal covers a run that is killed outright.
 *
 * recovery_time_ms: from the moment the last fault was removed (its undo finished; for a process-kill with
 * restart, the restart) to the send time of the FIRST probe of the first run of `consecutive` successful probes.
 * A rollback that failed fails the run, and leaves no recovery time: the fault was not (known to be) removed.
 */
import { describeError, isChaosError } from '../errors';
import { FaultApi } from '../faults/api';
import { parseHostPort } from '../faults/tcpProxy';
import { getDriver } from './drivers';
import { Journal, readJournal, recoverFromJournal } from './journal';
import { callProbe, resolveProbeUrl } from './probe';
import { ProbeLoad } from './probeLoad';
import { firstRecoveredSample, phaseStats } from './stats';
import type { Action, ActionContext, Experiment, ExperimentResult, Phase, ProbeOutcome, TimelineEvent, UndoRecord } from './types';
import { sleepUnlessAborted as sleep } from '../timers';

export interface RunOptions {
  signal?: AbortSignal;
  dryRun?: boolean;
  /** Every timeline event as it happens. */
  onProgress?: (event: TimelineEvent) => void;
  /** Drivers' and the journal's log lines. */
  onLog?: (line: string) => void;
  /** Where the journal lives (default `.chaos`). */
  journalDir?: string;
}

interface Applied {
  id: string;
  action: Action;
  record: UndoRecord;
  appliedAt: number;
  deadline: number;
  undone: boolean;
  /** Its undo threw: the fault may still be in place (it stays in the journal). */
  undoFailed?: boolean;
}

export async function runExperiment(experiment: Experiment, options: RunOptions = {}): Promise<ExperimentResult> {
  const signal = options.signal ?? new AbortController().signal;
  const log = options.onLog ?? ((): void => undefined);
  const journalDir = options.journalDir ?? '.chaos';
  const t0 = Date.now();
  const now = (): number => Date.now() - t0;
  const result: ExperimentResult = {
    title: experiment.title,
    ...(experiment.file ? { file: experiment.file } : {}),
    status: 'completed',
    dryRun: Boolean(options.dryRun),
    startedAt: new Date(t0).toISOString(),
    durationMs: 0,
    hypothesisBefore: [],
    hypothesisAfter: [],
    hypothesisHeld: false,
    recoveredSuccessfully: false,
    recoveryTimeMs: null,
    consecutiveSuccesses: experiment.measure.consecutiveSuccesses,
    errorRateDuringFailure: 0,
    phases: [],
    samples: [],
    timeline: [],
    rollbacks: [],
  };
  const event = (e: Omit<TimelineEvent, 'at'>): void => {
    const full = { at: now(), ...e };
    result.timeline.push(full);
    options.onProgress?.(full);
  };
  const finish = (): ExperimentResult => ({ ...result, durationMs: now() });

  const leftovers = readJournal(journalDir);
  if (options.dryRun) {
    if (leftovers.length) event({ kind: 'error', name: 'journal', detail: `${leftovers.length} fault(s) from an earlier run are in the journal; 'chaos recover' undoes them` });
    for (const action of experiment.method) event({ kind: 'action', name: action.name, detail: `would ${getDriver(action.kind)?.describe(action as never, experiment) ?? action.kind}` });
    for (const action of experiment.rollbacks) event({ kind: 'rollback', name: action.name, detail: `would ${getDriver(action.kind)?.describe(action as never, experiment) ?? action.kind}` });
    return finish();
  }
  if (leftovers.length) {
    const report = await recoverFromJournal(journalDir, log);
    event({ kind: 'rollback', name: 'journal', detail: `undid ${report.undone.length} fault(s) an earlier run left behind${report.failed.length ? `; ${report.failed.length} could not be undone` : ''}`, ok: !report.failed.length });
  }

  const api = new FaultApi();
  const live = await bindLocalProxies(experiment, api).catch(async (e: unknown) => {
    await api.close();
    throw e;
  });
  const journal = new Journal(journalDir, experiment.file);
  const applied: Applied[] = [];
  let load: ProbeLoad | undefined;
  let phase: Phase = 'baseline';
  const phaseStart: Record<Phase, number> = { baseline: 0, fault: 0, recovery: 0 };
  const phaseEnd: Record<Phase, number> = { baseline: 0, fault: 0, recovery: 0 };
  const enter = (p: Phase): void => {
    phaseEnd[phase] = now();
    phase = p;
    phaseStart[p] = now();
    event({ kind: 'phase', name: p });
  };
  let closed = false;
  try {
    result.hypothesisBefore = await hypothesis(live, signal);
    // Stopped while a probe waited: an abort, not an unhealthy system.
    if (signal.aborted) return abort();
    const healthy = result.hypothesisBefore.every((o) => o.ok);
    event({ kind: 'hypothesis', name: 'before', ok: healthy, detail: summary(result.hypothesisBefore) });
    if (!healthy) {
      result.status = 'unhealthy-before';
      return finish();
    }

    const probe = live.hypothesis.probes.find((p) => p.name === live.measure.probe)!;
    load = new ProbeLoad(probe, resolveProbeUrl(probe, live).url!, live.measure.intervalMs, now, () => phase);
    phaseStart.baseline = now();
    event({ kind: 'phase', name: 'baseline' });
    load.start();
    await sleep(live.measure.baselineMs, signal);

    enter('fault');
    for (const [i, action] of live.method.entries()) {
      if (signal.aborted) break;
      await sleep(action.pauseBeforeMs, signal);
      if (signal.aborted) break;
      const id = `${process.pid}-${t0}-${i}`;
      const entry: Applied = { id, action, record: { action: action.name, kind: action.kind, data: {} }, appliedAt: now(), deadline: 0, undone: false };
      const ctx: ActionContext = {
        experiment: live,
        signal,
        log,
        journal: (record) => {
          journal.put(id, record);
          entry.record = record;
          if (!applied.includes(entry)) applied.push(entry);
        },
      };
      try {
        entry.record = await getDriver(action.kind)!.apply(action as never, ctx);
        ctx.journal(entry.record);
        event({ kind: 'action', name: action.name, ok: true, detail: getDriver(action.kind)!.describe(action as never, live) });
      } catch (e) {
        event({ kind: 'error', name: action.name, ok: false, detail: errorText(e) });
        result.status = 'failed';
        break;
      }
      await sleep(action.pauseAfterMs, signal);
    }
    // Hold: each fault until its own duration; without one, `measure.fault` after the method.
    const methodEnd = now();
    const withDuration = applied.filter((a) => a.action.durationMs !== undefined);
    for (const a of applied) a.deadline = a.action.durationMs !== undefined ? a.appliedAt + a.action.durationMs : 0;
    const fallback = withDuration.length ? Math.max(...withDuration.map((a) => a.deadline)) : methodEnd + live.measure.faultMs;
    for (const a of applied) if (a.action.durationMs === undefined) a.deadline = fallback;
    if (result.status !== 'failed') {
      for (const a of [...applied].sort((x, y) => x.deadline - y.deadline)) {
        await sleep(a.deadline - now(), signal);
        if (signal.aborted) break;
        await undo(a);
      }
    }
  } catch (e) {
    event({ kind: 'error', name: 'run', ok: false, detail: errorText(e) });
    result.status = 'failed';
  } finally {
    await rollbackAll();
    if (load) await recover(load);
    // Early returns above (unhealthy before, abort) end here: the run's own proxies go with them.
    if (result.status === 'unhealthy-before' || signal.aborted) {
      closed = true;
      await api.close();
    }
  }
  try {
    if (signal.aborted) return abort();
    if (result.status !== 'unhealthy-before') {
      result.hypothesisAfter = await hypothesis(live, signal);
      if (signal.aborted) return abort();
      result.hypothesisHeld = result.hypothesisAfter.every((o) => o.ok);
      event({ kind: 'hypothesis', name: 'after', ok: result.hypothesisHeld, detail: summary(result.hypothesisAfter) });
      if (!result.hypothesisHeld) result.status = 'failed';
    }
    return finish();
  } finally {
    if (!closed) await api.close();
  }

  function abort(): ExperimentResult {
    result.status = 'aborted';
    event({ kind: 'abort', name: 'signal', detail: 'stopped; rollbacks ran' });
    return finish();
  }

  async function undo(a: Applied): Promise<void> {
    if (a.undone) return;
    a.undone = true;
    try {
      await getDriver(a.record.kind)!.undo(a.record, log);
      journal.drop(a.id);
      const removedAt = typeof a.record.data.removedAt === 'number' ? a.record.data.removedAt - t0 : now();
      a.record.data.removedRel = removedAt;
      result.rollbacks.push({ action: a.action.name, ok: true });
      event({ kind: 'rollback', name: a.action.name, ok: true });
    } catch (e) {
      a.undoFailed = true;
      result.rollbacks.push({ action: a.action.name, ok: false, error: errorText(e) });
      event({ kind: 'rollback', name: a.action.name, ok: false, detail: `${errorText(e)}; it stays in the journal for 'chaos recover'` });
    }
  }

  async function rollbackAll(): Promise<void> {
    for (const a of [...applied].reverse()) await undo(a);
    const quiet = new AbortController().signal;
    for (const action of live.rollbacks) {
      try {
        await getDriver(action.kind)!.apply(action as never, { experiment: live, signal: quiet, log, journal: () => undefined });
        result.rollbacks.push({ action: action.name, ok: true });
        event({ kind: 'rollback', name: action.name, ok: true });
      } catch (e) {
        result.rollbacks.push({ action: action.name, ok: false, error: errorText(e) });
        event({ kind: 'rollback', name: action.name, ok: false, detail: errorText(e) });
      }
    }
    // A fault left in place is a failed run whatever the hypothesis says (an abort stays an abort: it exits 1 too).
    if (result.rollbacks.some((b) => !b.ok) && result.status === 'completed') result.status = 'failed';
  }

  /** The recovery phase: probes go on until N successes in a row after the last fault's removal, or the timeout. */
  async function recover(probes: ProbeLoad): Promise<void> {
    const n = live.measure.consecutiveSuccesses;
    const removed = applied.length ? Math.max(...applied.map((a) => Number(a.record.data.removedRel ?? now()))) : now();
    // Nothing to measure from: a fault whose undo failed was never removed.
    const notRemoved = applied.some((a) => a.undoFailed);
    if (phase === 'fault' && !signal.aborted && !notRemoved) {
      enter('recovery');
      const deadline = removed + live.measure.recoveryTimeoutMs;
      while (!signal.aborted && now() < deadline && !firstRecoveredSample(probes.samples, removed, n, probes.settledBefore())) {
        await sleep(Math.min(live.measure.intervalMs, 50), signal);
      }
    }
    phaseEnd[phase] = now();
    await probes.stop();
    const first = notRemoved ? undefined : firstRecoveredSample(probes.samples, removed, n);
    result.recoveredSuccessfully = first !== undefined;
    result.recoveryTimeMs = first ? Math.max(0, Math.round(first.at - removed)) : null;
    if (first) event({ kind: 'recovered', name: 'system', ok: true, detail: `${result.recoveryTimeMs} ms after the last fault was removed (${n} successes in a row)` });
    result.samples = [...probes.samples].sort((a, b) => a.at - b.at);
    const reached = (['baseline', 'fault', 'recovery'] as Phase[]).filter((p) => p === 'baseline' || phaseStart[p] > 0);
    result.phases = reached.map((p) => phaseStats(p, phaseStart[p], phaseEnd[p], result.samples));
    result.errorRateDuringFailure = result.phases.find((p) => p.phase === 'fault')?.errorRate ?? 0;
  }
}

/** A copy of the experiment in which every proxy the run starts itself is served by the run's own fault API. */
async function bindLocalProxies(experiment: Experiment, api: FaultApi): Promise<Experiment> {
  const local = Object.values(experiment.targets).filter((t) => t.kind === 'proxy' && t.listen && t.upstream);
  if (!local.length) return experiment;
  const address = await api.listen({ host: '127.0.0.1', port: 0 });
  const targets = { ...experiment.targets };
  for (const t of local) {
    if (t.kind !== 'proxy') continue;
    await api.addProxy({ name: t.name, listen: parseHostPort(t.listen!, `targets.${t.name}.proxy.listen`, true), upstream: parseHostPort(t.upstream!, `targets.${t.name}.proxy.upstream`) });
    targets[t.name] = { ...t, api: `${address.host}:${address.port}`, proxy: t.name };
  }
  return { ...experiment, targets };
}

async function hypothesis(experiment: Experiment, signal: AbortSignal): Promise<ProbeOutcome[]> {
  return Promise.all(experiment.hypothesis.probes.map((p) => callProbe(p, resolveProbeUrl(p, experiment).url!, signal)));
}

function summary(outcomes: ProbeOutcome[]): string {
  return outcomes.map((o) => `${o.probe}: ${o.ok ? 'ok' : o.detail}`).join('; ');
}

/** One line: a ChaosError's own message, anything else with its code. */
function errorText(e: unknown): string {
  return isChaosError(e) ? e.message : describeError(e);
}
