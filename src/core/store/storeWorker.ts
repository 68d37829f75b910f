/**
 * The store worker: owns the sql.js database while a capture runs. The proxy's thread only enqueues; here each
 * batch is decoded, redacted, hashed, journaled and inserted, and the file is snapshotted atomically on a
 * debounce that grows with the cost of a snapshot (the journal covers the gap).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { Redactor, defaultRedaction } from '../capture/redact';
import type { CapturedMessage } from '../capture/types';
import { describeError, isChaosError } from '../errors';
import { ensureParentDir, removeStaleTempFiles } from './atomicWrite';
import { TrafficDb } from './database';
import { JournalWriter, journalPath, type JournalOpBody } from './journal';
import { acquireLock, releaseLock } from './lock';
import { linkChanges } from './link';
import { expandRepeats, WireBatchBuilder } from '../protocols/wireRecord';
import { loadProtocol } from '../protocols/registry';
import { WireStreamDecoder } from './wireDecoding';
import { WireInflow } from './wireInflow';
import { prepareExchange, prepareMessage, prepareWireCall, type PreparedExchange } from './prepare';
import { unpackExchanges } from './exchangeColumns';
import type { FromWorker, ToWorker } from './protocol';
import { answer } from './queries';

if (!parentPort) throw new Error('storeWorker must run in a worker thread');
const port = parentPort;

let db: TrafficDb;
let journal: JournalWriter;
let redactor: Redactor;
let file: string;
let lsn = 0;
let sessionId = 0;
let dirty = false;
let lastSnapshotAt = 0;
let lastSnapshotMs = 0;
let snapshotMinMs = 5000;
let exchangesStored = 0;
let timer: NodeJS.Timeout | undefined;
let lastCommitAt = 0;
const wireStreams = new Map<number, WireStreamDecoder>();
const wireBuilder = new WireBatchBuilder();
const inflow = new WireInflow<Extract<ToWorker, { type: 'wireChunks' }>>();
const HOLD_CHECK_MS = 20;
let holdTimer: NodeJS.Timeout | undefined;
/** How long the worker keeps its SQLite transaction open across batches (see TrafficDb.holdTransaction). */
const COMMIT_MS = 1000;

function send(msg: FromWorker): void {
  port.postMessage(msg);
}

function record(op: JournalOpBody): void {
  const full = { ...op, lsn: ++lsn } as Parameters<TrafficDb['apply']>[0];
  journal.append(full);
  db.apply(full);
  dirty = true;
}

function snapshot(): void {
  const t0 = performance.now();
  db.save(); // commits the held transaction first
  db.holdTransaction();
  lastCommitAt = Date.now();
  journal.reset();
  lastSnapshotMs = performance.now() - t0;
  lastSnapshotAt = Date.now();
  dirty = false;
}

/** Snapshot cost grows with the database; keep it under ~5% of the worker's time. */
function maybeSnapshot(): void {
  if (!dirty) return;
  if (Date.now() - lastCommitAt >= COMMIT_MS) {
    db.commit();
    db.holdTransaction();
    lastCommitAt = Date.now();
  }
  const interval = Math.max(snapshotMinMs, lastSnapshotMs * 20);
  if (Date.now() - lastSnapshotAt >= interval) snapshot();
}

type WireChunks = Extract<ToWorker, { type: 'wireChunks' }>;

function decodeChunks(msg: WireChunks): void {
  const counts = wireStreams.get(msg.stream)!.decode(msg, wireBuilder);
  const batch = wireBuilder.take();
  if (batch.count) {
    expandRepeats(batch);
    const rows: PreparedExchange[] = [];
    for (let i = 0; i < batch.count; i++) rows.push(prepareWireCall(batch, i, redactor));
    record({ op: 'exchangeRows', ...db.exchangeRows(sessionId, rows) });
    exchangesStored += rows.length;
  }
  send({ type: 'wireAck', stream: msg.stream, bytes: msg.bytes.byteLength, ...counts });
  maybeSnapshot();
}

/** While chunks are held (heavy wire traffic), a slice is decoded in turn with the other messages once it calms. */
function decodeWhenCalm(): void {
  chain = chain.then(() => {
    for (const m of inflow.due(performance.now())) decodeChunks(m);
    if (!inflow.holding && holdTimer) {
      clearInterval(holdTimer);
      holdTimer = undefined;
    }
  }).catch(failed);
}

