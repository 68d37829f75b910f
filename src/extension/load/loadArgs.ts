import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../../core/chaos/duration';
import type { ProfileKind } from '../../core/load/types';

export const PROFILES: ProfileKind[] = ['constant', 'ramp-up', 'spike', 'soak', 'stress'];

/** What to run: a spec file from `.chaos/load/`, or the quick run's answers. */
export type LoadRequest =
  | { kind: 'spec'; file: string }
  | {
      kind: 'quick';
      target: string;
      profile: ProfileKind;
      /** As typed: '30s', '5m'. */
      duration: string;
      /** Connections ('10'), a rate ('200/s'), or a range of either ('10..50', '100..1000/s'). */
      level: string;
      /** 'p99<200ms,errors<1%', or empty for none. */
      slo: string;
      /** The workspace's traffic database: where the run is stored, and with mix 'traffic' what it sends. */
      input?: string;
      /** The captured requests ('traffic') or GET of the target URL ('target'); absent: the CLI's default. */
      mix?: 'traffic' | 'target';
    };

/** The level of a quick run as CLI flags, or undefined when it is not one of the forms above. */
export function levelArgs(level: string): string[] | undefined {
  const m = /^\s*(\d+)(?:\s*\.\.\s*(\d+))?\s*(\/s)?\s*$/.exec(level);
  if (!m) return undefined;
  const [from, to, rate] = [Number(m[1]), m[2] === undefined ? undefined : Number(m[2]), Boolean(m[3])];
  const top = to ?? from;
  if (top < 1 || (to !== undefined && to < from)) return undefined;
  return [rate ? '--rate' : '--connections', String(top), ...(to === undefined ? [] : ['--from', String(from), '--to', String(to)])];
}

/** Why a typed level will not do (for `profile`, when given: a constant run takes one level, not a range). */
export function validateLevel(value: string, profile?: ProfileKind): string | undefined {
  const args = levelArgs(value);
  if (!args) return "Enter connections (10), a rate (200/s), or a range (10..50, 100..1000/s)";
  if (profile === 'constant' && args.includes('--from')) return 'A constant run holds one level: enter 10 or 200/s, not a range (ramp-up, spike, soak and stress take one)';
  return undefined;
}

export function validateDuration(value: string): string | undefined {
  const ms = /^\s*\d+(\.\d+)?\s*(ms|s|m|h)\s*$/.test(value) ? parseDuration(value) : undefined;
  return ms && ms >= 1000 ? undefined : 'Enter a duration with its unit, at least 1s: 30s, 5m, 1h';
}

/** `chaos-testing load …` arguments for a request; `--events` makes it print NDJSON ticks and the result. */
export function loadArgs(request: LoadRequest, allowRemote: boolean): string[] {
  const tail = [...(allowRemote ? ['--allow-remote'] : []), '--events'];
  if (request.kind === 'spec') return ['load', '--spec', request.file, ...tail];
  const level = levelArgs(request.level);
  if (!level) throw new Error(`load level '${request.level}': ${validateLevel(request.level)}`);
  return [
    'load', '--target', request.target.trim(), '--profile', request.profile, '--duration', request.duration.trim(), ...level,
    ...(request.slo.trim() ? ['--slo', request.slo.trim()] : []),
    ...(request.input ? ['--input', request.input] : []),
    ...(request.mix ? ['--mix', request.mix] : []),
    ...tail,
  ];
}

/** Whether a URL names this machine (127.0.0.0/8, ::1, localhost): the only targets a run may load unasked. */
export function isLoopbackTarget(target: string): boolean {
  let host: string;
  try {
    host = new URL(target).hostname.toLowerCase();
  } catch {
    return true; // not a URL: the CLI refuses it with its own message
  }
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** What a spec file says about the run, for the confirmation and the progress: its target, name and duration. */
export interface SpecSummary {
  target?: string;
  name?: string;
  durationMs?: number;
}

/** Reads the few fields the editor needs from a `.chaos/load/*.yaml`; a file it cannot read says nothing (the CLI explains). */
export function readSpecSummary(file: string): SpecSummary {
  try {
    const doc = parseYaml(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object') return {};
    const duration = parseDuration(doc.duration);
    return {
      target: typeof doc.target === 'string' ? doc.target : undefined,
      name: typeof doc.name === 'string' ? doc.name : undefined,
      durationMs: duration,
    };
  } catch {
    return {};
  }
}
