/**
 * transaction_atomicity: PostgreSQL sits behind a fault proxy the invariant starts; while the service transfers
 * between rows, the connection is reset at a drawn statement (before the server runs it, or after, with its reply
 * lost). A conserved sum over the rows, read directly from the database (never through the proxy), must be the
 * same after every transfer as before the trial.
 *
 * Options: proxy ({listen, upstream}: the service reaches PostgreSQL at `listen`), database (postgres:// URL, direct),
 * sum (SQL giving one value, e.g. SELECT SUM(balance) FROM accounts), transfer (request with {from}, {to}, {amount}),
 * accounts (ids, default [1, 2]), maxTransfers (3), maxAmount (100), maxStatement (8), runs (20), timeLimitMs (60000).
 */
import fc from 'fast-check';
import { InputError } from '../../errors';
import type { Invariant, Step } from '../types';
import { connectSql } from './clients';
import { openFaultProxy, readProxySpec } from './faultProxy';
import { OptionReader, fillRequest, sameValue, type Obj } from './options';
import { actionStep, runScenarios, scenarioVerdict } from './scenarios';

export const NAME = 'transaction_atomicity';

export function transactionAtomicity(options: Obj): Invariant {
  const r = new OptionReader(`${NAME} options`, options);
  const proxy = readProxySpec(r);
  if (proxy.api) throw new InputError(`${NAME} options: resets mid-transaction need a proxy the invariant starts itself: give proxy.listen + proxy.upstream`);
  const database = r.string('database');
  const sumSql = r.string('sum');
  const transfer = r.request('transfer', 'POST');
  const accounts = Array.isArray(options.accounts) ? (options.accounts as unknown[]) : [1, 2];
  if (accounts.length < 2) throw new InputError(`${NAME} options: 'accounts' needs at least two ids to transfer between`);
  const maxTransfers = r.number('maxTransfers', 3, 1, 100);
  const maxAmount = r.number('maxAmount', 100, 1, 1e9);
  const maxStatement = r.number('maxStatement', 8, 1, 1000);
  const runs = r.number('runs', 20, 1, 10_000);
  const timeLimitMs = r.number('timeLimitMs', 60_000, 1, 3_600_000);
  const endpoint = `${transfer.method} ${transfer.path}`;

  const pair = fc.tuple(fc.nat({ max: accounts.length - 1 }), fc.nat({ max: accounts.length - 2 })).map(([a, b]) => ({ from: accounts[a], to: accounts[b >= a ? b + 1 : b] }));
  const arbitrary = fc.record({
    cut: fc.option(fc.record({ at: fc.integer({ min: 1, max: maxStatement }), when: fc.constantFrom('before' as const, 'after' as const) }), { nil: undefined }),
    transfers: fc.array(fc.record({ pair, amount: fc.integer({ min: 1, max: maxAmount }) }), { minLength: 1, maxLength: maxTransfers }),
  });

  return {
    name: NAME,
    description: `'${sumSql}' holds while ${endpoint} runs with PostgreSQL connections reset mid-transaction`,
    async run(ctx) {
      const db = await connectSql(database, `${NAME} database`);
      const sum = async (): Promise<unknown> => Object.values((await db.query(sumSql))[0] ?? {})[0];
      let fp;
      try {
        fp = await openFaultProxy(proxy, 'postgres');
        const faultProxy = fp;
        let cutsMade = 0;
        let transfers = 0;
        const result = await runScenarios({
          name: NAME, runs, timeLimitMs, seed: ctx.seed, path: ctx.path, signal: ctx.signal, arbitrary,
          trial: async ({ cut, transfers: list }) => {
            const baseline = await sum();
            const steps: Step[] = [];
            const fault = cut ? actionStep('FAULT', `reset ${cut.when} statement ${cut.at} on ${faultProxy.describe}`, 'armed') : undefined;
            if (fault) steps.push(fault);
            try {
              if (cut) faultProxy.armCut(cut.at, cut.when);
              for (const t of list) {
                const s = await ctx.send(fillRequest(transfer, { from: t.pair.from, to: t.pair.to, amount: t.amount }));
                delete (s as { json?: unknown }).json;
                steps.push(s);
                transfers++;
                const now = await sum();
                if (!sameValue(now, baseline)) {
                  if (fault) fault.outcome = faultProxy.disarmCut() ? 'the connection was reset there' : 'not reached';
                  steps.push(actionStep('SQL', sumSql, `${String(now)}, was ${String(baseline)} before`));
                  return { ok: false, message: `'${sumSql}' was ${String(baseline)} and became ${String(now)} after ${endpoint} answered ${s.status ?? 'no response'}${cut ? ` with the connection reset ${cut.when} statement ${cut.at}` : ''}`, steps };
                }
              }
            } finally {
              if (faultProxy.disarmCut()) cutsMade++;
            }
            return { ok: true, message: 'sum held', steps };
          },
        });
        return scenarioVerdict(NAME, result, `'${sumSql}' held over ${transfers} transfers in ${result.trials} trials, ${cutsMade} with a connection reset mid-way`, endpoint);
      } finally {
        await fp?.close();
        await db.close();
      }
    },
  };
}
