/**
 * The fault proxy a stateful invariant acts through, as the chaos engine's proxy targets are named: either one the
 * invariant starts itself (`listen` + `upstream`: the service is configured to reach its dependency at `listen`),
 * or one already running behind a fault API (`api` + `name`, e.g. `chaos-testing proxy --api 127.0.0.1:8474`).
 * Every fault is undone by heal(); close() heals and stops a proxy the invariant started.
 */
import { InputError, UsageError } from '../../errors';
import { callFaultApi } from '../../faults/client';
import { TcpProxy, parseHostPort } from '../../faults/tcpProxy';
import { CutController, type CutWhen, type WireProtocol } from './cutGate';
import type { OptionReader } from './options';

export type FaultKind = 'down' | 'reset_peer';

export interface FaultProxy {
  /** "the invariant's proxy 127.0.0.1:6544 → 127.0.0.1:5432" or "proxy 'pg' on the fault API 127.0.0.1:8474". */
  readonly describe: string;
  /** Takes the dependency away: `down` refuses and cuts connections; `reset_peer` resets each one (live ones too). */
  fault(kind: FaultKind): Promise<void>;
  /** Resets the connection carrying the n-th statement from now; only on a proxy the invariant started. */
  armCut(n: number, when: CutWhen): void;
  /** Stops a cut not yet made; true when it was made. */
  disarmCut(): boolean;
  /** Undoes every fault of this invariant (idempotent). */
  heal(): Promise<void>;
  /** Heals, then stops a proxy the invariant started. */
  close(): Promise<void>;
}

export interface FaultProxySpec {
  listen?: string;
  upstream?: string;
  api?: string;
  name?: string;
}

const TOXIC = `invariant-reset-${process.pid}`;

/** The `proxy:` option: {listen, upstream} or {api, name}. */
export function readProxySpec(r: OptionReader): FaultProxySpec {
  const p = r.object('proxy');
  if (p.has('listen') || p.has('upstream')) {
    const spec = { listen: p.string('listen'), upstream: p.string('upstream') };
    parseHostPort(spec.listen, `${p.where} listen`, true);
    parseHostPort(spec.upstream, `${p.where} upstream`);
    return spec;
  }
  if (p.has('api') || p.has('name')) return { api: p.string('api'), name: p.string('name') };
  throw new InputError(`${p.where}: give listen + upstream (a proxy the invariant starts) or api + name (a proxy behind a running fault API)`);
}

/** `protocol`: frame that protocol's statements so cuts can land at one (no framing, and no cuts, without it). */
export async function openFaultProxy(spec: FaultProxySpec, protocol?: WireProtocol): Promise<FaultProxy> {
  return spec.api ? remoteProxy(spec.api, spec.name!) : localProxy(spec, protocol);
}

async function localProxy(spec: FaultProxySpec, protocol?: WireProtocol): Promise<FaultProxy> {
  const cuts = new CutController(protocol ?? 'redis');
  const proxy = new TcpProxy({ name: 'invariant', listen: parseHostPort(spec.listen!, 'proxy listen', true), upstream: parseHostPort(spec.upstream!, 'proxy upstream'), ...(protocol ? { tap: cuts.tap } : {}) });
  await proxy.start();
  const heal = async (): Promise<void> => {
    cuts.disarm();
    proxy.removeAllToxics();
    await proxy.setEnabled(true);
  };
  return {
    describe: `the invariant's proxy ${proxy.addresses().listen} → ${proxy.addresses().upstream}`,
    async fault(kind) {
      if (kind === 'reset_peer') {
        proxy.addToxic({ name: TOXIC, type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
        // Toxics apply to new connections: cut the live ones so they reconnect into the reset.
        await proxy.setEnabled(false);
      }
      await proxy.setEnabled(kind === 'reset_peer');
    },
    armCut(n, when) {
      if (!protocol) throw new Error('armCut needs a proxy opened with a protocol');
      cuts.arm(n, when);
    },
    disarmCut: () => cuts.disarm(),
    heal,
    async close() {
      try {
        await heal();
      } finally {
        await proxy.close();
      }
    },
  };
}

async function remoteProxy(api: string, name: string): Promise<FaultProxy> {
  const at = `/proxies/${encodeURIComponent(name)}`;
  await callFaultApi(api, 'GET', at);
  const setEnabled = (enabled: boolean): Promise<unknown> => callFaultApi(api, 'POST', at, { enabled });
  const heal = async (): Promise<void> => {
    try {
      await callFaultApi(api, 'DELETE', `${at}/toxics/${TOXIC}`);
    } catch (e) {
      if (!/not found|no toxic/i.test((e as Error).message)) throw e;
    }
    await setEnabled(true);
  };
  return {
    describe: `proxy '${name}' on the fault API ${api}`,
    async fault(kind) {
      if (kind === 'reset_peer') {
        await callFaultApi(api, 'POST', `${at}/toxics`, { name: TOXIC, type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
        await setEnabled(false);
      }
      await setEnabled(kind === 'reset_peer');
    },
    armCut() {
      throw new UsageError(`resets at a chosen statement need a proxy the invariant starts itself: give proxy.listen + proxy.upstream instead of the fault API ${api}`);
    },
    disarmCut: () => false,
    heal,
    close: heal,
  };
}
