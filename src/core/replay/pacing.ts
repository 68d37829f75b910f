import type { Pacing } from './types';

/** The longest recorded pause `--as-recorded` keeps; longer ones (a coffee break mid-capture) are cut to this. */
export const MAX_RECORDED_GAP_MS = 5_000;

/** Resolves after `ms`, or at once (false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * When each request may start: at once (fast), on a fixed schedule (rate), or after the recorded gap since the
 * previous request's start (as-recorded, each gap capped). Requests are sequential, so a slow answer delays the
 * next start rather than overlapping it.
 */
export class Pacer {
  private _first: number | undefined;
  private _lastStart: number | undefined;
  private _lastRecorded: number | undefined;
  private _count = 0;

  constructor(private readonly _pacing: Pacing) {}

  /** Waits until the next request may start; false when aborted. `recordedAt` is its capture start time (epoch ms). */
  async next(recordedAt: number, signal?: AbortSignal): Promise<boolean> {
    const now = performance.now();
    let at = now;
    if (this._pacing.mode === 'rate' && this._first !== undefined) at = this._first + (this._count * 1000) / this._pacing.perSecond;
    if (this._pacing.mode === 'as-recorded' && this._lastStart !== undefined && this._lastRecorded !== undefined) {
      at = this._lastStart + Math.min(this._pacing.maxGapMs, Math.max(0, recordedAt - this._lastRecorded));
    }
    const ok = await sleep(at - now, signal);
    if (!ok) return false;
    this._first ??= performance.now();
    this._lastStart = performance.now();
    this._lastRecorded = recordedAt;
    this._count++;
    return true;
  }
}
