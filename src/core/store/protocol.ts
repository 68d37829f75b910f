import type { CapturedMessage } from '../capture/types';
import type { ExchangeColumns } from './exchangeColumns';
import type { WireBatch } from '../protocols/wireRecord';
import type { NewSession } from './database';
import type { TrafficQuery } from './queries';
import type { PackedChunks } from '../protocols/rawChunks';
import type { DecodedCounts, WireStreamSpec } from './wireDecoding';

/** Messages between the proxy's thread (StoreWriter) and the store worker. */

export interface RedactionSpec {
  enabled: boolean;
  /** Extra field names to redact, added to the defaults. */
  extraFields: string[];
}

/** A body's bytes live in the batch's transferred buffer at [offset, offset + length). */
export interface PackedBody {
  offset: number;
  length: number;
  size: number;
  truncated: boolean;
  sha256?: string;
}

export type PackedMessage = Omit<CapturedMessage, 'data'> & { data: PackedBody | null };

export type ToWorker =
  /** lowPriority: the worker renices its thread to 19 (a capture of wire protocols only: see deferredDecoder.ts). */
  | { type: 'init'; file: string; redaction: RedactionSpec; snapshotMinMs: number; lowPriority?: boolean }
  | { type: 'session'; session: NewSession }
  /**
   * `wire`: wire calls as flat fields (see WireBatch); `at[i]` exchanges of this batch come before call i.
   * `bytes` is their share of the back-pressure count, given back in the ack.
   */
  | { type: 'batch'; exchanges: ExchangeColumns; messages: PackedMessage[]; buffer: ArrayBuffer; wire?: { batch: WireBatch; at: number[]; bytes: number } }
  /** A wire listener whose raw chunks this worker decodes (wireDecoding.ts). */
  | { type: 'wireStream'; stream: number; spec: WireStreamSpec }
  | ({ type: 'wireChunks'; stream: number } & PackedChunks)
  /** Answered once every chunk posted before it is decoded and stored. */
  | { type: 'wireDrain'; id: number }
  | { type: 'close'; dropped: number }
  /** A question from the editor about the database the worker holds (answered in order with the batches). */
  | { type: 'query'; id: number; query: TrafficQuery }
  | { type: 'delete'; id: number; ids: number[] };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'session'; id: number }
  | { type: 'ack'; exchanges: number; messages: number; bytes: number }
  /** A wireChunks message is decoded: `bytes` of raw chunks, and what they held. */
  | ({ type: 'wireAck'; stream: number; bytes: number } & DecodedCounts)
  | { type: 'closed'; exchanges: number; fileBytes: number }
  | { type: 'error'; message: string }
  | { type: 'answer'; id: number; ok: true; result: unknown }
  | { type: 'answer'; id: number; ok: false; error: string };
