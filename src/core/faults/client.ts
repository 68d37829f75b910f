/** A small client of the fault API (api.ts), for the CLI and the extension. */
import * as http from 'node:http';
import { ChaosError, UsageError } from '../errors';
import { LOOPBACK } from './api';
import { parseHostPort } from './tcpProxy';

export const DEFAULT_API = '127.0.0.1:8474';

/** Calls the API at HOST:PORT; returns the JSON answer, or throws a one-line ChaosError (the API's own message). */
export function callFaultApi(api: string, method: string, path: string, body?: unknown): Promise<unknown> {
  // The API listens on loopback only: any other address is a mistake, and is not looked up or called.
  let host: string;
  try {
    host = parseHostPort(api, 'the fault API address').host;
  } catch (e) {
    return Promise.reject(new UsageError((e as Error).message));
  }
  if (!LOOPBACK.has(host)) return Promise.reject(new UsageError(`the fault API address '${api}' is not loopback: the API listens on 127.0.0.1, ::1 or localhost only`));
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const url = new URL(path, `http://${api}`);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: 10_000, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: unknown;
        try {
          json = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          return reject(new ChaosError('CT_API', `the fault API at ${api} answered ${res.statusCode} with something that is not JSON`));
        }
        if ((res.statusCode ?? 500) >= 400) {
          const message = (json as { error?: unknown } | undefined)?.error;
          return reject(new ChaosError('CT_API', typeof message === 'string' ? message : `the fault API answered ${res.statusCode}`));
        }
        resolve(json);
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const hint = e.code === 'ECONNREFUSED' ? "; start one with 'chaos-testing proxy'" : '';
      reject(new ChaosError('CT_API', `no fault API at ${api} (${e.code ?? e.message})${hint}`));
    });
    req.end(payload);
  });
}
