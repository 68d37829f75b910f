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
    if (!urlTargets.some((t) => originOf(t.url) === origin)) return { error: `'${probe.url}' is not on a url target's origin; url targets are: ${names}` };
    return { url: probe.url };
  }
  const slash = probe.url.indexOf('/');
  const name = slash < 0 ? probe.url : probe.url.slice(0, slash);
  const target = experiment.targets[name];
  if (!target || target.kind !== 'url') return { error: `url '${probe.url}' starts with '${name}', which is not a url target; url targets are: ${names}` };
  return { url: target.url + (slash < 0 ? '' : probe.url.slice(slash)) };
}

/**
 * Why a tolerance's JSONPath cannot work on any body, or undefined. jsonpath-plus compiles filter and script
 * expressions only when it first evaluates them, so each one is run once on its own against [0]: a syntax error
 * (jsep's, which carries the index) is a problem; any other error depends on the data and is the probe's to report.
 */
export function jsonPathProblem(jsonpath: string): string | undefined {
  const open: string[] = [];
  let quote: string | undefined;
  for (const ch of jsonpath) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '[' || ch === '(') open.push(ch === '[' ? ']' : ')');
    else if (ch === ']' || ch === ')') {
      if (open.pop() !== ch) return `'${ch}' has no opening '${ch === ']' ? '[' : '('}'`;
    }
  }
  if (quote) return `the quote ${quote} is not closed`;
  if (open.length) return `'${open.at(-1) === ']' ? '[' : '('}' is not closed`;
  for (const part of JSONPath.toPathArray(jsonpath)) {
    if (!/^\??\(/.test(part)) continue;
    try {
      JSONPath({ path: `$[${part}]`, json: [0], wrap: true });
    } catch (e) {
      if (typeof (e as { index?: unknown }).index === 'number') return `${part} does not compile (${e instanceof Error ? e.message : String(e)})`;
    }
  }
  return undefined;
}

/** A URL's origin; undefined for a url target that is not a URL (checkTarget reports it). */
function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
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
    let found: unknown[];
    try {
      found = JSONPath({ path: tolerance.jsonpath, json: json as object, wrap: true }) as unknown[];
    } catch (e) {
      // A filter can throw on a body of another shape (e.g. @.detail.status when detail is missing): the probe fails.
      return `${tolerance.jsonpath} cannot be evaluated on this body (${e instanceof Error ? e.message : String(e)})`;
    }
    if (!found.length) return `${tolerance.jsonpath} found nothing`;
    if ('equals' in tolerance && !found.some((v) => isDeepStrictEqual(v, tolerance.equals))) {
      return `${tolerance.jsonpath} is ${JSON.stringify(found[0])}, expected ${JSON.stringify(tolerance.equals)}`;
    }
  }
  return undefined;
}

const MAX_BODY = 1 << 20;

/**
 * One call on a fresh connection (so proxy faults, which apply per connection, apply to every probe). `signal`
 * (Ctrl-C) ends it at once as a failed call, so a run stops without waiting out the probe's timeout.
 */
export function callProbe(probe: HttpProbe, url: string, signal?: AbortSignal): Promise<ProbeOutcome> {
  const started = performance.now();
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean, detail: string, status?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
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
        // Thrown here (an event handler), an error would end the process mid-fault, before any rollback.
        let why: string | undefined;
        try {
          why = judge(probe.tolerance, status, Buffer.concat(parts), performance.now() - started);
        } catch (e) {
          why = `the tolerance could not be checked (${e instanceof Error ? e.message : String(e)})`;
        }
        done(!why, why ?? `status ${status}`, status);
      });
    });
    const timer = setTimeout(() => done(false, `no answer in ${probe.timeoutMs} ms`), probe.timeoutMs);
    const onAbort = (): void => done(false, 'stopped before an answer');
    req.on('error', (e: NodeJS.ErrnoException) => done(false, e.code ?? e.message));
    if (signal?.aborted) return done(false, 'stopped before an answer');
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end(probe.body);
  });
}
