/**
 * A standing fault proxy from code: what `chaos-testing proxy --api … --listen … --upstream …` runs. Put it between
 * a service and a dependency for a whole test; experiments (`{ api, proxy: name }`) and invariants
 * (`proxy: { api, name }`) then fault it through its API, and it stays up between them.
 */
import { FaultApi } from '../core/faults/api';
import { formatHostPort, parseHostPort } from '../core/faults/tcpProxy';
import { UsageError } from './errors';

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Its name in the fault API (default 'dependency'). */
  name?: string;
  /** HOST:PORT the service connects to (port 0 picks a free one). */
  listen: string;
  /** HOST:PORT of the dependency. */
  upstream: string;
}

/** A running fault proxy and the loopback fault API that controls it. */
export interface FaultProxyHandle {
  name: string;
  /** HOST:PORT of the fault API (Toxiproxy's shape). */
  api: string;
  /** HOST:PORT it listens on (the real port when 0 was asked). */
  listen: string;
  upstream: string;
  /** Closes the proxy, its connections and the API. Idempotent. */
  stop(): Promise<void>;
}

/**
 * @example
 * const dep = await FaultProxy.start({ listen: '127.0.0.1:6380', upstream: '127.0.0.1:6379' });
 * await ChaosExperiment.networkPartition({ api: dep.api, proxy: dep.name }).withProbe(url).execute();
 * await dep.stop();
 */
export const FaultProxy = {
  /** Starts the proxy and its fault API on loopback; a port in use is a ListenError, a bad address an InputError. */
  async start(options: FaultProxyOptions): Promise<FaultProxyHandle> {
    const name = options.name ?? 'dependency';
    if (!/^[\w.-]{1,64}$/.test(name)) throw new UsageError(`FaultProxy name '${name}' must be 1-64 letters, digits, '_', '.' or '-'`);
    const listen = parseHostPort(options.listen, 'FaultProxy listen', true);
    const upstream = parseHostPort(options.upstream, 'FaultProxy upstream');
    const api = new FaultApi();
    try {
      const bound = await api.listen({ host: '127.0.0.1', port: 0 });
      const proxy = await api.addProxy({ name, listen, upstream });
      return { name, api: formatHostPort(bound), listen: formatHostPort(proxy.listen), upstream: formatHostPort(upstream), stop: () => api.close() };
    } catch (e) {
      await api.close();
      throw e;
    }
  },
};
