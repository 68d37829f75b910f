/**
 * The load run's clock: milliseconds on the monotonic clock, to the nanosecond. It reads what performance.now()
 * reads (process.hrtime), without what that costs on Node 20 each call: a lookup through the global `performance`
 * getter and a brand check. The generator reads it twice per request. Only differences of its values mean anything
 * (its origin is not performance.now()'s), so a run uses this clock alone.
 */
export function nowMs(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}
