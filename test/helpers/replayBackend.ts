/**
 * A small backend for chaos replay tests: items with random ids (so a replay must re-bind a created id), values
 * that change on every call (timestamps, request ids, a random load figure), and a login whose token a later
 * request sends. `captureItemsSession` captures a scripted session against it through the real capture proxy.
 */
import { randomInt, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { CaptureSession } from '../../src/core/capture/captureSession';
import { listen, tmpDir, type RunningServer } from './index';

export const ITEMS_PASSWORD = 'pw-secret';

export async function startItemsBackend(t: TestContext): Promise<RunningServer> {
  const items = new Map<number, Record<string, unknown>>([[1, { id: 1, name: 'Ada Lovelace', email: 'ada@example.com' }]]);
  const tokens = new Set<string>();
  return listen(t, http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-request-id': randomUUID(), ...headers });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/api\/items\/(\d+)$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === '/api/items') {
        const id = randomInt(1000, 1_000_000_000);
        const item = { id, name: body.name, email: body.email, createdAt: new Date().toISOString() };
        items.set(id, item);
        return send(201, item, { location: `/api/items/${id}` });
      }
      if (m && req.method === 'GET') {
        const item = items.get(Number(m[1]));
        if (!item) return send(404, { error: `item ${m[1]} not found` });
        return send(200, { ...item, servedAt: Date.now(), requestId: randomUUID(), load: Math.random() });
      }
      if (m && req.method === 'DELETE') return items.delete(Number(m[1])) ? send(204) : send(404, { error: `item ${m[1]} not found` });
      if (req.method === 'POST' && url.pathname === '/api/login') {
        if (body.password !== ITEMS_PASSWORD) return send(401, { error: 'invalid credentials' });
        const token = randomUUID();
        tokens.add(token);
        return send(200, { token });
      }
      if (req.method === 'GET' && url.pathname === '/api/me') {
        const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
        return auth && tokens.has(auth[1]) ? send(200, { username: 'demo', role: 'reader' }) : send(401, { error: 'who are you?' });
      }
      send(404, { error: 'no such route' });
    });
  }));
}

/** Read twice, create → read → delete, login → me; captured through the real proxy into a fresh database. */
export async function captureItemsSession(t: TestContext, backend: RunningServer): Promise<{ db: string; createdId: number }> {
  const db = path.join(tmpDir(t), 'traffic.db');
  const session = await CaptureSession.start({ mode: 'reverse', target: backend.url, port: 0, output: db });
  const base = `http://127.0.0.1:${session.address.port}`;
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> => {
    const res = await fetch(base + p, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  try {
    await call('GET', '/api/items/1');
    await call('GET', '/api/items/1');
    const created = await call('POST', '/api/items', { name: 'Grace Hopper', email: 'grace@example.com' });
    await call('GET', `/api/items/${String(created.id)}`);
    await call('DELETE', `/api/items/${String(created.id)}`);
    const { token } = (await call('POST', '/api/login', { username: 'demo', password: ITEMS_PASSWORD })) as { token: string };
    await call('GET', '/api/me', undefined, { authorization: `Bearer ${token}` });
    return { db, createdId: Number(created.id) };
  } finally {
    await session.stop();
  }
}
