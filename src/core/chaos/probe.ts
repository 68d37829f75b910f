/** HTTP probes: where a probe's URL points (only at url targets) and one call judged against its tolerance. */
import * as http from 'node:http';
import * as https from 'node:https';
import { isDeepStrictEqual } from 'node:util';
import { JSONPath } from 'jsonpath-plus';
import type { Experiment, HttpProbe, ProbeOutcome, Tolerance } from './types';

/** `api/health` → the url target 'api' + '/health'; an absolute URL must be on a url target's origin. */
export function resolveProbeUrl(probe: HttpProbe, experiment: Experiment): { url?: string; error?: string } {
  const urlTargets = Object.values(experiment.targets).filter((t) => t.kind === 'url');
  const names = urlTargets.map((t) => t.name).join(', ') || '(none)';
  if (/^https?:\/\//.test(probe.url)) {
    let origin: string;
    try {
      origin = new URL(probe.url).origin;
    } catch {
      return { error: `'${probe.url}' is not a URL` };
    }
    if (!urlTargets.some((t) => new URL(t.url).origin === origin)) return { error: `'${probe.url}' is not on a url target's origin; url targets are: ${names}` };
    return { url: probe.url };
  }
  const slash = probe.url.indexOf('/');
  const name = slash < 0 ? probe.url : probe.url.slice(0, slash);
  const target = experiment.targets[name];
  if (!target || target.kind !== 'url') return { error: `url '${probe.url}' starts with '${name}', which is not a url target; url targets are: ${names}` };
  return { url: target.url + (slash < 0 ? '' : probe.url.slice(slash)) };
}

/** Judges one answer; the reason when it fails. */
export function judge(tolerance: Tolerance, status: number, body: Buffer, latencyMs: number): string | undefined {
  const okStatus = tolerance.status ? tolerance.status.includes(status) : status >= 200 && status < 300;
  if (!okStatus) return `status ${status}, expected ${tolerance.status?.join(' or ') ?? '2xx'}`;
  if (tolerance.latencyMs !== undefined && latencyMs > tolerance.latencyMs) return `took ${Math.round(latencyMs)} ms, over ${tolerance.latencyMs} ms`;
  if (tolerance.jsonpath) {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return `the body is not JSON, so ${tolerance.jsonpath} cannot be read`;
    }
    const found = JSONPath({ path: tolerance.jsonpath, json: json as object, wrap: true }) as unknown[];
    if (!found.length) return `${tolerance.jsonpath} found nothing`;
    if ('equals' in tolerance && !found.some((v) => isDeepStrictEqual(v, tolerance.equals))) {
      return `${tolerance.jsonpath} is ${JSON.stringify(found[0])}, expected ${JSON.stringify(tolerance.equals)}`;
    }
  }
  return undefined;
}

const MAX_BODY = 1 << 20;

/** One call on a fresh connection (so proxy faults, which apply per connection, apply to every probe). */
export function callProbe(probe: HttpProbe, url: string): Promise<ProbeOutcome> {
  const started = performance.now();
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean, detail: string, status?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ probe: probe.name, ok, ...(status !== undefined ? { status } : {}), latencyMs: performance.now() - started, detail });
    };
    const req = lib.request(url, { method: probe.method, headers: probe.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) parts.push(c);
      });
      res.on('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message, res.statusCode));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const why = judge(probe.tolerance, status, Buffer.concat(parts), performance.now() - started);
        done(!why, why ?? `status ${status}`, status);
      });
    });
    const timer = setTimeout(() => done(false, `no answer in ${probe.timeoutMs} ms`), probe.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
    req.end(probe.body);
  });
}