/** Linux lets a thread renice itself by its own id; elsewhere (or if refused) the worker keeps its priority. */
function lowerPriority(): void {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) os.setPriority(tid, 19);
  } catch {
    // best effort
  }
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init': {
      file = path.resolve(msg.file);
      snapshotMinMs = msg.snapshotMinMs;
      if (msg.lowPriority) lowerPriority();
      ensureParentDir(file);
      acquireLock(file);
      removeStaleTempFiles(file);
      try {
        db = await TrafficDb.open(file, { create: true });
        lsn = db.appliedLsn;
        journal = new JournalWriter(journalPath(file));
        // Persist what a crashed writer left in the journal (and create the file), before capturing anything.
        snapshot();
      } catch (e) {
        releaseLock(file);
        throw e;
      }
      const options = defaultRedaction(msg.redaction.extraFields);
      options.enabled = msg.redaction.enabled;
      redactor = new Redactor(options, db.salt);
      timer = setInterval(() => {
        try {
          maybeSnapshot();
        } catch (e) {
          send({ type: 'error', message: describeError(e) });
        }
      }, 250);
      send({ type: 'ready' });
      return;
    }
    case 'session': {
      sessionId = db.nextSessionId();
      record({ op: 'session', id: sessionId, session: msg.session });
      snapshot();
      send({ type: 'session', id: sessionId });
      return;
    }
    case 'batch': {
      let bytes = msg.wire?.bytes ?? 0;
      const wire = msg.wire;
      const wireCount = wire?.at.length ?? 0;
      if (wire) expandRepeats(wire.batch);
      const exchangeCount = msg.exchanges.count + wireCount;
      if (exchangeCount) {
        const rows: PreparedExchange[] = [];
        const unpacked = unpackExchanges(msg.exchanges, msg.buffer);
        const exchanges = unpacked.exchanges;
        bytes += unpacked.bytes;
        // Wire calls go back between the exchanges where they were queued: rows are stored in arrival order.
        let w = 0;
        for (let i = 0; i <= exchanges.length; i++) {
          for (; w < wireCount && wire!.at[w] === i; w++) rows.push(prepareWireCall(wire!.batch, w, redactor));
          if (i < exchanges.length) rows.push(prepareExchange(exchanges[i], redactor));
        }
        record({ op: 'exchangeRows', ...db.exchangeRows(sessionId, rows) });
        exchangesStored += rows.length;
      }
      if (msg.messages.length) {
        const rows = msg.messages.map((p) => {
          const data = p.data ? new Uint8Array(msg.buffer, p.data.offset, p.data.length) : null;
          bytes += p.data?.length ?? 0;
          const m: CapturedMessage = { ...p, data };
          return prepareMessage(m, redactor);
        });
        record({ op: 'messages', sessionId, rows });
      }
      send({ type: 'ack', exchanges: exchangeCount, messages: msg.messages.length, bytes });
      maybeSnapshot();
      return;
    }
    case 'wireStream': {
      wireStreams.set(msg.stream, new WireStreamDecoder(await loadProtocol(msg.spec.protocol), msg.spec));
      return;
    }
    case 'wireChunks': {
      for (const m of inflow.arrive(msg, msg.bytes.byteLength, performance.now())) decodeChunks(m);
      if (inflow.holding) holdTimer ??= setInterval(decodeWhenCalm, HOLD_CHECK_MS);
      return;
    }
    case 'wireDrain': {
      for (const m of inflow.takeAll()) decodeChunks(m);
      send({ type: 'answer', id: msg.id, ok: true, result: null });
      return;
    }
    case 'query': {
      try {
        send({ type: 'answer', id: msg.id, ok: true, result: answer(db, msg.query) });
      } catch (e) {
        send({ type: 'answer', id: msg.id, ok: false, error: describeError(e) });
      }
      return;
    }
    case 'delete': {
      record({ op: 'delete', ids: msg.ids });
      snapshot();
      send({ type: 'answer', id: msg.id, ok: true, result: msg.ids.length });
      return;
    }
    case 'close': {
      if (timer) clearInterval(timer);
      for (const m of inflow.takeAll()) decodeChunks(m);
      if (holdTimer) clearInterval(holdTimer);
      // Database calls made while an HTTP request was in flight get their parent, in the file for every reader.
      const links = linkChanges(db).changes;
      if (links.length) record({ op: 'link', links });
      if (sessionId) record({ op: 'finish', sessionId, stoppedAt: Date.now(), dropped: msg.dropped });
      snapshot();
      journal.close(true);
      db.close();
      releaseLock(file);
      send({ type: 'closed', exchanges: exchangesStored, fileBytes: fs.statSync(file).size });
      return;
    }
  }
}

// Messages are handled strictly in order: a batch must not overtake the session that owns it.
let chain = Promise.resolve();
function failed(e: unknown): void {
  send({ type: 'error', message: isChaosError(e) ? e.message : `store worker: ${describeError(e)}` });
}
port.on('message', (msg: ToWorker) => {
  chain = chain.then(() => handle(msg)).catch(failed);
});
