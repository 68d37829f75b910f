/**
 * Timers for delays a user writes (a fault's duration, a soak's length). setTimeout takes at most 2^31 − 1 ms
 * (about 24.8 days): beyond that Node fires it after 1 ms, so a longer delay is waited in steps.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** Calls `fn` after `ms` milliseconds, however long that is. */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = setTimeout(() => (left > MAX_TIMEOUT_MS ? arm(left - MAX_TIMEOUT_MS) : fn()), Math.min(Math.max(0, left), MAX_TIMEOUT_MS));
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}

/** Resolves after `ms`, or at once when `signal` aborts (or already has). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || !(ms > 0)) return resolve();
    const done = (): void => {
      timer.clear();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setLongTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
