/**
 * A loopback HTTP API shaped like Toxiproxy's, over a set of fault targets (TcpProxy instances it creates, and
 * targets registered by their owner, such as the capture proxy, which the API lists and faults but never closes):
 *   GET    /proxies                        {name: proxy}
 *   POST   /proxies                        {name, listen, upstream, enabled?} → 201 proxy
 *   GET    /proxies/{name}                 proxy
 *   POST   /proxies/{name}                 {enabled} → proxy (enabled: false is `down`)
 *   DELETE /proxies/{name}                 204
 *   GET    /proxies/{name}/toxics          [toxic]
 *   POST   /proxies/{name}/toxics          toxic → toxic
 *   GET    /proxies/{name}/toxics/{toxic}  toxic
 *   POST   /proxies/{name}/toxics/{toxic}  {attributes?, toxicity?, match?} → toxic (changed in place)
 *   DELETE /proxies/{name}/toxics/{toxic}  204
 *   POST   /reset                          every proxy enabled, every toxic removed → 204
 * Errors are `{"error": message, "status": code}`, as Toxiproxy answers them.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isChaosError, ListenError, NameInUseError } from '../errors';
import { proxyJson, type FaultTarget } from './target';
import { parseHostPort, TcpProxy, type HostPort } from './tcpProxy';
import { decodeOrKeep } from '../uri';

export { proxyJson, type ProxyJson } from './target';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024;
export const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export class FaultApi {
  readonly proxies = new Map<string, FaultTarget>();
  /** The TCP proxies this API created (and closes); registered targets belong to whoever registered them. */
  private readonly _owned = new Map<string, TcpProxy>();
  private _server: http.Server | undefined;

  /** Creates and starts a TCP proxy; a name in use is a 409. */
  async addProxy(input: { name: string; listen: HostPort; upstream: HostPort; enabled?: boolean }): Promise<TcpProxy> {
    if (this.proxies.has(input.name)) throw new HttpError(409, `proxy '${input.name}' already exists`);
    const proxy = new TcpProxy(input);
    await proxy.start();
    this.proxies.set(input.name, proxy);
    this._owned.set(input.name, proxy);
    return proxy;
  }

  /** Serves a target someone else runs (the capture proxy); a name in use is an error. */
  register(target: FaultTarget): void {
    if (this.proxies.has(target.name)) throw new HttpError(409, `proxy '${target.name}' already exists`);
    this.proxies.set(target.name, target);
  }

  /** Listens on a loopback address only (the API changes what other programs' traffic does). */
  async listen(address: HostPort): Promise<HostPort> {
    if (!LOOPBACK.has(address.host)) throw new ListenError(`the fault API listens on loopback only (127.0.0.1, ::1), not ${address.host}`);
    const server = http.createServer((req, res) => void this._handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new ListenError(`fault API cannot listen on ${address.host}:${address.port}: ${e.code ?? e.message}`)));
      server.listen(address.port, address.host, () => resolve());
    });
    this._server = server;
    return { host: address.host, port: (server.address() as AddressInfo).port };
  }

  /** Stops the API and every proxy with its connections. */
  async close(): Promise<void> {
    const server = this._server;
    this._server = undefined;
    await Promise.all([...this._owned.values()].map((p) => p.close()));
    this._owned.clear();
    this.proxies.clear();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private async _handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body?: unknown): void => {
      if (body === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    try {
      const body = await readJson(req);
      const [status, out] = await this._route(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname, body);
      send(status, out);
    } catch (e) {
      // A name in use is 409 Conflict, as in Toxiproxy; any other bad input 400.
      const status = e instanceof HttpError ? e.status : e instanceof NameInUseError ? 409 : isChaosError(e) ? 400 : 500;
      send(status, { error: e instanceof Error ? e.message : String(e), status });
    }
  }

  private async _route(method: string, path: string, body: unknown): Promise<[number, unknown?]> {
    const parts = path.split('/').filter(Boolean).map(decodeOrKeep);
    if (parts[0] === 'reset' && parts.length === 1 && method === 'POST') {
      for (const p of this.proxies.values()) {
        p.removeAllToxics();
        await p.setEnabled(true);
      }
      return [204];
    }
    if (parts[0] !== 'proxies') throw new HttpError(404, `no such path: ${path}`);
    if (parts.length === 1) {
      if (method === 'GET') return [200, Object.fromEntries([...this.proxies].map(([n, p]) => [n, proxyJson(p)]))];
      if (method === 'POST') {
        const o = asObject(body);
        if (typeof o.name !== 'string' || !/^[\w.-]{1,64}$/.test(o.name)) throw new HttpError(400, "a proxy needs a name of 1-64 letters, digits, '_', '.' or '-'");
        const proxy = await this.addProxy({
          name: o.name,
          listen: parseHostPort(String(o.listen), 'listen', true),
          upstream: parseHostPort(String(o.upstream), 'upstream'),
          enabled: o.enabled === undefined ? true : enabledOf(o.enabled),
        });
        return [201, proxyJson(proxy)];
      }
      throw new HttpError(405, `${method} /proxies is not allowed`);
    }
    const proxy = this.proxies.get(parts[1]);
    if (!proxy) throw new HttpError(404, `proxy '${parts[1]}' not found`);
    if (parts.length === 2) {
      if (method === 'GET') return [200, proxyJson(proxy)];
      if (method === 'POST') {
        const o = asObject(body);
        if (o.enabled !== undefined) await proxy.setEnabled(enabledOf(o.enabled));
        return [200, proxyJson(proxy)];
      }
      if (method === 'DELETE') {
        const owned = this._owned.get(proxy.name);
        if (!owned) throw new HttpError(409, `proxy '${proxy.name}' is not one this API created; stop the program that runs it`);
        this.proxies.delete(proxy.name);
        this._owned.delete(proxy.name);
        await owned.close();
        return [204];
      }
    } else if (parts[2] === 'toxics' && parts.length === 3) {
      if (method === 'GET') return [200, proxy.toxics];
      if (method === 'POST') return [200, proxy.addToxic(body)];
    } else if (parts[2] === 'toxics' && parts.length === 4) {
      const toxic = proxy.toxics.find((t) => t.name === parts[3]);
      if (!toxic) throw new HttpError(404, `toxic '${parts[3]}' not found on proxy '${proxy.name}'`);
      if (method === 'GET') return [200, toxic];
      if (method === 'POST') return [200, proxy.updateToxic(toxic.name, body)];
      if (method === 'DELETE') {
        proxy.removeToxic(toxic.name);
        return [204];
      }
    } else {
      throw new HttpError(404, `no such path: ${path}`);
    }
    throw new HttpError(405, `${method} ${path} is not allowed`);
  }
}

/** `enabled` is a JSON boolean, as Toxiproxy takes it: the string "false" would otherwise read as true. */
function enabledOf(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new HttpError(400, `enabled must be true or false (a JSON boolean), not ${JSON.stringify(value)}`);
  return value;
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `the request body is over ${MAX_BODY} bytes`);
    parts.push(chunk);
  }
  if (!size) return undefined;
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'the request body is not valid JSON');
  }
}
