/**
 * A loopback relay that feeds a wire parser copies of what passes, for parser tests with real clients and servers
 * before (and besides) the capture proxy: client → relay → upstream, bytes unchanged, every WireCall collected.
 * A parser that throws is recorded in `failures` and dropped for that connection; the bytes keep flowing.
 */
import * as net from 'node:net';
import type { TestContext } from 'node:test';
import type { WireCall, WireParser, WireProtocolDefinition } from '../../src/core/protocols/types';

export interface WireRelay {
  port: number;
  calls: WireCall[];
  failures: string[];
  /** Resolves when `count` calls were emitted (or rejects after `timeoutMs`). */
  waitForCalls(count: number, timeoutMs?: number): Promise<WireCall[]>;
}

export async function startWireRelay(t: TestContext, definition: WireProtocolDefinition, upstream: { host?: string; port: number }, options?: Record<string, unknown>): Promise<WireRelay> {
  const calls: WireCall[] = [];
  const failures: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const backend = net.connect({ host: upstream.host ?? '127.0.0.1', port: upstream.port });
    sockets.add(client).add(backend);
    let parser: WireParser | undefined = definition.createParser({ now: () => Date.now(), emit: (c) => calls.push(c), options });
    const feed = (side: 'client' | 'server', chunk: Buffer): void => {
      if (!parser) return;
      try {
        parser[side](Buffer.from(chunk));
      } catch (e) {
        failures.push(`${side}: ${(e as Error).message}`);
        parser = undefined;
      }
    };
    client.on('data', (c: Buffer) => feed('client', c));
    backend.on('data', (c: Buffer) => feed('server', c));
    client.pipe(backend);
    backend.pipe(client);
    const done = (): void => {
      client.destroy();
      backend.destroy();
      if (parser) {
        try {
          parser.end();
        } catch (e) {
          failures.push(`end: ${(e as Error).message}`);
        }
        parser = undefined;
      }
    };
    client.on('close', done).on('error', done);
    backend.on('close', done).on('error', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    calls,
    failures,
    async waitForCalls(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (calls.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} calls, got ${calls.length}: ${calls.map((c) => c.statement).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return calls;
    },
  };
}
