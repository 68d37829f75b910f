/**
 * The generator: connections that send the mix's requests, paced by the model. Closed: each of N connections sends
 * its next request as soon as the previous one answered. Open: arrivals are scheduled at the rate (to a fraction of
 * a millisecond) and each one's latency counts from its intended time, so a target that stalls shows its stall
 * (coordinated omission corrected); an arrival with no free connection waits in a queue, and the wait counts.
 */
import type { ErrorKind, LoadModel } from '../types';
import { Connection, type ConnectionOwner, type Endpoint } from './connection';
import type { PreparedMix } from './requests';
import type { RunStats } from './stats';
import { nowMs } from './clock';
import { Turns, type TurnsSource } from './turns';

export interface EngineOptions {
  endpoint: Endpoint;
  mix: PreparedMix;
  stats: RunStats;
  model: LoadModel;
  timeoutMs: number;
  maxRequests: number;
  /** The level (connections or requests/s) `ms` after the start. */
  levelAt: (ms: number) => number;
  /** Every request allowed was sent and answered (or failed). */
  onBoundReached: () => void;
  /** Nothing ever connected and connects keep failing: why ("target refused every connection"). */
  onCannotConnect: (reason: string) => void;
}

/** Failed connects (with no connect ever) per connection before the run gives up on the target. */
const CONNECT_FAILURES_TO_GIVE_UP = 5;
/** Open model: arrivals due within this much of now go out on this timer turn (timers fire to the millisecond). */
const LOOKAHEAD_MS = 1;

export class LoadEngine implements ConnectionOwner, TurnsSource {
  bytesRead = 0;
  private readonly _o: EngineOptions;
  private readonly _conns = new Set<Connection>();
  private readonly _idle: Connection[] = [];
  /** Open model: intended start times of arrivals waiting for a connection (a queue: `_pendingHead` is its front). */
  private _pending: number[] = [];
  private _pendingHead = 0;
  private _t0 = 0;
  private _scheduled = 0;
  private _inFlight = 0;
  /** Open model: arrivals still queued for a connection when sending stopped (never sent, not counted as errors). */
  unsent = 0;
  private _sending = false;
  private _destroyed = false;
  private _connects = 0;
  private _connectFailures = 0;
  private _cursor = 0;
  private _credit = 0;
  private _timer: NodeJS.Timeout | null = null;
  private _sweep: NodeJS.Timeout | null = null;
  private _levelTimer: NodeJS.Timeout | null = null;
  private _drained: (() => void) | null = null;
  private readonly _turns = new Turns(this);

  constructor(o: EngineOptions) {
    this._o = o;
  }

  get connections(): number {
    return this._conns.size;
  }

  get inFlight(): number {
    return this._inFlight;
  }

  get sending(): boolean {
    return this._sending && !this._destroyed;
  }

  /** Queued arrivals that never got a connection (open model). */
  get queued(): number {
    return this._pending.length - this._pendingHead;
  }

  start(t0: number): void {
    this._t0 = t0;
    this._sending = true;
    const sweepEvery = Math.min(250, Math.max(5, Math.floor(this._o.timeoutMs / 5)));
    this._sweep = setInterval(() => this._timeOutStuck(), sweepEvery);
    if (this._o.model.kind === 'closed') {
      this._applyConnections();
      this._levelTimer = setInterval(() => this._applyConnections(), 100);
    } else {
      this._cursor = t0;
      this._arrive();
    }
  }

