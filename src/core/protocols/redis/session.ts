/**
 * One Redis connection as the parser follows it: commands queue in the order sent and take replies in the order
 * received (so a pipeline of N commands matches N replies), except for
 * - pub/sub: (P|S)SUBSCRIBE takes one confirmation per channel, UNSUBSCRIBE without channels one per current
 *   subscription; pushed messages (RESP2 arrays while subscribed, RESP3 pushes) become MESSAGE calls of their own;
 * - MULTI … EXEC: commands answered QUEUED wait for EXEC and are recorded with their result from EXEC's array and
 *   `transaction: n` in their request; EXEC's response lists the commands it ran;
 * - CLIENT REPLY OFF|SKIP: the commands redis does not answer are recorded at once, with `noResponse` as their
 *   response, and take no reply;
 * - RESP3 (after HELLO 3): only push frames are pub/sub messages; RESET goes back to RESP2 and drops subscriptions.
 * Past MAX_PENDING commands waiting for a reply (mass insertion), further plain commands are counted, not kept:
 * their replies are consumed in order and one PIPELINE call says how many were not recorded.
 */
import type { WireCall, WireParser, WireParserContext } from '../types';
import { RespError, RespReader, type RespValue } from './resp';
import { argText, argsJson, hideSecrets, kindOf, plain, replySummary, statementOf } from './summary';

const MAX_PENDING = 100_000;
/** Waiting entries past which commands that change how replies are counted stop the parser (with one note). */
const MAX_WAITING = 2 * MAX_PENDING;
const CLOSED = 'connection closed before the reply';
const SUBSCRIBE = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']);
const UNSUBSCRIBE = new Set(['UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE']);
const CONFIRMATIONS = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe']);
const MESSAGES = new Set(['message', 'pmessage', 'smessage']);

/** The bound on waiting commands: the parser stops with one note, not one false error per command. */
class TooManyWaiting extends RespError {}

interface Pending {
  name: string;
  args: string[];
  inline: boolean;
  startedAt: number;
  replyAt: number | null;
  transaction: number | null;
  /** Confirmations still expected by a (un)subscribe; -1: until no subscription of its kind is left. */
  expect: number;
  confirmations: number;
  /** Filled for a command queued in a transaction, from EXEC's array. */
  result?: RespValue;
}

/** Plain commands sent while too many were waiting: counted, their replies consumed in order, not recorded. */
interface Unrecorded {
  sent: number;
  /** Replies still expected. */
  unanswered: number;
  startedAt: number;
  errors: number;
  firstError: string | null;
}

type Waiting = Pending | Unrecorded;

const isUnrecorded = (w: Waiting | undefined): w is Unrecorded => w !== undefined && 'sent' in w;

/** Commands after which redis counts replies differently: never folded into an Unrecorded count. */
const SPECIAL = new Set(['MULTI', 'EXEC', 'DISCARD', 'CLIENT', 'HELLO', 'RESET', ...SUBSCRIBE, ...UNSUBSCRIBE]);

export class RedisSession implements WireParser {
  private readonly _client = new RespReader((v, at) => this._command(v, at), true);
  private readonly _server = new RespReader((v, at, end) => this._reply(v, at, end));
  private readonly _queue: Waiting[] = [];
  private _head = 0;
  /** Set at MAX_PENDING waiting entries, cleared at half: plain commands are counted, not kept. */
  private _overflowing = false;
  private _held: Pending[] = [];
  private _transaction = 0;
  private _inTransaction = false;
  /** Subscriptions by kind ('subscribe' channels, 'psubscribe' patterns, 'ssubscribe' shard channels). */
  private readonly _subscriptions = new Map<string, Set<string>>();
  /** HELLO 3 answered with a map: replies are RESP3, and only push frames are pub/sub messages. */
  private _resp3 = false;
  /** CLIENT REPLY state as redis keeps it: OFF, SKIP armed by the last command, SKIP for the current one. */
  private _repliesOff = false;
  private _skipNext = false;
  private _skipThis = false;
  private _stopped = false;

  constructor(private readonly _context: WireParserContext) {}

  client(chunk: Buffer): void {
    this._feed(this._client, chunk);
  }

  server(chunk: Buffer): void {
    this._feed(this._server, chunk);
  }

  end(): void {
    if (this._stopped) return;
    this._stopped = true;
    this._flushPending(CLOSED);
  }

  /** Bytes held between chunks, both directions (bounded by the reader's limits). */
  get buffered(): number {
    return this._client.buffered + this._server.buffered;
  }

