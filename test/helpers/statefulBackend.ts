/**
 * The stateful example backend (test/fixtures/properties/statefulBackend.js) with real PostgreSQL 15 and Redis 7
 * (Debian packages postgresql and redis-server), started once per test file on loopback with temporary dirs and
 * stopped when the file ends (its top-level after(stopSystems)). Each test starts its own service, pointed at the ports its fault proxies will use.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { Client } from 'pg';
import { closedPort, listen, requireReady, type RunningServer } from './index';
import { postgresUnavailable, startPostgres, type PostgresServer } from './postgresServer';
import { launchRedisServer, type RedisServer } from './redisServer';

const fixture = require('../fixtures/properties/statefulBackend.js') as {
  createStatefulBackend(o: { pg: number; redis: number; queueRedis: number; breakerRedis: number; bugs?: string[] }): import('node:http').Server;
  SCHEMA: string;
  QUEUE_KEY: string;
};

export type StatefulBug = 'non-atomic-transfer' | 'stale-cache' | 'lost-message' | 'stuck-open-breaker';
export const QUEUE_KEY = fixture.QUEUE_KEY;

export interface Systems {
  pg: PostgresServer;
  redis: RedisServer;
  pgUrl: string;
  redisUrl: string;
}

let shared: Promise<Systems> | undefined;
let stop: (() => Promise<void>) | undefined;

/** Stops the shared servers: call it from the test file's top-level after(). */
export async function stopSystems(): Promise<void> {
  await shared?.catch(() => undefined);
  await stop?.();
}

/** Null when PostgreSQL and redis-server can run here, else the reason naming the Debian package. */
export function systemsUnavailable(): string | null {
  const pg = postgresUnavailable();
  if (pg) return pg;
  const hasRedis = (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, 'redis-server')));
  return hasRedis ? null : 'needs redis-server (Debian package redis-server)';
}

/** The shared servers, or undefined when the test was skipped (a failure under CI=true). */
export async function systems(t: TestContext): Promise<Systems | undefined> {
  if (!requireReady(t, systemsUnavailable())) return undefined;
  shared ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-redis-'));
    const [pg, redis] = await Promise.all([startPostgres(), launchRedisServer(dir)]);
    stop = async () => {
      await Promise.all([pg.stop(), redis.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return { pg, redis, pgUrl: `postgres://postgres@127.0.0.1:${pg.port}/postgres`, redisUrl: `redis://127.0.0.1:${redis.port}` };
  })();
  return shared;
}

/** Fresh accounts (1, 2, 3 with 500 each), an empty cache and queue. */
export async function resetData(sys: Systems): Promise<void> {
  const c = new Client({ connectionString: sys.pgUrl });
  await c.connect();
  try {
    await c.query(fixture.SCHEMA);
  } finally {
    await c.end();
  }
  await sys.redis.command('FLUSHALL');
}

export interface Service extends RunningServer {
  /** Where the service reaches PostgreSQL and Redis through a fault proxy: the proxies' listen ports. */
  ports: { pg: number; queueRedis: number; breakerRedis: number };
}

/**
 * The service with `bugs`, reaching PostgreSQL, the queue and the breaker's dependency at free ports where the
 * invariants' proxies will listen (`direct` names those that go straight to the server instead).
 */
export async function startService(t: TestContext, sys: Systems, bugs: StatefulBug[] = [], direct: Array<'pg' | 'queueRedis' | 'breakerRedis'> = []): Promise<Service> {
  const ports = {
    pg: direct.includes('pg') ? sys.pg.port : await closedPort(),
    queueRedis: direct.includes('queueRedis') ? sys.redis.port : await closedPort(),
    breakerRedis: direct.includes('breakerRedis') ? sys.redis.port : await closedPort(),
  };
  const server = await listen(t, fixture.createStatefulBackend({ ...ports, redis: sys.redis.port, bugs }));
  return { ...server, ports };
}
