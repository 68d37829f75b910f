/**
 * queue_message_preservation: messages sent through the service into a Redis list or stream are all delivered
 * while the service's Redis connection is reset (through a fault proxy the invariant starts) at a drawn command,
 * before Redis runs it or after (its reply lost). Every message the service accepted (2xx) must be in the key, read
 * directly from Redis; duplicates are counted and reported, not failed.
 *
 * Options: proxy ({listen, upstream}: the service reaches Redis at `listen`), redis (redis:// URL, direct), key (the
 * list or stream), send (request with {message}: a unique id the stored item must contain), maxMessages (5),
 * maxCommand (8), settleMs (2000: how long delivery may lag the answer), runs (20), timeLimitMs (60000).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { InputError } from '../../errors';
import type { Invariant, Step } from '../types';
import { connectRedis } from './clients';
import { openFaultProxy, readProxySpec } from './faultProxy';
import { OptionReader, fillRequest, is2xx, type Obj } from './options';
import { actionStep, runScenarios, scenarioVerdict, sleep } from './scenarios';

export const NAME = 'queue_message_preservation';
const POLL_MS = 50;

export function queueMessagePreservation(options: Obj): Invariant {
  const r = new OptionReader(`${NAME} options`, options);
  const proxy = readProxySpec(r);
  if (proxy.api) throw new InputError(`${NAME} options: resets at a chosen command need a proxy the invariant starts itself: give proxy.listen + proxy.upstream`);
  const redisUrl = r.string('redis');
  const key = r.string('key');
  const send = r.request('send', 'POST');
  const maxMessages = r.number('maxMessages', 5, 1, 1000);
  const maxCommand = r.number('maxCommand', 8, 1, 1000);
  const settleMs = r.number('settleMs', 2_000, 0, 600_000);
  const runs = r.number('runs', 20, 1, 10_000);
  const timeLimitMs = r.number('timeLimitMs', 60_000, 1, 3_600_000);
  const endpoint = `${send.method} ${send.path}`;
  const arbitrary = fc.record({
    messages: fc.integer({ min: 1, max: maxMessages }),
    cut: fc.option(fc.record({ at: fc.integer({ min: 1, max: maxCommand }), when: fc.constantFrom('before' as const, 'after' as const) }), { nil: undefined }),
  });

  return {
    name: NAME,
    description: `every message ${endpoint} accepts reaches Redis '${key}' while the connection is reset`,
    async run(ctx) {
      const redis = await connectRedis(redisUrl, `${NAME} redis`);
      const run = randomBytes(4).toString('hex');
      let trialNo = 0;
      let accepted = 0;
      let duplicates = 0;
      let fp;
      try {
        fp = await openFaultProxy(proxy, 'redis');
        const faultProxy = fp;
        const result = await runScenarios({
          name: NAME, runs, timeLimitMs, seed: ctx.seed, path: ctx.path, signal: ctx.signal, arbitrary,
          trial: async ({ messages, cut }) => {
            const trial = String(++trialNo).padStart(5, '0');
            const steps: Step[] = [];
            const sent: string[] = [];
            const fault = cut ? actionStep('FAULT', `reset ${cut.when} Redis command ${cut.at} on ${faultProxy.describe}`, 'armed') : undefined;
            if (fault) steps.push(fault);
            try {
              if (cut) faultProxy.armCut(cut.at, cut.when);
              for (let i = 0; i < messages; i++) {
                const id = `chaos-${run}-${trial}-${String(i).padStart(4, '0')}`;
                const s = await ctx.send(fillRequest(send, { message: id }));
                delete (s as { json?: unknown }).json;
                steps.push(s);
                if (is2xx(s.status)) sent.push(id);
              }
            } finally {
              const made = faultProxy.disarmCut();
              if (fault) fault.outcome = made ? 'the connection was reset there' : 'not reached';
            }
            // Delivery may lag the answer: wait (bounded) until every accepted message is there.
            const deadline = performance.now() + settleMs;
            let counts = new Map<string, number>();
            for (let polls = 0; polls < 100_000; polls++) {
              const items = await redis.items(key);
              counts = new Map(sent.map((id) => [id, items.filter((v) => v.includes(id)).length]));
              if ([...counts.values()].every((n) => n > 0) || performance.now() >= deadline || ctx.signal?.aborted) break;
              await sleep(POLL_MS, ctx.signal);
            }
            accepted += sent.length;
            const missing = sent.filter((id) => !counts.get(id));
            const dup = [...counts.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
            duplicates += dup;
            if (!missing.length) return { ok: true, message: 'all delivered', steps };
            steps.push(actionStep('REDIS', `read '${key}'`, `${missing.length} of ${sent.length} accepted messages missing: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`));
            return { ok: false, message: `${missing.length} of ${sent.length} messages ${endpoint} accepted never reached '${key}'${cut ? ` (connection reset ${cut.when} Redis command ${cut.at})` : ''}`, steps };
          },
        });
        return scenarioVerdict(NAME, result, `${accepted} accepted messages all delivered to '${key}' over ${result.trials} trials; ${duplicates} duplicate${duplicates === 1 ? '' : 's'}`, endpoint);
      } finally {
        await fp?.close();
        await redis.close();
      }
    },
  };
}
