/**
 * One sequence's two sides, as fast-check's model-based testing wants them: the model (what the sequence created
 * and deleted, by value) and the real system (the backend, reached through a sender that records every step).
 */
import type * as http from 'node:http';
import type { HeaderPairs } from '../capture/types';
import type { Step as ModelStep } from '../learn/model';
import { sendRequest } from '../replay/resend';
import type { VariantKind } from './checks';
import type { Step } from './types';

export class SequenceModel {
  /** Producer key ("POST /api/items /id") → values its responses produced, in order. */
  readonly pools = new Map<string, string[]>();
  /** Values created (by a 2xx POST/PUT) in this sequence. */
  readonly created = new Set<string>();
  /** Values whose resource a 2xx DELETE removed. */
  readonly deleted = new Set<string>();
  /** Value → its variable name in a regression test (id1, token2: what it is and the step that made it). */
  readonly names = new Map<string, string>();

  produce(key: string, from: string, value: string, step: number, creates: boolean): void {
    const pool = this.pools.get(key) ?? [];
    if (!pool.includes(value)) pool.push(value);
    this.pools.set(key, pool);
    if (creates) this.created.add(value);
    this.deleted.delete(value);
    if (!this.names.has(value)) {
      const base = from === 'header:location' ? 'id' : from.slice(from.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9]+/g, '_') || 'value';
      this.names.set(value, `${base}${step}`);
    }
  }
}

/** A step as sent, with what a regression test needs: the request with variables, and what its response produced. */
export interface TraceEntry {
  step: Step;
  template: ModelStep;
  /** Variables this step's response produced, and where. */
  captures: Array<{ variable: string; from: string }>;
  variant: VariantKind;
  /** The response's media type. */
  contentType: string | null;
}

export interface Sender {
  send(base: URL, method: string, path: string, headers: HeaderPairs, body: unknown): Promise<{
    status: number | null;
    error?: string;
    headers: HeaderPairs;
    contentType: string | null;
    json: unknown;
    bodySize: number;
    latencyMs: number;
  }>;
}

/** Sends over a keep-alive agent; a failure is a result (status null), never a throw. */
export function httpSender(agent: http.Agent, timeoutMs: number, signal?: AbortSignal): Sender {
  return {
    async send(base, method, path, headers, body) {
      const url = new URL(`${base.origin}${base.pathname.replace(/\/$/, '')}${path}`);
      const payload = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
      const t0 = performance.now();
      try {
        const r = await sendRequest({ url, method, headers: [['host', url.host], ...headers.filter(([n]) => n.toLowerCase() !== 'host')], body: payload }, { timeoutMs, signal, agent });
        const ct = r.body.contentType?.split(';')[0].trim().toLowerCase() ?? null;
        let json: unknown;
        if (ct && /json/.test(ct) && r.body.text) {
          try {
            json = JSON.parse(r.body.text);
          } catch {
            json = undefined;
          }
        }
        return { status: r.status, headers: r.headers, contentType: ct, json, bodySize: r.body.size, latencyMs: r.durationMs };
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        return { status: null, error: `${err.code ?? 'error'}: ${err.message}`, headers: [], contentType: null, json: undefined, bodySize: 0, latencyMs: performance.now() - t0 };
      }
    },
  };
}
