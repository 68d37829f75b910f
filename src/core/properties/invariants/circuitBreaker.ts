/**
 * circuit_breaker_never_stuck_open: a dependency of the service is taken away through a fault proxy (down or
 * reset_peer), the service is driven while it is gone (so a breaker opens), the dependency is healed, and the
 * service must answer success again within `recoveryMs`. fast-check draws the fault and how many requests hit it.
 *
 * Options: proxy ({listen, upstream} or {api, name}), request ({method, path, body?, headers?}: a call that needs
 * the dependency), faults ([down, reset_peer]), maxRequests (during the fault, 10), recoveryMs (5000),
 * pollMs (100), runs (5), timeLimitMs (60000).
 */
import fc from 'fast-check';
import { InputError } from '../../errors';
import type { Invariant, InvariantRequest, Step } from '../types';
import { openFaultProxy, readProxySpec, type FaultKind } from './faultProxy';
import { OptionReader, fillRequest, is2xx, type Obj } from './options';
import { actionStep, runScenarios, scenarioVerdict, sleep } from './scenarios';

export const NAME = 'circuit_breaker_never_stuck_open';

export function circuitBreakerNeverStuckOpen(options: Obj): Invariant {
  const r = new OptionReader(`${NAME} options`, options);
  const proxy = readProxySpec(r);
  const request = r.request('request');
  const faults = Array.isArray(options.faults) ? (options.faults as FaultKind[]) : (['down', 'reset_peer'] as FaultKind[]);
  for (const f of faults) if (f !== 'down' && f !== 'reset_peer') throw new InputError(`${NAME} options: 'faults' lists down and/or reset_peer, not ${String(f)}`);
  const maxRequests = r.number('maxRequests', 10, 1, 1000);
  const recoveryMs = r.number('recoveryMs', 5_000, 1, 600_000);
  const pollMs = r.number('pollMs', 100, 1, 60_000);
  const runs = r.number('runs', 5, 1, 10_000);
  const timeLimitMs = r.number('timeLimitMs', 60_000, 1, 3_600_000);
  const endpoint = `${request.method} ${request.path}`;

  return {
    name: NAME,
    description: `the service answers ${endpoint} with success within ${recoveryMs} ms after its dependency comes back`,
    async run(ctx) {
      const fp = await openFaultProxy(proxy);
      const recoveries: number[] = [];
      let failed = false;
      const send = async (req: InvariantRequest): Promise<Step> => {
        const s = await ctx.send(fillRequest(req, {}));
        delete (s as { json?: unknown }).json;
        return s;
      };
      /** Polls until a success (→ ms it took) or recoveryMs pass (→ undefined); `last` gets the last answer. */
      const untilSuccess = async (last: { step?: Step } = {}, boundMs = recoveryMs): Promise<number | undefined> => {
        const t0 = performance.now();
        for (let polls = 0; polls < 100_000 && !ctx.signal?.aborted; polls++) {
          last.step = await send(request);
          if (is2xx(last.step.status)) return Math.round(performance.now() - t0);
          if (performance.now() - t0 >= boundMs) return undefined;
          await sleep(pollMs, ctx.signal);
        }
        return undefined;
      };
      try {
        const result = await runScenarios({
          name: NAME, runs, timeLimitMs, seed: ctx.seed, path: ctx.path, signal: ctx.signal,
          arbitrary: fc.record({ fault: fc.constantFrom(...faults), requests: fc.integer({ min: 1, max: maxRequests }) }),
          trial: async ({ fault, requests }) => {
            // Healthy before the fault (waiting for it, bounded): a service still failing is no case to judge.
            // Once a trial failed (shrinking), a breaker still open is that failure again: ask once, do not wait.
            const ready = await untilSuccess({}, failed ? 0 : recoveryMs);
            if (ready === undefined) return { ok: true, skip: true, message: `${endpoint} did not answer success within ${recoveryMs} ms before any fault`, steps: [] };
            const during: Step[] = [];
            try {
              await fp.fault(fault);
              for (let i = 0; i < requests && !ctx.signal?.aborted; i++) during.push(await send(request));
            } finally {
              await fp.heal();
            }
            const statuses = [...new Set(during.map((s) => s.status ?? 'no response'))].join('/');
            const steps: Step[] = [
              actionStep('FAULT', `${fault} ${fp.describe}`, 'dependency gone'),
              { ...during[during.length - 1], path: `${request.path} ×${during.length}`, outcome: `${statuses} while the dependency was gone` },
            ];
            const last: { step?: Step } = {};
            const ms = await untilSuccess(last);
            if (ms !== undefined) {
              recoveries.push(ms);
              return { ok: true, message: `recovered in ${ms} ms`, steps };
            }
            if (ctx.signal?.aborted) return { ok: true, skip: true, message: 'aborted', steps };
            const seen = last.step ? (last.step.status ?? `no response (${last.step.error ?? 'failed'})`) : 'nothing';
            steps.push({ ...(last.step ?? (await send(request))), outcome: `still ${String(seen)} ${recoveryMs} ms after the dependency was healed` });
            failed = true;
            return { ok: false, message: `${endpoint} still answered ${String(seen)} ${recoveryMs} ms after ${fault} on ${fp.describe} was healed (stuck open?)`, steps };
          },
        });
        const worst = recoveries.length ? Math.max(...recoveries) : 0;
        return scenarioVerdict(NAME, result, `recovered after each of ${recoveries.length} faults, slowest in ${worst} ms (bound ${recoveryMs} ms)`, endpoint);
      } finally {
        await fp.close();
      }
    },
  };
}
