/**
 * How a busy generator waits for responses. Waiting on the sockets (the event loop blocked in epoll) means the
 * target's every write that finds us asleep wakes us: a wake-up across CPUs, which the target pays, and which costs
 * most in a VM. Against a local target that is the target's bottleneck: measured here (2 vCPUs, Firecracker), a
 * Node server answered 50 connections at ~77,000 req/s when its client slept on the sockets ~20,000 times a second,
 * and at ~87,000 when the client napped off them instead, with less CPU per request on the client's side too.
 *
 * So while many requests are in flight, the generator polls in turns: the loop runs without blocking (an immediate
 * keeps it from waiting in epoll), and a turn that found nothing new sleeps briefly on a futex, where no write of
 * the target has to wake it. A response can then wait up to one nap before it is read, and that wait is in its
 * latency, so a nap is a sixteenth of the recent service time (at most `MAX_NAP_US`): it inflates a latency by a
 * few percent at most. With few requests in flight, or a short round trip, responses come too seldom for turns to
 * pay and the loop blocks on the sockets as usual; so it does while the target stalls (turns that keep finding
 * nothing stop until the next response).
 */

/** The nap as a share of the recent service time: a response read late by a whole nap is late by this share. */
const NAP_SHARE = 1 / 16;
/** Fewer in flight than this and turns cannot pay (see `napUs`); checked first, as it is cheap. */
const MIN_IN_FLIGHT = 1 / NAP_SHARE;
const MAX_NAP_US = 100;
/** Below this a nap costs more than it saves (a futex call) and the loop blocks instead. */
const MIN_NAP_US = 10;
/**
 * Empty turns in a row after which turns stop until the next response: with naps of a sixteenth of the service
 * time, that is a whole service time without one response (a stalled target), when spinning would only burn CPU.
 */
const MAX_EMPTY_TURNS = 1 / NAP_SHARE;
/** How fast the recent service time follows new responses (an exponential average over ~256 of them). */
const SMOOTHING = 1 / 256;

const NAP_CELL = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps the thread for `us` µs on a futex nothing wakes (Node allows Atomics.wait on its main thread). */
export function futexNap(us: number): void {
  Atomics.wait(NAP_CELL, 0, 0, us / 1000);
}

export interface TurnsSource {
  /** Bytes read so far (a turn that read none naps). */
  readonly bytesRead: number;
  readonly inFlight: number;
  /** Whether the generator still sends (turns end when it stops). */
  readonly sending: boolean;
}

export class Turns {
  private _armed = false;
  private _lastBytes = -1;
  private _emptyTurns = 0;
  private _serviceUs = 0;
  private readonly _turn = (): void => this._run();

  constructor(
    private readonly _source: TurnsSource,
    private readonly _nap: (us: number) => void = futexNap,
  ) {}

  /** The nap (µs) with `inFlight` requests out, 0 when the loop should block on the sockets. */
  napUs(inFlight: number): number {
    if (inFlight < MIN_IN_FLIGHT) return 0;
    const service = this._serviceUs;
    const nap = Math.min(MAX_NAP_US, service * NAP_SHARE);
    // Responses come about inFlight / service a µs (Little's law): fewer than one a nap, and a turn mostly finds
    // nothing, so blocking on the sockets is cheaper.
    return nap < MIN_NAP_US || inFlight * nap < service ? 0 : nap;
  }

  /** A response came back after `serviceUs`; starts turns when they pay. Called once per response. */
  responded(serviceUs: number): void {
    this._serviceUs += (serviceUs - this._serviceUs) * SMOOTHING;
    // Counted with the request just answered (the closed model sends the next one right after).
    if (!this._armed && this.napUs(this._source.inFlight + 1) > 0) this._arm();
  }

  private _arm(): void {
    this._armed = true;
    setImmediate(this._turn);
  }

  private _run(): void {
    this._armed = false;
    const s = this._source;
    const nap = this.napUs(s.inFlight);
    if (!s.sending || nap === 0) return; // back to blocking on the sockets until a response re-arms
    if (s.bytesRead !== this._lastBytes) this._emptyTurns = 0;
    else if (++this._emptyTurns > MAX_EMPTY_TURNS) {
      this._emptyTurns = 0;
      return; // the target stalls: block on the sockets until a response re-arms
    } else this._nap(nap);
    this._lastBytes = s.bytesRead;
    this._arm();
  }
}
