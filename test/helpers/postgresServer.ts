/**
 * A throwaway PostgreSQL server for tests and benchmarks: initdb into a temporary directory, loopback only, a free
 * port, the unix socket inside the temporary directory, fsync off. PostgreSQL refuses to run as root, so as root the
 * server runs as a system user `chaos-pg` (created when missing). pg_hba: trust for the superuser on 127.0.0.1, and
 * two password users to exercise authentication (SCRAM-SHA-256 and md5).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const RUN_AS = 'chaos-pg';

export interface PasswordUser {
  user: string;
  password: string;
}

export interface PostgresServer {
  host: '127.0.0.1';
  port: number;
  /** The superuser, trusted on 127.0.0.1. */
  user: string;
  database: string;
  /** A user that must authenticate with SCRAM-SHA-256. */
  scram: PasswordUser;
  /** A user that must authenticate with md5. */
  md5: PasswordUser;
  /** Fast shutdown, then the data directory is removed. Idempotent. */
  stop(): Promise<void>;
}

/** Where Debian keeps the server binaries (off PATH), or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], 'bin') : null;
}

/** Null when a server can be started, else the reason (naming the Debian package), for requireReady. */
export function postgresUnavailable(): string | null {
  if (!postgresBinDir()) return 'needs the PostgreSQL server (Debian package postgresql)';
  if (spawnSync('sh', ['-c', 'command -v psql'], { encoding: 'utf8' }).status !== 0) return 'needs psql (Debian package postgresql-client)';
  return null;
}

export interface PostgresOptions {
  /** Serve TLS with a throwaway self-signed certificate (needs openssl): clients asking for SSL get 'S'. */
  ssl?: boolean;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian package postgresql)');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) ensureSystemUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-pg-'));
  const data = path.join(dir, 'data');
  const run = (args: string[]): void => {
    const cmd = asRoot ? ['/usr/sbin/runuser', '-u', RUN_AS, '--', ...args] : args;
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${path.basename(args[0])} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).trim().slice(-600)}`);
  };
  if (asRoot) spawnSync('chown', [RUN_AS, dir]);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) {
      try {
        run([path.join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      } catch {
        // already down: nothing to stop
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run([path.join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    fs.writeFileSync(
      path.join(data, 'pg_hba.conf'),
      ['local all all trust', 'host all chaos_scram 127.0.0.1/32 scram-sha-256', 'host all chaos_md5 127.0.0.1/32 md5', 'host all all 127.0.0.1/32 trust', ''].join('\n'),
    );
    let settings = `-k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off`;
    if (options.ssl) {
      run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', path.join(dir, 'server.key'), '-out', path.join(dir, 'server.crt')]);
      fs.chmodSync(path.join(dir, 'server.key'), 0o600);
      settings += ` -c ssl=on -c ssl_cert_file=${path.join(dir, 'server.crt')} -c ssl_key_file=${path.join(dir, 'server.key')}`;
    }
    const port = await startOnFreePort((p) => run([path.join(bin, 'pg_ctl'), '-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${p} ${settings}`, 'start']));
    const scram = { user: 'chaos_scram', password: 'scram-s3cret-Pa55' };
    const md5 = { user: 'chaos_md5', password: 'md5-s3cret-Pa55' };
    // Roles are created over the unix socket with psql (trust), so no password travels on TCP here.
    const sql = [
      `SET password_encryption = 'scram-sha-256'; CREATE ROLE ${scram.user} LOGIN PASSWORD '${scram.password}';`,
      `SET password_encryption = 'md5'; CREATE ROLE ${md5.user} LOGIN PASSWORD '${md5.password}';`,
      `GRANT ALL ON SCHEMA public TO ${scram.user}, ${md5.user};`,
    ].join(' ');
    run(['psql', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql]);
    return { host: '127.0.0.1', port, user: 'postgres', database: 'postgres', scram, md5, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function ensureSystemUser(): void {
  if (spawnSync('id', ['-u', RUN_AS]).status === 0) return;
  const r = spawnSync('/usr/sbin/useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', RUN_AS], { encoding: 'utf8' });
  // Another test may have created it at the same moment.
  if (r.status !== 0 && spawnSync('id', ['-u', RUN_AS]).status !== 0) throw new Error(`cannot create the system user ${RUN_AS}: ${r.stderr.trim()}`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A port can be taken between freePort and the server's bind: try a few. */
async function startOnFreePort(start: (port: number) => void): Promise<number> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      start(port);
      return port;
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
