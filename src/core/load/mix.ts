/**
 * The request mix drawn from captured traffic: one entry per distinct recorded request (up to a few per endpoint),
 * weighted by how often the endpoint was called, with the chained values learn found (a created id reused by a
 * later GET) pointing at the entry whose response produces them.
 */
import { InputError, UsageError } from '../errors';
import { learnWithFacts } from '../learn/learn';
import type { ChainUse, ExchangeFacts } from '../learn/model';
import { Bindings } from '../replay/bindings';
import { parseTarget } from '../replay/replay';
import { buildRequest, unreplayable } from '../replay/request';
import { Secrets } from '../replay/secrets';
import { exchangeView, type ExchangeView } from '../store/queries';
import { openForReading } from '../store/reader';
import type { MixEntry, RequestMix } from './types';

export interface MixOptions {
  /** The traffic database file. */
  database: string;
  sessionId?: number;
  /** Base URL the requests go to; its path is prefixed to the recorded paths. */
  target: string;
  /** Share of reads (0..1) from --read-write 0.8:0.2; absent keeps the recorded proportions. */
  readShare?: number;
  /** Distinct recorded requests kept per endpoint (default 3). */
  variants?: number;
  /** Where CHAOS_SECRET_* values come from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ONLY_ERRORS = 'exchanges of endpoints that only answered errors (4xx, 5xx) when recorded';

/** "0.8:0.2", "80:20", "4:1" → the read share (0.8). */
export function parseReadWrite(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  const [r, w] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || r + w <= 0) throw new InputError(`read-write '${text}' is not a ratio; write reads:writes, e.g. 0.8:0.2 or 80:20`);
  return r / (r + w);
}

interface Variant {
  ex: ExchangeView;
  facts: ExchangeFacts | undefined;
  count: number;
}

export async function buildMix(options: MixOptions): Promise<RequestMix> {
  const target = parseTarget(options.target);
  const prefix = target.pathname.replace(/\/$/, '');
  const keep = options.variants ?? 3;
  const db = await openForReading(options.database);
  const skipped: Record<string, number> = {};
  const skip = (why: string): void => void (skipped[why] = (skipped[why] ?? 0) + 1);
  const calls = new Map<string, number>(); // endpoint → recorded calls (the weight)
  const variants = new Map<string, Map<string, Variant>>(); // endpoint → request key → variant
  let model: ReturnType<typeof learnWithFacts>['model'];
  let factsById: Map<number, ExchangeFacts>;
  let exchanges = 0;
  try {
    if (options.sessionId !== undefined && !db.sessions().some((s) => s.id === options.sessionId)) {
      throw new UsageError(`${options.database} has no session ${options.sessionId}; 'chaos-testing list' shows the sessions`);
    }
    const learned = learnWithFacts(db, { sessionId: options.sessionId });
    model = learned.model;
    factsById = new Map(learned.facts.map((f) => [f.exchangeId, f]));
    for (const id of db.exchangeIds(options.sessionId)) {
      const detail = db.exchange(id);
      if (!detail) continue;
      exchanges++;
      const ex = exchangeView(detail);
      const why = unreplayable(ex);
      if (why) {
        skip(why);
        continue;
      }
      const facts = factsById.get(id);
      const endpoint = facts?.endpoint ?? `${ex.method} ${new URL(ex.url).pathname}`;
      calls.set(endpoint, (calls.get(endpoint) ?? 0) + 1);
      // Load measures capacity: a request that failed when recorded is counted in its endpoint's weight but not sent.
      if (ex.status! >= 400) continue;
      const key = `${ex.method} ${new URL(ex.url).pathname}${new URL(ex.url).search} ${ex.requestBody?.text ?? ''}`;
      const byKey = variants.get(endpoint) ?? new Map<string, Variant>();
      variants.set(endpoint, byKey);
      const seen = byKey.get(key);
      if (seen) seen.count++;
      else byKey.set(key, { ex, facts, count: 1 });
    }
  } finally {
    db.close();
  }
  for (const [endpoint, n] of calls) if (!variants.has(endpoint)) skipped[ONLY_ERRORS] = (skipped[ONLY_ERRORS] ?? 0) + n;
  if (variants.size === 0) {
    const reasons = Object.entries(skipped).map(([why, n]) => `${n} ${why}`).join(', ');
    throw new InputError(`${options.database} has no HTTP exchanges to draw a request mix from${reasons ? ` (skipped: ${reasons})` : ''}; capture some with 'chaos-testing observe', or load the target URL alone (--mix target)`);
  }

  const secrets = new Secrets(model.env, options.env ?? process.env);
  const none = new Bindings();
  const chosen: Array<{ endpoint: string; variant: Variant; weight: number }> = [];
  for (const [endpoint, byKey] of variants) {
    const top = [...byKey.values()].sort((a, b) => b.count - a.count).slice(0, keep);
    const seen = top.reduce((s, v) => s + v.count, 0);
    for (const v of top) chosen.push({ endpoint, variant: v, weight: (calls.get(endpoint)! * v.count) / seen });
  }
  const entries: MixEntry[] = chosen.map(({ endpoint, variant, weight }) => {
    const req = buildRequest(variant.ex, variant.facts, none, secrets);
    return { endpoint, method: req.method, pathAndQuery: `${prefix}${req.pathAndQuery}`, headers: req.headers, body: req.body, weight, write: WRITES.has(req.method.toUpperCase()) };
  });
  chosen.forEach(({ variant }, i) => chainEntry(entries, i, variant, chosen.map((c) => c.variant.ex.id), factsById));
  normalise(entries, options.readShare);

  const session = options.sessionId === undefined ? '' : `session ${options.sessionId}, `;
  const missing = secrets.missing.size ? `; redacted values sent as recorded, set ${[...secrets.missing].join(', ')} to send real ones` : '';
  return { entries, source: `traffic ${options.database} (${session}${exchanges} exchanges, ${variants.size} endpoints)${missing}`, skipped };
}

