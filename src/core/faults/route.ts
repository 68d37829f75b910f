/**
 * The seam between an engine that sends HTTP traffic (chaos replay, later experiments) and the faults it should
 * meet: give it the toxics, get back the URL to send to. Today every toxic is a TCP one, so this starts a TcpProxy
 * on 127.0.0.1:0 in front of the target; HTTP-level toxics (abort with a status, delay per route) plug in here.
 */
import { TcpProxy } from './tcpProxy';
import type { Toxic } from './toxics';

export interface FaultRoute {
  /** Send here instead of the target. */
  url: URL;
  /** The faults on the way (what the report lists). */
  faults: Toxic[];
  /** Stops whatever was started; idempotent. */
  close(): Promise<void>;
}

export async function routeThroughFaults(target: URL, toxics: readonly Toxic[]): Promise<FaultRoute> {
  if (!toxics.length) return { url: new URL(target), faults: [], close: async () => undefined };
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  const proxy = new TcpProxy({ name: 'replay', listen: { host: '127.0.0.1', port: 0 }, upstream: { host: target.hostname.replace(/^\[|\]$/g, ''), port } });
  for (const t of toxics) proxy.addToxic(t);
  const listen = await proxy.start();
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(listen.port);
  let closed: Promise<void> | undefined;
  return { url, faults: proxy.toxics, close: () => (closed ??= proxy.close()) };
}