  private _feed(reader: RespReader, chunk: Buffer): void {
    if (this._stopped) return;
    try {
      reader.push(chunk, this._context.now());
    } catch (e) {
      // Not RESP (or not a stream we can follow): stop here, quietly; the bytes keep flowing through the proxy.
      this._stopped = true;
      const reason = `not parsed further: ${e instanceof RespError ? e.message : String(e)}`;
      if (e instanceof TooManyWaiting) this._dropPending(reason);
      else this._flushPending(reason);
    }
  }

  private _command(v: RespValue, startedAt: number): void {
    if (v.type !== 'array' || !v.items.length) throw new RespError(`a client sent a ${v.type}, not a command`);
    const name = argText(v.items[0]).toUpperCase();
    const args = hideSecrets(name, v.items.slice(1).map(argText));
    if (v.count > v.items.length) args.push(`… ${v.count - v.items.length} more arguments`);
    const silencedBy = this._replyMode(name, args);
    let transaction: number | null = null;
    if (name === 'RESET') this._inTransaction = false; // RESET is never queued; it discards the transaction
    if (name === 'MULTI') {
      this._inTransaction = true;
      transaction = ++this._transaction;
    } else if (this._inTransaction) {
      transaction = this._transaction;
      if (name === 'EXEC' || name === 'DISCARD') this._inTransaction = false;
    }
    let expect = 1;
    if (SUBSCRIBE.has(name)) expect = Math.max(1, args.length);
    else if (UNSUBSCRIBE.has(name)) expect = args.length || -1;
    const p: Pending = { name, args, inline: v.inline === true, startedAt, replyAt: null, transaction, expect, confirmations: 0 };
    if (silencedBy) return this._unanswered(p, silencedBy);
    const waiting = this._queue.length - this._head;
    if (waiting >= MAX_PENDING) this._overflowing = true;
    else if (waiting <= MAX_PENDING / 2) this._overflowing = false;
    if (this._overflowing && transaction === null && !SPECIAL.has(name)) return this._countUnrecorded(startedAt);
    if (waiting >= MAX_WAITING) throw new TooManyWaiting(`more than ${MAX_WAITING.toLocaleString('en-US')} commands without a reply`);
    this._queue.push(p);
  }

  /**
   * Applies CLIENT REPLY ON|OFF|SKIP and RESET to the reply mode as redis does (ON and RESET clear OFF; SKIP
   * silences the next command, unless replies are off) and says why this command gets no reply, if it gets none.
   */
  private _replyMode(name: string, args: string[]): string | null {
    const skipped = this._skipThis;
    this._skipThis = false;
    const word = (args[0] ?? '').toUpperCase() === 'REPLY' && args.length === 2 ? args[1].toUpperCase() : '';
    // Queued in a transaction, CLIENT REPLY only acts when EXEC runs it: not followed here.
    const mode = name === 'CLIENT' && !this._inTransaction ? word : '';
    if (mode === 'ON') {
      this._repliesOff = false;
      return null; // ON also cancels a SKIP, and answers OK
    }
    if (mode === 'OFF') this._repliesOff = true;
    if (mode === 'SKIP' && !this._repliesOff) this._skipThis = true;
    if (name === 'RESET') {
      this._repliesOff = false;
      if (skipped) this._reset(); // its +RESET will not come
    }
    if (this._repliesOff) return 'CLIENT REPLY OFF';
    return skipped || mode === 'SKIP' ? 'CLIENT REPLY SKIP' : null;
  }

  /** A command redis does not answer (CLIENT REPLY OFF|SKIP): recorded at once, or held for its EXEC. */
  private _unanswered(p: Pending, reason: string): void {
    if (p.transaction !== null && p.name !== 'MULTI' && p.name !== 'EXEC' && p.name !== 'DISCARD') {
      this._held.push(p); // its result still comes in EXEC's array
      return;
    }
    const now = this._context.now();
    const response: Record<string, unknown> = { noResponse: reason };
    if (p.name === 'EXEC' || p.name === 'DISCARD') {
      this._settleTransaction(p, null, now);
      response.commands = this._lastSettled;
    }
    if (SUBSCRIBE.has(p.name) || UNSUBSCRIBE.has(p.name)) this._trackUnanswered(p);
    this._emit(this._call(p, response, null, now));
  }

  /** (UN)SUBSCRIBE with no confirmations to follow: the channels change all the same. */
  private _trackUnanswered(p: Pending): void {
    const key = p.name.toLowerCase().replace('un', '');
    let set = this._subscriptions.get(key);
    if (!set) this._subscriptions.set(key, (set = new Set()));
    if (SUBSCRIBE.has(p.name)) for (const a of p.args) if (set.size < 10_000) set.add(a);
    if (UNSUBSCRIBE.has(p.name)) {
      if (!p.args.length) set.clear();
      for (const a of p.args) set.delete(a);
    }
  }

