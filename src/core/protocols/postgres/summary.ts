/** A call while its reply comes in, and the WireCall it becomes: request details and the result summary. */
import type { WireCall } from '../types';
import { formatError, type Column, type CommandTag, type ServerError } from './messages';

const MAX_TAGS = 50;
const MAX_NOTICES = 10;

export type TransactionState = 'idle' | 'in transaction' | 'failed transaction';

const TRANSACTION_STATES: Record<string, TransactionState> = { I: 'idle', T: 'in transaction', E: 'failed transaction' };

export function transactionState(status: string): TransactionState | undefined {
  return TRANSACTION_STATES[status];
}

export interface CopySummary {
  direction: 'in' | 'out';
  /** CopyData messages (one per row in text and CSV formats, as clients send them). */
  messages: number;
  bytes: number;
  failed?: boolean;
}

export class CallDraft {
  firstReplyAt: number | null = null;
  completedAt: number | null = null;
  columns?: Column[];
  /** DataRow messages. */
  rows = 0;
  tags: string[] = [];
  affected?: number;
  empty = false;
  suspended = false;
  copy?: CopySummary;
  notices: string[] = [];
  notifications = 0;
  transaction?: TransactionState;
  serverError: ServerError | null = null;
  /** Why the call has no reply (the connection closed, the server skipped it after an earlier error…). */
  failure: string | null = null;
  /** Extra summary fields (CONNECT: authentication, server version). */
  extra: Record<string, unknown> = {};
  /** Describe or Close alone: worth a call only when it failed. */
  onlyIfFailed = false;
  /** Messages of this call still waiting for their reply. */
  unanswered = 0;

  constructor(
    readonly startedAt: number,
    public method: string,
    public statement: string,
    public request?: Record<string, unknown>,
  ) {}

  replied(at: number): void {
    if (this.firstReplyAt === null) this.firstReplyAt = at;
  }

  complete(at: number): void {
    this.replied(at);
    if (this.completedAt === null) this.completedAt = at;
  }

  addTag(t: CommandTag): void {
    if (this.tags.length < MAX_TAGS) this.tags.push(t.tag);
    if (t.affected !== undefined) this.affected = (this.affected ?? 0) + t.affected;
  }

  addNotice(e: ServerError): void {
    if (this.notices.length < MAX_NOTICES) this.notices.push(formatError(e));
  }

  fail(e: ServerError, at: number): void {
    if (!this.serverError && !this.failure) this.serverError = e;
    this.complete(at);
  }

  get failed(): boolean {
    return this.serverError !== null || this.failure !== null;
  }

  /**
   * A key for the response when it is the common plain one (one tag, rows, the transaction state and the columns
   * the caller vouches for), else null: equal keys, equal JSON.
   */
  plainResponseKey(): string | null {
    if (this.tags.length !== 1 || this.affected !== undefined || this.empty || this.suspended || this.copy || this.notices.length || this.notifications || this.serverError) return null;
    for (const _ in this.extra) return null;
    return `${this.tags[0]}\0${this.rows}\0${this.transaction ?? ''}`;
  }

  toWireCall(): WireCall {
    const response: Record<string, unknown> = { ...this.extra };
    if (this.tags.length === 1) response.tag = this.tags[0];
    else if (this.tags.length > 1) response.tags = this.tags;
    if (this.columns) response.columns = this.columns;
    if (this.columns || this.rows > 0) response.rows = this.rows;
    if (this.affected !== undefined) response.rowsAffected = this.affected;
    if (this.empty) response.empty = true;
    if (this.suspended) response.suspended = true;
    if (this.copy) response.copy = this.copy;
    if (this.notices.length) response.notices = this.notices;
    if (this.notifications) response.notifications = this.notifications;
    if (this.serverError) response.error = this.serverError;
    if (this.transaction) response.transaction = this.transaction;
    const call: WireCall = {
      startedAt: this.startedAt,
      ttfbMs: this.firstReplyAt === null ? null : Math.max(0, this.firstReplyAt - this.startedAt),
      durationMs: this.completedAt === null ? null : Math.max(0, this.completedAt - this.startedAt),
      method: this.method,
      statement: this.statement,
      status: null,
      response,
      error: this.serverError ? formatError(this.serverError) : this.failure,
    };
    if (this.request) call.request = this.request;
    return call;
  }
}
