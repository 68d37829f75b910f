/**
 * The load run's clock: milliseconds on the monotonic clock, to the nanosecond. It reads what performance.now()
 * reads (process.hrtime), without what that costs on Node 20 each call: a lookup through the global `performance`
 * getter and a brand check. `hrtime` is taken from node:process once: the global `process` is a getter too. The
 * generator reads it twice per request. Only differences of its values mean anything (its origin is not
 * performance.now()'s), so a run uses this clock alone.
 */
import { hrtime } from 'node:process';

export function nowMs(): number {
  const t = hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}