  /** Stops sending; resolves once every request in flight answered or `graceMs` passed. */
  stopSending(graceMs: number): Promise<void> {
    this._sending = false;
    this._clearPacing();
    this.unsent += this._pending.length - this._pendingHead;
    this._pending = [];
    this._pendingHead = 0;
    if (this._inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this._drained = null;
        resolve();
      }, graceMs);
      this._drained = () => {
        clearTimeout(timer);
        this._drained = null;
        resolve();
      };
    });
  }

  /** The run is over: requests still unanswered count as timeouts (once: a late answer is then dropped). */
  abandonInFlight(): void {
    for (const c of this._conns) {
      if (!c.busy) continue;
      c.abandon();
      this._inFlight--;
      this._o.stats.onError(c.entry, 'timeout');
    }
  }

  /** Closes every socket at once. */
  destroy(): void {
    this._destroyed = true;
    this._sending = false;
    this._clearPacing();
    if (this._sweep) clearInterval(this._sweep);
    this._sweep = null;
    for (const c of this._conns) c.destroy();
    this._conns.clear();
    this._idle.length = 0;
    this._drained?.(); // a stopSending() still waiting ends now
  }

  // ConnectionOwner ---------------------------------------------------------------------------------------------

  responded(conn: Connection, status: number, body: Buffer | null): void {
    const { stats, mix } = this._o;
    this._inFlight--;
    const readAt = conn.readAt;
    const serviceUs = Math.round((readAt - conn.sentAt) * 1000);
    stats.onResponse(conn.entry, Math.round((readAt - conn.startedAt) * 1000), serviceUs, status);
    this._turns.responded(serviceUs);
    if (body) mix.harvest(conn.entry, status, body);
    this._next(conn);
  }

  failed(conn: Connection, kind: ErrorKind, neverConnected?: string): void {
    this._inFlight--;
    this._o.stats.onError(conn.entry, kind);
    if (neverConnected && this._connects === 0 && ++this._connectFailures >= CONNECT_FAILURES_TO_GIVE_UP * Math.max(1, this._conns.size)) {
      this._o.onCannotConnect(neverConnected === 'ECONNREFUSED' ? 'target refused every connection' : `no connection to the target could be made (${neverConnected})`);
    }
  }

  available(conn: Connection): void {
    this._next(conn);
  }

  connected(): void {
    this._connects++;
  }

  // Pacing ------------------------------------------------------------------------------------------------------

  private _next(conn: Connection): void {
    if (this._destroyed || conn.closed) return;
    if (conn.retire) {
      this._remove(conn);
    } else if (this._sending && this._o.model.kind === 'closed') {
      if (this._scheduled < this._o.maxRequests) {
        this._scheduled++;
        this._send(conn, Infinity);
      }
    } else if (this._sending && this._pendingHead < this._pending.length) {
      this._send(conn, this._pending[this._pendingHead++]);
      if (this._pendingHead > 4096 && this._pendingHead * 2 > this._pending.length) {
        this._pending = this._pending.slice(this._pendingHead);
        this._pendingHead = 0;
      }
    } else if (this._sending) {
      this._idle.push(conn);
    }
    this._checkDrained();
  }

  /**
   * Sends the next entry; latency counts from `intended`, or from the write when that is earlier (sent ahead of
   * time, or the closed model's Infinity).
   */
  private _send(conn: Connection, intended: number): void {
    const mix = this._o.mix;
    const entry = mix.pick();
    this._inFlight++;
    this._o.stats.onSent();
    conn.send(entry, mix.requestFor(entry), intended, mix.bodiless[entry], mix.keepBody[entry]);
  }

  private _checkDrained(): void {
    if (this._inFlight > 0) return;
    if (this._drained) this._drained();
    else if (this._sending && this._scheduled >= this._o.maxRequests && this.queued === 0) {
      this._sending = false;
      this._clearPacing();
      this._o.onBoundReached();
    }
  }

  /** Closed model: as many connections as the level says (extra ones close after their current response). */
  private _applyConnections(): void {
    if (!this._sending) return;
    const want = Math.max(1, Math.round(this._o.levelAt(nowMs() - this._t0)));
    let active = 0;
    for (const c of this._conns) if (!c.retire) active++;
    for (; active < want && this._scheduled < this._o.maxRequests; active++) {
      const conn = this._add();
      this._scheduled++;
      this._send(conn, Infinity);
    }
    if (active > want) {
      for (const c of this._conns) {
        if (active <= want) break;
        if (!c.retire) {
          c.retire = true;
          active--;
          if (!c.busy) this._remove(c);
        }
      }
    }
  }

  /**
   * Open model: every arrival due by the next timer turn (timers fire to the millisecond), at its own intended time;
   * then sleeps until the next one is due. An arrival sent before its intended time counts from its actual send.
   */
  private _arrive(): void {
    this._timer = null;
    if (!this._sending) return;
    const now = nowMs();
    const horizon = now + LOOKAHEAD_MS;
    const max = this._o.maxRequests;
    let t = this._cursor;
    let c = this._credit;
    while (t < horizon && this._scheduled < max) {
      const step = Math.min(1, horizon - t);
      const perMs = this._o.levelAt(t - this._t0) / 1000;
      if (!(perMs > 0)) {
        t += step;
        continue;
      }
      let left = step;
      while (c + perMs * left >= 1 && this._scheduled < max) {
        const need = (1 - c) / perMs;
        t += need;
        left -= need;
        c = 0;
        this._scheduled++;
        this._dispatch(t);
      }
      if (this._scheduled >= max) break;
      c += perMs * left;
      t += left;
    }
    this._cursor = t;
    this._credit = c;
    if (this._scheduled >= max) {
      this._checkDrained();
      return;
    }
    const perMs = this._o.levelAt(t - this._t0) / 1000;
    const wait = perMs > 0 ? t + (1 - c) / perMs - LOOKAHEAD_MS - nowMs() : 10;
    this._timer = setTimeout(() => this._arrive(), Math.max(1, Math.min(50, wait)));
  }

  private _dispatch(intended: number): void {
    let conn = this._idle.pop();
    while (conn && (conn.closed || conn.busy)) conn = this._idle.pop();
    if (!conn && this._conns.size < (this._o.model.kind === 'open' ? this._o.model.maxConnections : Infinity)) conn = this._add();
    if (conn) this._send(conn, intended);
    else this._pending.push(intended);
  }

  private _add(): Connection {
    const conn = new Connection(this._o.endpoint, this);
    this._conns.add(conn);
    return conn;
  }

  private _remove(conn: Connection): void {
    conn.destroy();
    this._conns.delete(conn);
  }

  /**
   * Requests past the timeout fail as timeouts, in flight (the socket is replaced) or still queued for a connection
   * (which also bounds the queue while the target stalls).
   */
  private _timeOutStuck(): void {
    const limit = nowMs() - this._o.timeoutMs;
    for (const c of this._conns) if (c.busy && c.sentAt < limit) c.timeOut();
    while (this._pendingHead < this._pending.length && this._pending[this._pendingHead] < limit) {
      this._pendingHead++;
      // Due, and waited its whole timeout for a connection: a request the target could not take, sent or not.
      this._o.stats.onSent();
      this._o.stats.onError(this._o.mix.pick(), 'timeout');
    }
    this._checkDrained();
  }

  private _clearPacing(): void {
    if (this._timer) clearTimeout(this._timer);
    if (this._levelTimer) clearInterval(this._levelTimer);
    this._timer = null;
    this._levelTimer = null;
  }
}
