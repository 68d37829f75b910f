/**
 * A real redis-server (Debian package redis-server) on a free loopback port, with a temporary directory and no
 * persistence (`--save '' --appendonly no`), stopped when the test ends. Returns undefined (test skipped, or failed
 * under CI=true) when the binary is missing.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import type { TestContext } from 'node:test';
import { closedPort, requireTool, tmpDir } from './index';

export interface RedisServer {
  port: number;
  /** Sends one inline command and resolves with the raw reply (for setup and checks). */
  command(line: string): Promise<string>;
}

export async function startRedisServer(t: TestContext): Promise<RedisServer | undefined> {
  if (!requireTool(t, 'redis-server', 'redis-server')) return undefined;
  const server = await launchRedisServer(tmpDir(t, 'chaos-redis-'));
  t.after(() => server.stop());
  return server;
}

/**
 * The same server without a test context (benchmarks): in `dir`, which the caller removes. Throws when
 * redis-server is missing or does not start.
 */
export async function launchRedisServer(dir: string): Promise<RedisServer & { stop(): Promise<void> }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await closedPort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stdout!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    proc.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    proc.on('error', (e) => (log += `spawn error: ${e.message}`));
    const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    const ready = await waitReady(port, exited, 10_000);
    if (!ready) {
      proc.kill('SIGKILL');
      await exited;
      if (/Address already in use/i.test(log)) continue;
      throw new Error(`redis-server did not start on port ${port}: ${log.slice(-500)}`);
    }
    const stop = async (): Promise<void> => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    };
    return { port, command: (line) => rawCommand(port, line), stop };
  }
  throw new Error('redis-server: no free port after 5 attempts');
}

async function waitReady(port: number, exited: Promise<void>, timeoutMs: number): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    const reply = await rawCommand(port, 'PING').catch(() => '');
    if (reply.startsWith('+PONG')) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** One inline command on a fresh connection; resolves with the first reply bytes. */
export function rawCommand(port: number, line: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no reply to '${line}' in ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => s.write(`${line}\r\n`));
    s.once('data', (c: Buffer) => {
      clearTimeout(timer);
      s.destroy();
      resolve(c.toString());
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
