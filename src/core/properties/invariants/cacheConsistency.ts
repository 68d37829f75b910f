/**
 * cache_consistency: after a drawn sequence of reads and writes through the service, what it serves (through its
 * cache) equals the source of truth: a SQL query run directly against the database, or an endpoint that bypasses
 * the cache. Each trial works on a fresh resource (`create`) so one trial's stale cache cannot leak into the next.
 *
 * Options: read ({method, path with {id}}) and served (JSON pointer of the value, default ''), write (request with
 * {id} and {value}), create (request; its answer's `idPointer`, default /id, names the resource) or ids (fixed ids),
 * truth ({database, sql with $1 = id} or {request, pointer}), maxOps (4), settleMs (0), runs (30),
 * timeLimitMs (60000).
 */
import fc from 'fast-check';
import { InputError } from '../../errors';
import type { HttpExampleStep, Invariant, InvariantRequest, Step } from '../types';
import { connectSql, type SqlClient } from './clients';
import { exampleStep, expectedScalar } from './httpExample';
import { OptionReader, fillRequest, is2xx, pointer, sameValue, type Obj } from './options';
import { actionStep, runScenarios, scenarioVerdict, sleep } from './scenarios';

export const NAME = 'cache_consistency';

type Op = { kind: 'read' } | { kind: 'write'; value: number };

export function cacheConsistency(options: Obj): Invariant {
  const r = new OptionReader(`${NAME} options`, options);
  const read = r.request('read');
  const served = r.string('served', '');
  const write = r.request('write', 'PUT');
  const create = r.has('create') ? r.request('create', 'POST') : undefined;
  const idPointer = r.string('idPointer', '/id');
  const ids = Array.isArray(options.ids) ? (options.ids as unknown[]) : [];
  if (!create && !ids.length) throw new InputError(`${NAME} options: give 'create' (a request making a fresh resource per trial) or 'ids'`);
  const t = r.object('truth');
  const truthSql = t.has('sql') ? { database: t.string('database'), sql: t.string('sql') } : undefined;
  const truthRequest = truthSql ? undefined : t.request('request');
  const truthPointer = t.string('pointer', '');
  const maxOps = r.number('maxOps', 4, 1, 100);
  const settleMs = r.number('settleMs', 0, 0, 60_000);
  const runs = r.number('runs', 30, 1, 10_000);
  const timeLimitMs = r.number('timeLimitMs', 60_000, 1, 3_600_000);
  const endpoint = `${read.method} ${read.path}`;
  const op: fc.Arbitrary<Op> = fc.oneof(fc.constant({ kind: 'read' as const }), fc.record({ kind: fc.constant('write' as const), value: fc.integer({ min: 1, max: 1_000_000 }) }));
  const arbitrary = fc.record({ ops: fc.array(op, { minLength: 1, maxLength: maxOps }), id: fc.nat({ max: Math.max(0, ids.length - 1) }) });

  return {
    name: NAME,
    description: `${endpoint} serves what the source of truth holds after writes`,
    async run(ctx) {
      const db: SqlClient | undefined = truthSql ? await connectSql(truthSql.database, `${NAME} truth`) : undefined;
      const call = async (req: InvariantRequest, values: Record<string, unknown>): Promise<Step & { json?: unknown }> => ctx.send(fillRequest(req, values));
      const bare = (s: Step & { json?: unknown }): Step => {
        const { json: _json, ...step } = s;
        return step;
      };
      let checked = 0;
      try {
        const result = await runScenarios({
          name: NAME, runs, timeLimitMs, seed: ctx.seed, path: ctx.path, signal: ctx.signal, arbitrary,
          trial: async ({ ops, id: index }) => {
            let id = ids[index];
            // The same trial as HTTP from a fresh resource (the id captured from create), for its regression test.
            const example: HttpExampleStep[] = [];
            const captured = create ? ['id'] : [];
            if (create) {
              const made = await call(create, {});
              id = pointer(made.json, idPointer);
              if (!is2xx(made.status) || id === undefined) return { ok: true, skip: true, message: `${create.method} ${create.path} answered ${made.status}`, steps: [] };
              example.push(exampleStep(create, {}, [], made, { captures: [{ variable: 'id', from: idPointer }] }));
            }
            const steps: Step[] = [];
            for (const o of ops) {
              const [req, values] = o.kind === 'read' ? [read, { id }] : [write, { id, value: o.value }];
              const answer = await call(req, values);
              steps.push(bare(answer));
              if (answer.status !== null) example.push(exampleStep(req, values, captured, answer));
            }
            if (!ops.some((o) => o.kind === 'write')) return { ok: true, message: 'no write', steps };
            if (settleMs) await sleep(settleMs, ctx.signal);
            const shown = await call(read, { id });
            if (!is2xx(shown.status)) return { ok: true, skip: true, message: `${endpoint} answered ${shown.status}`, steps };
            const servedValue = pointer(shown.json, served);
            let truth: unknown;
            let truthStep: Step;
            if (db && truthSql) {
              truth = Object.values((await db.query(truthSql.sql, [id]))[0] ?? {})[0];
              truthStep = actionStep('SQL', truthSql.sql.replace('$1', String(id)), String(truth));
            } else {
              const s = await call(truthRequest!, { id });
              truth = pointer(s.json, truthPointer);
              truthStep = { ...bare(s), outcome: `${s.status ?? 'no response'}: ${JSON.stringify(truth)}` };
            }
            checked++;
            if (sameValue(servedValue, truth)) return { ok: true, message: 'consistent', steps };
            steps.push({ ...bare(shown), outcome: `${shown.status}: served ${JSON.stringify(servedValue)}, the source of truth has ${JSON.stringify(truth)} (${truthStep.method} ${truthStep.path})` });
            const expected = expectedScalar(truth, servedValue);
            // A regression test asserts the served value at a pointer; every request must have been answered.
            const httpExample = served !== '' && expected !== undefined && example.length === ops.length + (create ? 1 : 0)
              ? [...example, exampleStep(read, { id }, captured, shown, { values: [{ pointer: served, value: expected }] })]
              : undefined;
            return { ok: false, message: `${endpoint.replace('{id}', String(id))} served ${JSON.stringify(servedValue)} after the write; the source of truth has ${JSON.stringify(truth)}`, steps, ...(httpExample ? { httpExample } : {}) };
          },
        });
        return scenarioVerdict(NAME, result, `served value matched the source of truth in ${checked} checks over ${result.trials} trials`, endpoint);
      } finally {
        await db?.close();
      }
    },
  };
}
