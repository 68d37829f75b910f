/**
 * A scripted session against the sample backend, captured through the real proxy: list, read, create → update →
 * read, login → order → read, delete, a create never reused, a validation error and an error route.
 */
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { CaptureSession } from '../../src/core/capture/captureSession';
import { startSampleBackend, tmpDir } from './index';

export const SAMPLE_PASSWORD = 'demo-password';

export async function captureSampleSession(t: TestContext, db = path.join(tmpDir(t), 'traffic.db')): Promise<{ db: string; token: string }> {
  const backend = await startSampleBackend(t);
  const session = await CaptureSession.start({ mode: 'reverse', target: backend.url, port: 0, output: db });
  const base = `http://127.0.0.1:${session.address.port}`;
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> => {
    const res = await fetch(base + p, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  try {
    for (let i = 0; i < 3; i++) await call('GET', '/api/users');
    await call('GET', '/api/users/1');
    await call('GET', '/api/users/1');
    const user = await call('POST', '/api/users', { name: 'Barbara Liskov', email: 'barbara@example.com' });
    await call('PUT', `/api/users/${String(user.id)}`, { name: 'Barbara Liskov', email: 'liskov@example.com' });
    await call('GET', `/api/users/${String(user.id)}`);
    const { token } = (await call('POST', '/api/login', { username: 'demo', password: SAMPLE_PASSWORD })) as { token: string };
    const order = await call('POST', '/api/orders', { userId: user.id, items: [{ sku: 'book-42', qty: 1 }] }, { authorization: `Bearer ${token}` });
    await call('GET', `/api/orders/${String(order.id)}`, undefined, { authorization: `Bearer ${token}` });
    await call('DELETE', `/api/users/${String(user.id)}`);
    await call('POST', '/api/users', { name: 'Edsger Dijkstra', email: 'ewd@example.com' }); // created, never reused
    await call('POST', '/api/users', { name: '' }); // 422
    await call('GET', '/api/error');
    return { db, token };
  } finally {
    await session.stop();
  }
}
