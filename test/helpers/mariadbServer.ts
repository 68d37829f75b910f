/**
 * A real MariaDB server for tests (Debian's mariadb-server): a fresh data directory, 127.0.0.1 on a free port, a
 * password user created at startup so the login's authentication is exercised, stopped when the test ends.
 * Missing binaries skip the test with the package to install (a failure under CI=true).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { closedPort, requireReady, waitFor } from './index';

export interface MariadbServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  database: string;
  /** The server's own log, for failure messages. */
  log(): string;
}

export interface MariadbOptions {
  /** Serve TLS with a self-signed certificate (needs openssl). */
  tls?: boolean;
}

const BINARIES = { server: ['/usr/sbin/mariadbd', '/usr/bin/mariadbd'], install: ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'] };

function findBinary(candidates: string[]): string | undefined {
  return candidates.find((c) => fs.existsSync(c));
}

/** Starts MariaDB, or returns undefined when the test was skipped for want of the package. */
export async function startMariadb(t: TestContext, options: MariadbOptions = {}): Promise<MariadbServer | undefined> {
  const server = findBinary(BINARIES.server);
  const install = findBinary(BINARIES.install);
  if (!requireReady(t, server && install ? null : "needs mariadbd and mariadb-install-db (Debian package mariadb-server)")) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-mariadb-'));
  const running: { proc?: ChildProcess } = {};
  // One hook, in this order: the server stops before its data directory goes.
  t.after(async () => {
    if (running.proc) await stop(running.proc);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const data = path.join(dir, 'data');
  const osUser = os.userInfo().username;
  const installed = spawnSync(install!, ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${osUser}`, '--innodb-log-file-size=8M'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (installed.status !== 0) throw new Error(`mariadb-install-db failed (${installed.status}): ${installed.stderr || installed.stdout}`);

  const password = `pw-${randomBytes(8).toString('hex')}`;
  const user = 'chaos';
  const database = 'chaos';
  fs.writeFileSync(
    path.join(dir, 'init.sql'),
    [`CREATE DATABASE IF NOT EXISTS ${database};`, `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}';`, `GRANT ALL ON *.* TO '${user}'@'%';`].join('\n'),
  );
  const tlsArgs = options.tls ? selfSignedCertificate(dir) : [];
  const port = await closedPort();
  const errorLog = path.join(dir, 'error.log');
  const proc = spawn(
    server!,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${path.join(dir, 'mysqld.sock')}`,
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      `--log-error=${errorLog}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      `--init-file=${path.join(dir, 'init.sql')}`,
      '--innodb-log-file-size=8M',
      '--innodb-buffer-pool-size=32M',
      '--local-infile=1',
      '--max-allowed-packet=64M',
      ...tlsArgs,
      // mariadbd refuses to run as root unless told to.
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ],
    { stdio: 'ignore' },
  );
  running.proc = proc;
  const log = (): string => (fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8') : '');
  await waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`mariadbd exited with ${proc.exitCode}: ${log().slice(-2000)}`);
      return log().includes('ready for connections');
    },
    60_000,
    'mariadbd to be ready',
  );
  return { host: '127.0.0.1', port, user, password, database, log };
}

function selfSignedCertificate(dir: string): string[] {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { encoding: 'utf8', timeout: 60_000 });
  if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
  return [`--ssl-cert=${cert}`, `--ssl-key=${key}`];
}

/** SIGTERM is mariadbd's clean shutdown; SIGKILL after 30 s so a wedged server never holds the test run. */
async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}
