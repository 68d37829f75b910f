/**
 * Load profiles as k6-style stages: the level (connections or requests per second) over time. `buildProfile` turns
 * a kind and its bounds into stages; `levelAt` reads the level at a moment of the run.
 */
import { InputError } from '../errors';
import type { LoadModel, Profile, ProfileKind, Stage } from './types';

export const PROFILE_KINDS: readonly ProfileKind[] = ['constant', 'ramp-up', 'spike', 'soak', 'stress'];

export interface ProfileBounds {
  /** Level at the start (baseline); defaults per kind (a tenth of `to`, or 1 connection). */
  from?: number;
  /** The level the profile drives to (the spike's peak, stress's ceiling). */
  to: number;
  durationMs: number;
  model: LoadModel['kind'];
  /** stress: how long each step holds (default: the duration split into up to 10 steps, at least 2 s each). */
  stepEveryMs?: number;
}

export function buildProfile(kind: ProfileKind, b: ProfileBounds): Profile {
  if (!PROFILE_KINDS.includes(kind)) throw new InputError(`unknown load profile "${kind}": use one of ${PROFILE_KINDS.join(', ')}`);
  if (!(b.to > 0)) throw new InputError(`load profile ${kind}: the target level must be above 0 (got ${b.to})`);
  if (!(b.durationMs > 0)) throw new InputError(`load profile ${kind}: the duration must be above 0 (got ${b.durationMs} ms)`);
  if (kind !== 'constant' && b.from !== undefined && b.from > b.to) {
    throw new InputError(`load profile ${kind} climbs from its start level to its target: the start (from) ${b.from} is above the target (to) ${b.to}; swap them`);
  }
  const d = b.durationMs;
  const to = level(b.to, b.model);
  const low = level(b.from ?? (kind === 'constant' ? to : defaultBaseline(to)), b.model);
  switch (kind) {
    case 'constant':
      return { kind, from: to, stages: [{ durationMs: d, target: to }] };
    case 'ramp-up': // from → to over 80 %, then hold so the top level is measured, not just touched
      return { kind, from: low, stages: split(d, [[0.8, to], [0.2, to]]) };
    case 'spike': // baseline, a sudden jump, hold, a sudden drop, recovery at the baseline
      return { kind, from: low, stages: split(d, [[0.25, low], [0.02, to], [0.2, to], [0.02, low], [0.51, low]]) };
    case 'soak': { // a short ramp (10 %, at most a minute), then a long hold at `to`
      const ramp = Math.min(0.1 * d, 60_000);
      return { kind, from: low, stages: [{ durationMs: Math.round(ramp), target: to }, { durationMs: d - Math.round(ramp), target: to }] };
    }
    case 'stress':
      return stressProfile(low, to, d, b);
  }
}

/** stress: flat steps from `from` up to `to`, each holding `every` ms; the run stops stepping once a step breaks the SLO. */
function stressProfile(from: number, to: number, d: number, b: ProfileBounds): Profile {
  // Steps last whole seconds, so each step is measured by whole one-second ticks.
  const every = Math.max(1000, Math.floor((b.stepEveryMs ?? d / Math.max(1, Math.min(10, Math.floor(d / 2000)))) / 1000) * 1000);
  const steps = Math.max(1, Math.floor(d / every));
  const by = steps > 1 ? (to - from) / (steps - 1) : 0;
  const stages: Stage[] = [];
  for (let i = 0; i < steps; i++) {
    const target = i === steps - 1 ? to : level(from + by * i, b.model);
    stages.push({ durationMs: 0, target }, { durationMs: every, target });
  }
  return { kind: 'stress', from, stages, step: { every, by: level(by, b.model), maxLevel: to } };
}

function split(total: number, parts: Array<[number, number]>): Stage[] {
  const stages = parts.map(([share, target]) => ({ durationMs: Math.round(total * share), target }));
  stages[stages.length - 1].durationMs += total - stages.reduce((s, x) => s + x.durationMs, 0);
  return stages;
}

function defaultBaseline(to: number): number {
  return Math.max(1, to / 10);
}

/** Connections are whole; rates keep two decimals. */
function level(n: number, model: LoadModel['kind']): number {
  return model === 'closed' ? Math.max(1, Math.round(n)) : Math.round(n * 100) / 100;
}

export function profileDurationMs(p: Profile): number {
  return p.stages.reduce((s, x) => s + x.durationMs, 0);
}

/** The level `ms` after the start: linear within a stage from the previous stage's target; the last target after the end. */
export function levelAt(p: Profile, ms: number): number {
  let start = 0;
  let prev = p.from;
  for (const s of p.stages) {
    if (ms < start + s.durationMs) return prev + ((s.target - prev) * (ms - start)) / s.durationMs;
    start += s.durationMs;
    prev = s.target;
  }
  return prev;
}

/** stress: the step (0-based) running at `ms`, and when it started and ends. */
export function stressStepAt(p: Profile, ms: number): { index: number; startMs: number; endMs: number; level: number } | null {
  if (!p.step) return null;
  const every = p.step.every;
  const count = p.stages.length / 2;
  const index = Math.min(count - 1, Math.floor(ms / every));
  return { index, startMs: index * every, endMs: (index + 1) * every, level: p.stages[index * 2 + 1].target };
}
