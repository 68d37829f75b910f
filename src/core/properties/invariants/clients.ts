/**
 * Direct connections an invariant judges with (never through the fault proxy): PostgreSQL with `pg`, Redis with
 * `ioredis`, loaded on first use. Each call is bounded in time; a server that is not there is a one-line error.
 */
import { InputError } from '../../errors';

export interface SqlClient {
  query(text: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface RedisReader {
  /** Every value in a list, or every field value of every entry of a stream (strings), oldest first. */
  items(key: string): Promise<string[]>;
  close(): Promise<void>;
}

const TIMEOUT_MS = 10_000;
const MAX_ITEMS = 100_000;

function checkUrl(url: string, schemes: string[], what: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`${what} '${url}' is not a URL, e.g. ${schemes[0]}//user@127.0.0.1:5432/db`);
  }
  if (!schemes.includes(u.protocol)) throw new InputError(`${what} '${url}' must start with ${schemes.join(' or ')}//`);
}

export async function connectSql(url: string, what: string): Promise<SqlClient> {
  checkUrl(url, ['postgres:', 'postgresql:'], what);
  const { Client } = (await import('pg')).default;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS, query_timeout: TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw new InputError(`${what}: cannot connect to PostgreSQL at ${new URL(url).host} (${(e as Error).message})`);
  }
  return {
    async query(text, params = []) {
      try {
        return (await client.query(text, params)).rows as Array<Record<string, unknown>>;
      } catch (e) {
        throw new InputError(`${what}: the query '${text}' failed: ${(e as Error).message}`);
      }
    },
    close: () => client.end().catch(() => undefined),
  };
}

export async function connectRedis(url: string, what: string): Promise<RedisReader> {
  checkUrl(url, ['redis:'], what);
  const Redis = (await import('ioredis')).default;
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: TIMEOUT_MS, commandTimeout: TIMEOUT_MS, maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    throw new InputError(`${what}: cannot connect to Redis at ${new URL(url).host} (${(e as Error).message})`);
  }
  return {
    async items(key) {
      const type = await redis.type(key);
      if (type === 'none') return [];
      if (type === 'list') return redis.lrange(key, 0, MAX_ITEMS - 1);
      if (type === 'stream') {
        const entries = await redis.xrange(key, '-', '+', 'COUNT', MAX_ITEMS);
        return entries.map(([, fields]) => fields.filter((_, i) => i % 2 === 1).join(' '));
      }
      throw new InputError(`${what}: Redis key '${key}' is a ${type}; queue_message_preservation reads lists and streams`);
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
