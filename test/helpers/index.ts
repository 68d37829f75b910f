/**
 * Shared test helpers: temp folders, real servers on loopback, the built CLI as a child process, and system
 * tools that must exist (under CI=true a missing tool fails the test instead of skipping it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import type { SqlValue } from 'sql.js';
import type { RecordSink } from '../../src/core/capture/proxy';
import type { CapturedExchange } from '../../src/core/capture/types';
import { TrafficDb } from '../../src/core/store/database';
import { loadSqlJs } from '../../src/core/store/sqlite';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** A fresh folder, removed when the test ends. */
export function tmpDir(t: TestContext, prefix = 'chaos-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RunningServer {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with a free port; closed when the test ends. */
export async function listen(t: TestContext, server: http.Server): Promise<RunningServer> {
  // closeAllConnections() misses upgraded (WebSocket) and CONNECT sockets; left open, close() would never finish.
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = async (): Promise<void> => {
    if (!server.listening) return;
    server.closeAllConnections?.();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.after(close);
  return { url: `http://127.0.0.1:${port}`, port, server, close };
}

/** A TCP server on 127.0.0.1 that sends back what it receives; closed (with its sockets) when the test ends. */
export async function echoServer(t: TestContext): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

/** The sample backend from examples/, on a free port. */
export async function startSampleBackend(t: TestContext): Promise<RunningServer> {
  const { createSampleBackend } = require(path.join(ROOT, 'examples', 'sample-backend', 'server.js')) as { createSampleBackend: () => http.Server };
  return listen(t, createSampleBackend());
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion. */
export function runCli(args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, input: options.input, env: { ...process.env, ...options.env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the built CLI without blocking this process's event loop (for tests whose servers run in-process). */
export function runCliAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`chaos-testing ${args.join(' ')} did not finish in ${options.timeoutMs ?? 60_000} ms: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Observer {
  proc: ChildProcess;
  /** http://127.0.0.1:PORT of the proxy. */
  url: string;
  port: number;
  stderr(): string;
  /** Sends SIGINT and waits for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `chaos-testing observe --port 0 ...` and waits until the proxy listens. Killed when the test ends. */
export async function startObserve(t: TestContext, args: string[], options: { cwd?: string } = {}): Promise<Observer> {
  const proc = spawn(process.execPath, [CLI, 'observe', '--port', '0', '--quiet', ...args], { cwd: options.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  proc.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`observe did not start in 15 s: ${err}`)), 15_000);
    const check = (): void => {
      const m = /(?:proxying|forward proxy on) (https?:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`observe exited with ${code}: ${err}`));
    });
  });
  return {
    proc,
    url,
    port: Number(new URL(url).port),
    stderr: () => err,
    stop: async (signal = 'SIGINT') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * A system tool the test needs (from Debian's packages, installed by scripts/setup.sh). Missing: the test is
 * skipped with a reason naming the package, except under CI=true, where that is a failure.
 */
export function requireTool(t: TestContext, command: string, debianPackage: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
  if (found) return true;
  const reason = `needs '${command}' (Debian package ${debianPackage}; run npm run setup)`;
  if (process.env.CI === 'true') throw new Error(`${reason}: missing under CI`);
  t.skip(reason);
  return false;
}

/**
 * Like requireTool, for a check that gives its own reason (null when ready), e.g. runnerAvailable(): skips the
 * test with the reason, or fails under CI=true.
 */
export function requireReady(t: TestContext, reason: string | null): boolean {
  if (reason === null) return true;
  if (process.env.CI === 'true') throw new Error(`${reason}: missing under CI (run npm run setup)`);
  t.skip(`${reason}; run npm run setup`);
  return false;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request with node's client (no pooling surprises); resolves with the whole body. */
export function request(url: string, options: http.RequestOptions & { body?: string | Buffer } = {}): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Opens the traffic database read-only for assertions; closed when the test ends. */
export async function openStore(t: TestContext, file: string): Promise<TrafficDb> {
  const store = await TrafficDb.open(file);
  t.after(() => store.close());
  return store;
}

/**
 * Raw SQL over a traffic database file, for columns the TrafficDb API does not expose (body hashes, flags).
 * Reads the file as saved: stop the capture first (the journal is not replayed here).
 */
export async function queryStore(file: string, sql: string, params: SqlValue[] = []): Promise<Array<Record<string, SqlValue>>> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(fs.readFileSync(file));
  try {
    const s = db.prepare(sql);
    s.bind(params);
    const rows: Array<Record<string, SqlValue>> = [];
    while (s.step()) rows.push(s.getAsObject());
    s.free();
    return rows;
  } finally {
    db.close();
  }
}

/** Resident set size of a process in bytes (Linux /proc), or undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; `stop()` returns the peak (bytes). */
export function sampleRss(pid: number, everyMs = 50): { stop(): number; peak(): number } {
  let peak = rssBytes(pid) ?? 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid) ?? 0)), everyMs);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(timer);
      return (peak = Math.max(peak, rssBytes(pid) ?? 0));
    },
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** sha256 (hex) of a file's bytes. */
export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Asserts a CLI run failed the way a user should see a failure: the exit code, exactly one line on stderr that
 * mentions each of `mentions`, and no stack trace. Returns the line.
 */
export function assertCliError(r: CliResult, code: number, mentions: string[] = []): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const shown = `exit ${r.code}, stderr:\n${r.stderr}`;
  if (r.code !== code) throw new Error(`expected exit code ${code}: ${shown}`);
  if (lines.length !== 1) throw new Error(`expected exactly one line on stderr: ${shown}`);
  if (/\n\s+at /.test(r.stderr) || r.stderr.includes('    at ')) throw new Error(`stack trace on stderr: ${shown}`);
  for (const m of mentions) if (!lines[0].includes(m)) throw new Error(`stderr does not mention '${m}': ${shown}`);
  return lines[0];
}

export interface RawReply {
  /** Everything the peer sent, as latin1 text. */
  text: string;
  /** True if the peer closed (or reset) the connection before `timeoutMs`. */
  closed: boolean;
  /** Time from connecting to the close (or the timeout). */
  ms: number;
}

/** Writes raw bytes to 127.0.0.1:port and collects the reply until the peer closes or `timeoutMs` passes. */
export function rawHttp(port: number, data: string | Buffer, timeoutMs = 5_000): Promise<RawReply> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => socket.write(data));
  });
}

/** Runs the sqlite3 shell on a database file (`flags` such as -json go before it); returns trimmed stdout, throws on failure. */
export function sqlite3(file: string, sql: string, flags: string[] = []): string {
  const r = spawnSync('sqlite3', ['-batch', ...flags, file, sql], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`sqlite3 ${file} '${sql}' exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Counts a server's connections (open now, and ever accepted) and its requests. */
export function trackConnections(server: http.Server): { open(): number; accepted(): number; requests(): number } {
  let open = 0;
  let accepted = 0;
  let requests = 0;
  server.on('connection', (socket: net.Socket) => {
    open++;
    accepted++;
    socket.once('close', () => open--);
  });
  server.on('request', () => requests++);
  return { open: () => open, accepted: () => accepted, requests: () => requests };
}

/** Open file descriptors of a process (Linux /proc), or undefined once it is gone. */
export function fdCount(pid: number): number | undefined {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

export interface ProxyCli {
  /** The proxy's listening port. */
  port: number;
  /** The fault API's host:port. */
  api: string;
  proc: import('node:child_process').ChildProcess;
  /** The CLI's exit code, once it exits. */
  exited: Promise<number | null>;
}

/** `chaos-testing proxy` (built CLI) in front of `upstream`, its fault API on a free loopback port; killed after the test. */
export async function startProxyCli(t: TestContext, upstream: number, name: string, durationS = 120): Promise<ProxyCli> {
  const { spawn } = await import('node:child_process');
  const proc = spawn(process.execPath, [CLI, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream}`, '--api', '127.0.0.1:0', '--name', name, '--duration', String(durationS)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  let err = '';
  const started = new RegExp(`proxy '${name}' 127\\.0\\.0\\.1:(\\d+) → .*fault API http://(127\\.0\\.0\\.1:\\d+)`);
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start in 15 s: ${err}`)), 15_000);
    proc.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const found = started.exec(err);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
  return { port: Number(m[1]), api: m[2], proc, exited };
}

/**
 * Listens on loopback and counts the connections `event` reports into `counter.connections`; at the end of the test
 * they are destroyed and the server closed. Returns the port.
 */
export async function listenCounting(t: TestContext, server: net.Server, event: 'connection' | 'secureConnection', counter: { connections: number }): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on(event, (s: net.Socket) => {
    counter.connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

/** A CaptureProxy sink that keeps the exchanges in memory, for tests that read them back. */
export class ArraySink implements RecordSink {
  readonly exchanges: CapturedExchange[] = [];
  enqueueExchange(ex: CapturedExchange): boolean {
    this.exchanges.push(ex);
    return true;
  }
  enqueueMessage(): boolean {
    return true;
  }
}
