/**
 * Invariants: properties of the system as a whole, judged over the run (or by driving the system themselves).
 * Each is a module of invariants/ with a name and `run(ctx)`, registered here by name. `latency_bounded[=MS]` and
 * `error_rate_below[=FRACTION]` need only HTTP: they read the run's own requests. The stateful ones
 * (invariants/*.ts) drive fault proxies, PostgreSQL and Redis themselves, with options from a file; user
 * invariants come from .chaos/invariants/ (YAML or TypeScript).
 */
import * as path from 'node:path';
import { InputError, UsageError } from '../errors';
import { NAME as CACHE, cacheConsistency } from './invariants/cacheConsistency';
import { NAME as CIRCUIT, circuitBreakerNeverStuckOpen } from './invariants/circuitBreaker';
import { readOptionsFile, type Obj } from './invariants/options';
import { NAME as QUEUE, queueMessagePreservation } from './invariants/queuePreservation';
import { NAME as ATOMIC, transactionAtomicity } from './invariants/transactionAtomicity';
import { findUserInvariant, listUserInvariants, loadCodeInvariant, readYamlInvariant } from './invariants/userInvariants';
import { yamlInvariant } from './invariants/yamlInvariant';
import { errorRateBelow } from './invariants/errorRateBelow';
import { latencyBounded } from './invariants/latencyBounded';
import type { Invariant } from './types';

export { errorRateBelow, latencyBounded };

/** Invariant factories by name; an argument follows `=`: latency_bounded=500, transaction_atomicity=opts.yaml. */
export const INVARIANTS: Record<string, { description: string; stateful?: boolean; make(arg?: string): Invariant }> = {
  latency_bounded: {
    description: 'p99 latency of the run at most MS (default 2000)',
    make: (arg) => latencyBounded(arg === undefined ? undefined : positive('latency_bounded', arg, false)),
  },
  error_rate_below: {
    description: 'share of 5xx and failed requests at most FRACTION (default 0.01)',
    make: (arg) => errorRateBelow(arg === undefined ? undefined : positive('error_rate_below', arg, true)),
  },
  ...stateful(CIRCUIT, 'the service is back to success within a bound after its dependency is faulted and healed', circuitBreakerNeverStuckOpen),
  ...stateful(QUEUE, 'messages sent through the service into a Redis list/stream all arrive under connection resets', queueMessagePreservation),
  ...stateful(ATOMIC, 'a conserved SQL sum holds while PostgreSQL connections are reset mid-transaction', transactionAtomicity),
  ...stateful(CACHE, 'what the service serves through its cache matches the source of truth after writes', cacheConsistency),
};

/** A built-in that drives real systems: its options come from a YAML/JSON file, NAME=FILE. */
function stateful(name: string, description: string, make: (o: Obj) => Invariant): typeof INVARIANTS {
  return {
    [name]: {
      description: `${description} (options: ${name}=FILE)`,
      stateful: true,
      make: (arg) => {
        if (arg === undefined) throw new UsageError(`--invariant ${name} needs its options: ${name}=FILE (YAML or JSON), ${name}='{key: value, …}' inline, or a .chaos/invariants/${name}.yaml with 'invariant: ${name}' and 'options:'; see the README`);
        return make(readOptionsFile(name, arg));
      },
    },
  };
}

function positive(name: string, arg: string, fraction: boolean): number {
  const n = Number(arg);
  if (!Number.isFinite(n) || n <= 0 || (fraction && n >= 1)) {
    throw new UsageError(`--invariant ${name}=${arg}: the value must be ${fraction ? 'a fraction between 0 and 1, e.g. 0.05' : 'a number of milliseconds above 0'}`);
  }
  return n;
}

/** The default home of user invariants. */
export const INVARIANTS_DIR = path.join('.chaos', 'invariants');

/**
 * The invariants named by `--invariant NAME[=VALUE]`: a built-in (a stateful one without VALUE reads
 * `<dir>/NAME.yaml`), else a user invariant `<dir>/NAME.yaml|.ts|.js`; an unknown name is a usage error listing
 * the known ones.
 */
export async function resolveInvariants(names: readonly string[], dir = INVARIANTS_DIR): Promise<Invariant[]> {
  const out: Invariant[] = [];
  for (const spec of names) {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    const arg = eq < 0 ? undefined : spec.slice(eq + 1);
    const entry = INVARIANTS[name];
    const file = findUserInvariant(dir, name);
    if (entry && (arg !== undefined || !entry.stateful || !file)) {
      out.push(entry.make(arg));
      continue;
    }
    if (!file) {
      const user = listUserInvariants(dir);
      throw new UsageError(`--invariant ${name} is not known; choose one of ${[...Object.keys(INVARIANTS), ...user].join(', ')}, or add ${path.join(dir, `${name}.yaml`)}`);
    }
    if (/\.ya?ml$/.test(file)) {
      const y = readYamlInvariant(file);
      if (y.builtin !== undefined) {
        const builtin = INVARIANTS[y.builtin];
        if (!builtin?.stateful) throw new InputError(`${file}: 'invariant: ${y.builtin}' is not a configurable built-in; choose one of ${Object.keys(INVARIANTS).filter((k) => INVARIANTS[k].stateful).join(', ')}`);
        out.push(makeStateful(y.builtin, y.options));
      } else out.push(yamlInvariant(name, file, y.doc));
    } else out.push(await loadCodeInvariant(file));
  }
  return out;
}

function makeStateful(name: string, options: Obj): Invariant {
  const makers: Record<string, (o: Obj) => Invariant> = { [CIRCUIT]: circuitBreakerNeverStuckOpen, [QUEUE]: queueMessagePreservation, [ATOMIC]: transactionAtomicity, [CACHE]: cacheConsistency };
  return makers[name](options);
}
