/**
 * An HTTP forwarding proxy with faults and no recording, in process: for chaos replay and experiments, which send
 * their own traffic through it and change its toxics as they go. It is the capture proxy with recording off.
 */
import { CaptureProxy, type RecordSink } from '../capture/proxy';
import { formatHostPort } from './tcpProxy';
import { HttpFaultTarget } from './httpTarget';
import type { Toxic } from './toxics';

export interface HttpFaultProxyOptions {
  /** The backend, e.g. http://127.0.0.1:9000. */
  target: string;
  /** Toxics in place from the first request; each is validated (a bad one is an InputError, before listening). */
  toxics?: Toxic[];
  /** The name the proxy has for the fault API (default 'http'). */
  name?: string;
  /** Port on 127.0.0.1 (default 0: a free one). */
  port?: number;
}

export interface HttpFaultProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  proxy: HttpFaultTarget;
  /** Stops listening and cuts what is still open (held requests included) within a moment. */
  close(): Promise<void>;
}

const NO_SINK: RecordSink = { enqueueExchange: () => false, enqueueMessage: () => false };

export async function startHttpFaultProxy(options: HttpFaultProxyOptions): Promise<HttpFaultProxy> {
  const capture = new CaptureProxy({ mode: 'reverse', target: options.target, host: '127.0.0.1', port: options.port ?? 0, record: false }, NO_SINK);
  const proxy = new HttpFaultTarget(options.name ?? 'http', capture, options.target);
  try {
    for (const t of options.toxics ?? []) proxy.addToxic(t);
    const address = await capture.listen();
    return { url: `http://${formatHostPort({ host: address.address, port: address.port })}`, proxy, close: () => capture.close(200) };
  } catch (e) {
    await capture.close(0);
    throw e;
  }
}
