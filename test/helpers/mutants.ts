/**
 * Mutated backends for proving generated suites: a small proxy in front of a real backend that changes one
 * thing about its behaviour. A suite that still passes against a mutant missed a regression.
 */
import * as http from 'node:http';
import type { TestContext } from 'node:test';
import { listen, type RunningServer } from './index';

export type Mutation = 'status' | 'removed-field' | 'field-type' | 'stable-value' | 'content-type' | 'renamed-route';
export const MUTATIONS: Mutation[] = ['status', 'removed-field', 'field-type', 'stable-value', 'content-type', 'renamed-route'];

/** Changes a decoded JSON body; returns it (or a replacement). */
function mutateJson(m: Mutation, body: unknown): unknown {
  const walk = (v: unknown, f: (o: Record<string, unknown>) => void): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x, f));
    else if (v && typeof v === 'object') {
      f(v as Record<string, unknown>);
      Object.values(v).forEach((x) => walk(x, f));
    }
  };
  if (m === 'removed-field') walk(body, (o) => delete o.email);
  if (m === 'field-type') walk(body, (o) => typeof o.id === 'number' && (o.id = String(o.id)));
  if (m === 'stable-value') walk(body, (o) => o.name === 'Ada Lovelace' && (o.name = 'Ada King'));
  return body;
}

/** A proxy to `target` with one mutation applied to every exchange it can apply to. */
export async function startMutant(t: TestContext, target: string, m: Mutation): Promise<RunningServer> {
  const upstream = new URL(target);
  return listen(t, http.createServer((req, res) => {
    let url = req.url ?? '/';
    if (m === 'renamed-route') {
      // The backend moved /api/users to /api/people.
      if (url.startsWith('/api/users')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'not found' }));
        return;
      }
      url = url.replace(/^\/api\/people/, '/api/users');
    }
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: req.headers }, (ur) => {
      const chunks: Buffer[] = [];
      ur.on('data', (c: Buffer) => chunks.push(c));
      ur.on('end', () => {
        let status = ur.statusCode ?? 502;
        const headers = { ...ur.headers };
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        let text = Buffer.concat(chunks).toString('utf8');
        if (m === 'status' && status === 200 && req.method === 'GET') status = 203;
        if (m === 'content-type' && /json/.test(String(headers['content-type']))) headers['content-type'] = 'text/plain; charset=utf-8';
        if (/json/.test(String(ur.headers['content-type'])) && text) {
          try {
            text = JSON.stringify(mutateJson(m, JSON.parse(text)));
          } catch {
            // not JSON after all: passed through
          }
        }
        res.writeHead(status, headers);
        res.end(text);
      });
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  }));
}