/** Fills `entries[i].chain` from the chained values learn found in its recorded request (JSON-pointer origins only). */
function chainEntry(entries: MixEntry[], i: number, variant: Variant, exchangeIds: number[], factsById: Map<number, ExchangeFacts>): void {
  const chain: NonNullable<MixEntry['chain']> = [];
  for (const use of variant.facts?.uses ?? []) {
    if (!use.origin.from.startsWith('/')) continue;
    const producer = producerOf(use, entries, exchangeIds, factsById);
    if (producer === undefined || producer === i) continue;
    // The generator's vocabulary (run.ts): 'path', 'query', 'body' (the recorded value replaced there) or 'header:NAME'.
    const kind = use.where.slice(0, use.where.indexOf(':'));
    chain.push({ where: kind === 'header' ? use.where : kind, producer, pointer: use.origin.from, recorded: use.value });
    // A redacted chained header was dropped by buildRequest (no CHAOS_SECRET_*): the chain fills it, so keep it.
    if (use.where.startsWith('header:')) restoreHeader(entries[i], use.where.slice('header:'.length), variant.ex);
  }
  if (chain.length) entries[i].chain = chain;
}

/** The entry that stands for the exchange whose response produced the value: that exchange's own, else its endpoint's. */
function producerOf(use: ChainUse, entries: MixEntry[], exchangeIds: number[], factsById: Map<number, ExchangeFacts>): number | undefined {
  const own = exchangeIds.indexOf(use.origin.exchangeId);
  if (own >= 0) return own;
  const endpoint = factsById.get(use.origin.exchangeId)?.endpoint;
  const same = entries.findIndex((e) => e.endpoint === endpoint);
  return same >= 0 ? same : undefined;
}

function restoreHeader(entry: MixEntry, name: string, ex: ExchangeView): void {
  const recorded = ex.requestHeaders.find(([n]) => n.toLowerCase() === name);
  if (!recorded) return;
  entry.headers = [...entry.headers.filter(([n]) => n.toLowerCase() !== name), recorded];
}

/** Weights become shares summing to 1; with a read share, reads and writes are each rescaled to theirs. */
function normalise(entries: MixEntry[], readShare: number | undefined): void {
  const sum = (write: boolean): number => entries.filter((e) => e.write === write).reduce((s, e) => s + e.weight, 0);
  const reads = sum(false);
  const writes = sum(true);
  if (readShare === undefined) {
    for (const e of entries) e.weight /= reads + writes;
    return;
  }
  if (readShare < 1 && writes === 0) throw new InputError(`the traffic has no writes (POST, PUT, PATCH, DELETE) to give a ${Math.round((1 - readShare) * 100)} % share; capture some, or drop --read-write`);
  if (readShare > 0 && reads === 0) throw new InputError(`the traffic has no reads (GET, HEAD, OPTIONS) to give a ${Math.round(readShare * 100)} % share; capture some, or drop --read-write`);
  for (const e of entries) e.weight = e.write ? (writes ? (e.weight / writes) * (1 - readShare) : 0) : reads ? (e.weight / reads) * readShare : 0;
}