  private _countUnrecorded(startedAt: number): void {
    const tail = this._queue[this._queue.length - 1];
    if (isUnrecorded(tail) && this._queue.length > this._head) {
      tail.sent++;
      tail.unanswered++;
    } else this._queue.push({ sent: 1, unanswered: 1, startedAt, errors: 0, firstError: null });
  }

  /** RESET: back to RESP2, no subscriptions, no transaction (its queued commands are discarded). */
  private _reset(): void {
    this._resp3 = false;
    this._subscriptions.clear();
    this._inTransaction = false;
    for (const h of this._held) this._emit(this._call(h, { queued: true, result: { discarded: true } }, 'transaction discarded by RESET', this._context.now()));
    this._held = [];
  }

  private _reply(v: RespValue, startedAt: number, endedAt: number): void {
    const kind = kindOf(v);
    // RESP2 has no push type: a subscribed connection's messages are arrays. In RESP3 they are always pushes.
    const subscribed = v.type === 'push' || (v.type === 'array' && !this._resp3 && this._subscribedCount() > 0);
    if (subscribed && MESSAGES.has(kind)) return this._message(v, kind, startedAt, endedAt);
    const next = this._head < this._queue.length ? this._queue[this._head] : undefined;
    if (isUnrecorded(next) && v.type !== 'push') return this._consumeUnrecorded(next, v, endedAt);
    const head = isUnrecorded(next) ? undefined : next;
    if (CONFIRMATIONS.has(kind) && (v.type === 'push' || (head && (SUBSCRIBE.has(head.name) || UNSUBSCRIBE.has(head.name))))) {
      this._track(kind, v);
      if (!head || !(SUBSCRIBE.has(head.name) || UNSUBSCRIBE.has(head.name))) return;
      head.replyAt ??= startedAt;
      head.confirmations++;
      const done = head.expect === -1 ? this._kindCount(kind) === 0 : head.confirmations >= head.expect;
      if (done) this._complete(this._shift(), { type: 'integer', value: this._subscribedCount() }, endedAt);
      return;
    }
    if (v.type === 'push') return this._emit({ startedAt, ttfbMs: 0, durationMs: endedAt - startedAt, method: 'PUSH', statement: statementOf('PUSH', [kind]), status: null, request: {}, response: replySummary(v), error: null });
    if (!head) return; // a reply to something we did not see as a command: nothing to match it with
    head.replyAt ??= startedAt;
    this._complete(this._shift(), v, endedAt);
  }

  private _consumeUnrecorded(u: Unrecorded, v: RespValue, endedAt: number): void {
    if (v.type === 'error') {
      u.errors++;
      u.firstError ??= v.value;
    }
    if (--u.unanswered > 0) return;
    this._head++;
    this._emit(this._unrecordedCall(u, endedAt, null));
  }

  /** One call for a run of commands that were counted, not kept. */
  private _unrecordedCall(u: Unrecorded, endedAt: number | null, error: string | null): WireCall {
    const count = (n: number): string => n.toLocaleString('en-US');
    const failed = u.errors ? `${count(u.errors)} of them answered with an error, the first: ${u.firstError}` : null;
    return {
      startedAt: u.startedAt,
      ttfbMs: null,
      durationMs: endedAt === null ? null : endedAt - u.startedAt,
      method: 'PIPELINE',
      statement: `${count(u.sent)} commands not recorded: more than ${count(MAX_PENDING)} were waiting for a reply`,
      status: null,
      request: { commands: u.sent },
      response: { replies: u.sent - u.unanswered, errors: u.errors },
      error: error ?? failed,
    };
  }

  private _shift(): Pending {
    const p = this._queue[this._head++] as Pending;
    if (this._head > 1024 && this._head * 2 > this._queue.length) {
      this._queue.splice(0, this._head);
      this._head = 0;
    }
    return p;
  }

  private _complete(p: Pending, reply: RespValue, endedAt: number): void {
    if (p.transaction !== null && p.name !== 'MULTI' && p.name !== 'EXEC' && p.name !== 'DISCARD' && reply.type === 'simple' && reply.value === 'QUEUED') {
      this._held.push(p);
      return;
    }
    if (p.name === 'EXEC' || p.name === 'DISCARD') this._settleTransaction(p, reply, endedAt);
    if (p.name === 'HELLO' && reply.type !== 'error') this._resp3 = reply.type === 'map';
    if (p.name === 'RESET' && reply.type === 'simple') this._reset();
    const response = replySummary(reply);
    if (p.name === 'EXEC') response.commands = this._lastSettled;
    this._emit(this._call(p, response, reply.type === 'error' ? reply.value : null, endedAt));
  }

