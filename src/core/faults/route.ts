/**
 * The seam between an engine that sends HTTP traffic (chaos replay, later experiments) and the faults it should
 * meet: give it the toxics, get back the URL to send to. Byte-level toxics without a route match go through a
 * TcpProxy (per connection, as Toxiproxy does); as soon as one toxic is HTTP-aware or matches a route, all of them go
 * through the HTTP fault proxy, which draws them per request.
 */
import { startHttpFaultProxy } from './httpFaultProxy';
import { TcpProxy } from './tcpProxy';
import { isHttpToxic, type Toxic } from './toxics';

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
  if (toxics.some((t) => isHttpToxic(t.type) || t.match)) {
    const http = await startHttpFaultProxy({ target: target.href, toxics: [...toxics], name: 'replay' });
    let closedHttp: Promise<void> | undefined;
    const url = new URL(target.pathname + target.search, http.url);
    return { url, faults: http.proxy.toxics, close: () => (closedHttp ??= http.close()) };
  }
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
