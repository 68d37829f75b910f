/**
 * One Redis connection as the parser follows it: commands queue in the order sent and take replies in the order
 * received (so a pipeline of N commands matches N replies), except for
 * - pub/sub: (P|S)SUBSCRIBE takes one confirmation per channel, UNSUBSCRIBE without channels one per current
 *   subscription; pushed messages (RESP2 arrays while subscribed, RESP3 pushes) become MESSAGE calls of their own;
 * - MULTI … EXEC: commands answered QUEUED wait for EXEC and are recorded with their result from EXEC's array and
 *   `transaction: n` in their request; EXEC's response lists the commands it ran.
 */
import type { WireCall, WireParser, WireParserContext } from '../types';
import { RespError, RespReader, type RespValue } from './resp';
import { argText, argsJson, hideSecrets, kindOf, plain, replySummary, statementOf } from './summary';

const MAX_PENDING = 100_000;
const CLOSED = 'connection closed before the reply';
const SUBSCRIBE = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']);
const UNSUBSCRIBE = new Set(['UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE']);
const CONFIRMATIONS = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe']);
const MESSAGES = new Set(['message', 'pmessage', 'smessage']);

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

export class RedisSession implements WireParser {
  private readonly _client = new RespReader((v, at) => this._command(v, at), true);
  private readonly _server = new RespReader((v, at, end) => this._reply(v, at, end));
  private readonly _queue: Pending[] = [];
  private _head = 0;
  private _held: Pending[] = [];
  private _transaction = 0;
  private _inTransaction = false;
  /** Subscriptions by kind ('subscribe' channels, 'psubscribe' patterns, 'ssubscribe' shard channels). */
  private readonly _subscriptions = new Map<string, Set<string>>();
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
      this._flushPending(`not parsed further: ${e instanceof RespError ? e.message : String(e)}`);
    }
  }

  private _command(v: RespValue, startedAt: number): void {
    if (v.type !== 'array' || !v.items.length) throw new RespError(`a client sent a ${v.type}, not a command`);
    const name = argText(v.items[0]).toUpperCase();
    const args = hideSecrets(name, v.items.slice(1).map(argText));
    if (v.count > v.items.length) args.push(`… ${v.count - v.items.length} more arguments`);
    let transaction: number | null = null;
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
    if (this._queue.length - this._head >= MAX_PENDING) throw new RespError(`more than ${MAX_PENDING} commands without a reply`);
    this._queue.push({ name, args, inline: v.inline === true, startedAt, replyAt: null, transaction, expect, confirmations: 0 });
  }

  private _reply(v: RespValue, startedAt: number, endedAt: number): void {
    const kind = kindOf(v);
    const subscribed = v.type === 'push' || (v.type === 'array' && this._subscribedCount() > 0);
    if (subscribed && MESSAGES.has(kind)) return this._message(v, kind, startedAt, endedAt);
    const head = this._head < this._queue.length ? this._queue[this._head] : undefined;
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

  private _shift(): Pending {
    const p = this._queue[this._head++];
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
    const response = replySummary(reply);
    if (p.name === 'EXEC') response.commands = this._lastSettled;
    this._emit(this._call(p, response, reply.type === 'error' ? reply.value : null, endedAt));
  }

  private _lastSettled: string[] = [];

  /** Records the held commands of a transaction with what EXEC (or DISCARD) made of them. */
  private _settleTransaction(p: Pending, reply: RespValue, endedAt: number): void {
    const held = this._held.filter((h) => h.transaction === p.transaction);
    this._held = this._held.filter((h) => h.transaction !== p.transaction);
    this._lastSettled = held.map((h) => h.name);
    held.forEach((h, i) => {
      let error: string | null = null;
      let result: unknown;
      if (p.name === 'DISCARD') result = { discarded: true };
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
    for (const p of waiting.sort((a, b) => a.startedAt - b.startedAt)) this._emit(this._call(p, undefined, error, null));
  }

  private _emit(call: WireCall): void {
    this._context.emit(call);
  }
}
