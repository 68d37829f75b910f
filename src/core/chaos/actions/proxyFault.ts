/**
 * What the proxy drivers (network-partition, latency, loss, bandwidth) share: they act through a fault API
 * (Toxiproxy-shaped, src/core/faults/api.ts). A proxy the run starts itself is served by the run's own in-process
 * API, so one code path covers both, and `chaos recover` undoes from the record alone (api, proxy, toxic).
 */
import { ChaosError } from '../../errors';
import { callFaultApi } from '../../faults/client';
import { targetOfKind } from '../targets';
import type { Action, ActionContext, Experiment, ExperimentProblem, ProxyTarget } from '../types';

export interface ProxyRecordData extends Record<string, unknown> {
  target: string;
  api: string;
  proxy: string;
  toxic?: string;
}

export function checkProxyAction(action: Action, experiment: Experiment): ExperimentProblem[] {
  return targetOfKind(action, experiment, 'proxy').problems;
}

/** The API and proxy name a proxy target is reached through (the runner binds run-started proxies to its own API). */
export function proxyEndpoint(action: Action, ctx: ActionContext): { target: ProxyTarget; api: string; proxy: string } {
  const { target } = targetOfKind(action, ctx.experiment, 'proxy');
  if (!target) throw new ChaosError('CT_CHAOS', `action '${action.name}': target '${action.target}' is not a proxy target`);
  if (!target.api || !target.proxy) throw new ChaosError('CT_CHAOS', `action '${action.name}': proxy target '${target.name}' has no fault API (the run did not start it)`);
  return { target, api: target.api, proxy: target.proxy };
}

export function describeProxy(action: Action, experiment: Experiment): string {
  const t = experiment.targets[action.target] as ProxyTarget | undefined;
  if (!t) return `proxy '${action.target}'`;
  return t.api ? `proxy '${t.proxy}' on the fault API ${t.api}` : `the run's proxy ${t.listen} → ${t.upstream}`;
}

/**
 * A toxic name unique to this run and action, safe for the API's name rule (at most 64 characters). The action's
 * place (m0 = method[0], r1 = rollbacks[1]) makes it unique: two names may give the same slug ('slow web' and
 * 'Slow Web!'), or differ only past the part kept.
 */
export function toxicName(action: Action): string {
  const slug = action.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 36) || 'fault';
  const place = `${action.at[0] === 'rollbacks' ? 'r' : 'm'}${String(action.at[1] ?? 0)}`;
  return `chaos-${place}-${slug}-${process.pid}`;
}

/** Adds a toxic; the undo record is journaled before the API is called. */
export async function applyToxic(action: Action, ctx: ActionContext, toxic: { type: string; stream: string; toxicity?: number; attributes: Record<string, number> }): Promise<ProxyRecordData> {
  const { api, proxy } = proxyEndpoint(action, ctx);
  const data: ProxyRecordData = { target: action.target, api, proxy, toxic: toxicName(action) };
  ctx.journal({ action: action.name, kind: action.kind, data });
  await callFaultApi(api, 'POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, { name: data.toxic, ...toxic });
  ctx.log(`${action.name}: ${toxic.type} on proxy '${proxy}' (${Object.entries(toxic.attributes).map(([k, v]) => `${k}=${v}`).join(' ')})`);
  return data;
}

/** Calls the API; an API that is gone, or a proxy or toxic it no longer has, means there is nothing left to undo. */
async function undoCall(api: string, method: string, path: string, body: unknown, log: (line: string) => void, what: string): Promise<void> {
  try {
    await callFaultApi(api, method, path, body);
    log(`undone: ${what}`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/^no fault API at .*ECONNREFUSED/.test(message)) log(`nothing to undo for ${what}: the fault API at ${api} is gone, and its proxies with it`);
    else if (/not found/.test(message)) log(`nothing to undo for ${what}: ${message}`);
    else throw e;
  }
}

export async function undoToxic(data: Record<string, unknown>, log: (line: string) => void): Promise<void> {
  const { api, proxy, toxic } = data as ProxyRecordData;
  await undoCall(api, 'DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(String(toxic))}`, undefined, log, `toxic '${String(toxic)}' on proxy '${proxy}'`);
}

export async function undoPartition(data: Record<string, unknown>, log: (line: string) => void): Promise<void> {
  const { api, proxy } = data as ProxyRecordData;
  await undoCall(api, 'POST', `/proxies/${encodeURIComponent(proxy)}`, { enabled: true }, log, `partition of proxy '${proxy}'`);
}
