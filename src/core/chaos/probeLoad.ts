/** The steady probe load: one probe every `intervalMs` on its own schedule (a slow answer never delays the next). */
import { callProbe } from './probe';
import type { HttpProbe, Phase, ProbeSample } from './types';

const MAX_IN_FLIGHT = 200;

export class ProbeLoad {
  readonly samples: ProbeSample[] = [];
  private readonly _inFlight = new Map<number, number>();
  private readonly _pending = new Set<Promise<void>>();
  private _timer: NodeJS.Timeout | undefined;
  private _seq = 0;
  private _stopped = false;

  constructor(
    private readonly _probe: HttpProbe,
    private readonly _url: string,
    private readonly _intervalMs: number,
    /** ms since the run's start. */
    private readonly _now: () => number,
    private readonly _phase: () => Phase,
  ) {}

  start(): void {
    const origin = this._now();
    let k = 0;
    const tick = (): void => {
      if (this._stopped) return;
      this._send();
      k++;
      // Scheduled against the start, so timer lateness does not accumulate.
      this._timer = setTimeout(tick, Math.max(0, origin + k * this._intervalMs - this._now()));
    };
    tick();
  }

  /** Send time of the oldest probe still in flight (Infinity when none): samples before it are final. */
  settledBefore(): number {
    let min = Infinity;
    for (const at of this._inFlight.values()) min = Math.min(min, at);
    return min;
  }

  async stop(): Promise<void> {
    this._stopped = true;
    if (this._timer) clearTimeout(this._timer);
    await Promise.all([...this._pending]);
  }

  private _send(): void {
    if (this._inFlight.size >= MAX_IN_FLIGHT) return;
    const id = this._seq++;
    const at = this._now();
    const phase = this._phase();
    this._inFlight.set(id, at);
    const p = callProbe(this._probe, this._url).then((o) => {
      this.samples.push({ at, phase, ok: o.ok, latencyMs: Math.round(o.latencyMs * 10) / 10, ...(o.status !== undefined ? { status: o.status } : {}), ...(o.ok ? {} : { error: o.detail }) });
      this._inFlight.delete(id);
      this._pending.delete(p);
    });
    this._pending.add(p);
  }
}