  private _lastSettled: string[] = [];

  /** Records the held commands of a transaction with what EXEC (or DISCARD) made of them (null: not answered). */
  private _settleTransaction(p: Pending, reply: RespValue | null, endedAt: number): void {
    const held = this._held.filter((h) => h.transaction === p.transaction);
    this._held = this._held.filter((h) => h.transaction !== p.transaction);
    this._lastSettled = held.map((h) => h.name);
    held.forEach((h, i) => {
      let error: string | null = null;
      let result: unknown;
      if (p.name === 'DISCARD') result = { discarded: true };
      else if (reply === null) result = { noResponse: 'CLIENT REPLY' };
      else if (reply.type === 'array' && i < reply.items.length) {
        const r = reply.items[i];
        result = replySummary(r);
        if (r.type === 'error') error = r.value;
      } else if (reply.type === 'error') error = `transaction discarded: ${reply.value}`;
      else if (reply.type === 'null' || (reply.type === 'bulk' && reply.value === null)) error = 'transaction aborted: a WATCHed key changed';
      this._emit(this._call(h, { queued: true, result }, error, endedAt));
    });
  }

  private _message(v: RespValue, kind: string, startedAt: number, endedAt: number): void {
    if (v.type !== 'array' && v.type !== 'push') return;
    const parts = v.items.map(argText);
    const pattern = kind === 'pmessage' ? parts[1] : undefined;
    const channel = kind === 'pmessage' ? parts[2] : parts[1];
    const payload = v.items[kind === 'pmessage' ? 3 : 2];
    this._emit({
      startedAt,
      ttfbMs: 0,
      durationMs: endedAt - startedAt,
      method: 'MESSAGE',
      statement: statementOf('MESSAGE', [channel ?? '', payload ? argText(payload) : '']),
      status: null,
      request: pattern === undefined ? { channel, kind } : { channel, pattern, kind },
      response: { type: v.type, value: payload ? plain(payload) : null },
      error: null,
    });
  }

  private _track(kind: string, v: RespValue): void {
    if (v.type !== 'array' && v.type !== 'push') return;
    const subscribe = !kind.includes('unsub');
    const key = kind.replace('un', '');
    let set = this._subscriptions.get(key);
    if (!set) this._subscriptions.set(key, (set = new Set()));
    const name = v.items[1];
    if (!name || (name.type === 'bulk' && name.value === null)) return;
    if (subscribe) {
      if (set.size < 10_000) set.add(argText(name));
    } else set.delete(argText(name));
  }

  private _kindCount(kind: string): number {
    return this._subscriptions.get(kind.replace('un', ''))?.size ?? 0;
  }

  private _subscribedCount(): number {
    let n = 0;
    for (const s of this._subscriptions.values()) n += s.size;
    return n;
  }

  private _call(p: Pending, response: unknown, error: string | null, endedAt: number | null): WireCall {
    const request: Record<string, unknown> = { args: argsJson(p.args) };
    if (p.transaction !== null) request.transaction = p.transaction;
    if (p.inline) request.inline = true;
    return {
      startedAt: p.startedAt,
      ttfbMs: p.replyAt === null ? null : p.replyAt - p.startedAt,
      durationMs: endedAt === null ? null : endedAt - p.startedAt,
      method: p.name,
      statement: statementOf(p.name, p.args),
      status: null,
      request,
      response,
      error,
    };
  }

  private _flushPending(error: string): void {
    const waiting = [...this._held, ...this._queue.slice(this._head)];
    this._held = [];
    this._queue.length = 0;
    this._head = 0;
    for (const w of waiting.sort((a, b) => a.startedAt - b.startedAt)) {
      this._emit(isUnrecorded(w) ? this._unrecordedCall(w, null, `${error} (${w.unanswered.toLocaleString('en-US')} replies not seen)`) : this._call(w, undefined, error, null));
    }
  }

  /** Past the bound, the waiting commands most likely did get replies: one note says they were not recorded. */
  private _dropPending(reason: string): void {
    let commands = this._held.length;
    for (let i = this._head; i < this._queue.length; i++) {
      const w = this._queue[i];
      commands += isUnrecorded(w) ? w.unanswered : 1;
    }
    const startedAt = this._head < this._queue.length ? this._queue[this._head].startedAt : this._context.now();
    this._held = [];
    this._queue.length = 0;
    this._head = 0;
    const statement = `${commands.toLocaleString('en-US')} commands waiting for a reply not recorded`;
    this._emit({ startedAt, ttfbMs: null, durationMs: null, method: 'PARSER', statement, status: null, request: { commands }, error: reason });
  }

  private _emit(call: WireCall): void {
    this._context.emit(call);
  }
}
