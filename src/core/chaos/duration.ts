/** Durations in experiment files: milliseconds as a number, or a number with a unit ('500ms', '2s', '1m', '1h'). */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when the value is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  const ms = m ? Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']) : NaN;
  // 400 digits read as Infinity: not a duration (a timer would take it as 1 ms).
  return Number.isFinite(ms) ? ms : undefined;
}

export const DURATION_HINT = "write milliseconds (500) or a number with ms, s, m or h ('500ms', '2s', '1m')";
