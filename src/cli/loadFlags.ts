/** `chaos-testing load` flags → a LoadPlanInput (over a spec file's, flags win), checked with one-line errors. */
import { parseDuration, DURATION_HINT } from '../core/chaos/duration';
import { UsageError } from '../core/errors';
import type { LoadPlanInput } from '../core/load/plan';
import type { ProfileKind } from '../core/load/types';
import { intFlag, type FlagValues } from './args';

const PROFILES: readonly ProfileKind[] = ['constant', 'ramp-up', 'spike', 'soak', 'stress'];

function positive(name: string, raw: FlagValues[string]): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 1_000_000) throw new UsageError(`--${name} '${String(raw)}' must be a number above 0 (up to 1000000)`);
  return n;
}

function duration(flags: FlagValues, name: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const ms = parseDuration(String(raw));
  if (ms === undefined || ms <= 0) throw new UsageError(`--${name} '${String(raw)}' is not a duration; ${DURATION_HINT}`);
  return ms;
}

/** `--to` is repeatable: numbers are the profile's level, a word is the export format (`load export --to k6`). */
export function splitTo(flags: FlagValues): { level?: string; format?: string } {
  const values = flags.to === undefined ? [] : Array.isArray(flags.to) ? flags.to : [String(flags.to)];
  const out: { level?: string; format?: string } = {};
  for (const v of values) {
    if (/^[a-z][\w-]*$/i.test(v)) out.format = v;
    else out.level = v;
  }
  return out;
}

export function planInputFromFlags(flags: FlagValues, base: LoadPlanInput = {}, forExport = false): LoadPlanInput {
  const input: LoadPlanInput = { ...base };
  const set = <K extends keyof LoadPlanInput>(key: K, value: LoadPlanInput[K] | undefined): void => {
    if (value !== undefined) input[key] = value;
  };
  set('target', flags.target === undefined ? undefined : String(flags.target));
  if (flags.profile !== undefined) {
    const p = String(flags.profile) as ProfileKind;
    if (!PROFILES.includes(p)) throw new UsageError(`--profile '${p}' must be one of: ${PROFILES.join(', ')}`);
    input.profile = p;
  }
  set('from', positive('from', flags.from));
  const to = splitTo(flags);
  if (to.format !== undefined && !forExport) throw new UsageError(`--to '${to.format}' must be a number (the level the profile drives to); to write a k6 script use 'chaos-testing load export --to k6'`);
  set('to', positive('to', to.level));
  set('durationMs', duration(flags, 'duration'));
  set('stepEveryMs', duration(flags, 'step-every'));
  set('rate', positive('rate', flags.rate));
  set('connections', intFlag(flags, 'connections', 1, 10_000));
  if (flags.mix !== undefined) {
    const m = String(flags.mix);
    if (m !== 'traffic' && m !== 'target') throw new UsageError(`--mix '${m}' must be 'traffic' (the captured requests) or 'target' (GET the target URL)`);
    input.mix = m;
  }
  if (flags['read-write'] !== undefined) {
    if (input.mix === 'target') throw new UsageError("--read-write reshapes the captured traffic; it does not go with --mix target");
    input.readWrite = String(flags['read-write']);
  }
  if (flags.slo !== undefined) input.slo = (Array.isArray(flags.slo) ? flags.slo : [String(flags.slo)]).join(',');
  set('input', flags.input === undefined ? undefined : String(flags.input));
  set('session', intFlag(flags, 'session', 1, Number.MAX_SAFE_INTEGER));
  set('maxRequests', intFlag(flags, 'max-requests', 1, 1_000_000_000));
  set('timeoutMs', duration(flags, 'timeout'));
  set('pid', intFlag(flags, 'pid', 1, 4_194_304));
  if (flags['allow-remote']) input.allowRemote = true;
  if (flags.insecure) input.insecure = true;
  return input;
}
