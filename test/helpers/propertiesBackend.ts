/**
 * The property-testing example backend (test/fixtures/properties/backend.js) started on 127.0.0.1, and a scripted
 * session against its clean version captured through the real capture proxy: health, three items created, read,
 * updated, listed, one deleted and read again (404). Authorization is redacted at capture (the scheme kept), so the model reads the
 * token from CHAOS_SECRET_AUTHORIZATION, as generated tests do.
 */
import * as http from 'node:http';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { CaptureSession } from '../../src/core/capture/captureSession';
import { listen, tmpDir, type RunningServer } from './index';

const fixture = require('../fixtures/properties/backend.js') as { createPropertiesBackend(o?: { bugs?: string[] }): http.Server; API_TOKEN: string; BUGS: string[] };

export const API_TOKEN = fixture.API_TOKEN;
export type Bug = 'use-after-free' | 'ignored-auth' | 'unexpected-field';
/** The environment a property run (or a regression test) needs: the redacted bearer token. */
export const SECRET_ENV = { CHAOS_SECRET_AUTHORIZATION: API_TOKEN };

export function startPropertiesBackend(t: TestContext, bugs: Bug[] = []): Promise<RunningServer> {
  return listen(t, fixture.createPropertiesBackend({ bugs }));
}

/** Drives the scripted session through a capture proxy in front of `base`'s backend. */
export async function drivePropertiesSession(base: string): Promise<void> {
  const auth = { authorization: `Bearer ${API_TOKEN}` };
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = auth): Promise<Record<string, unknown>> => {
    const res = await fetch(base + p, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  await call('GET', '/api/health', undefined, {});
  const ids: number[] = [];
  for (const [name, price] of [['Lamp', 25], ['Desk', 140], ['Chair', 60]] as const) {
    const created = await call('POST', '/api/items', { name, price });
    ids.push(Number(created.id));
    await call('GET', `/api/items/${String(created.id)}`);
  }
  await call('PUT', `/api/items/${ids[0]}`, { name: 'Lamp', price: 30 });
  await call('GET', '/api/items');
  await call('DELETE', `/api/items/${ids[2]}`);
  await call('GET', `/api/items/${ids[2]}`);
}

/** A fresh database with the scripted session captured against a clean backend. */
export async function capturePropertiesSession(t: TestContext): Promise<string> {
  const backend = await startPropertiesBackend(t);
  const db = path.join(tmpDir(t), 'traffic.db');
  const session = await CaptureSession.start({ mode: 'reverse', target: backend.url, port: 0, output: db });
  try {
    await drivePropertiesSession(`http://127.0.0.1:${session.address.port}`);
  } finally {
    await session.stop();
    await backend.close();
  }
  return db;
}
