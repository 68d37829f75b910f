/**
 * The steady-state hypothesis as Chaos Mesh StatusChecks (HTTP only, status codes only): checked once before the
 * method (abort if unhealthy), watched continuously while the method runs (recorded, never aborting: the faults are
 * expected to hurt), and checked after it until `consecutive` successes in a row or the recovery timeout.
 */
import { InputError } from '../errors';
import type { Experiment, HttpProbe } from './types';
import { wholeSeconds, type Namer } from './chaosMeshFormat';
import type { Spec, Step } from './chaosMeshFaults';

export interface SteadyStateContext {
  experiment: Experiment;
  namer: Namer;
  warn(line: string): void;
  /** Replaces the origin of every probe URL (e.g. http://api.shop.svc:3000): the URL the cluster reaches. */
  probeOrigin?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function steadyStateSteps(ctx: SteadyStateContext, methodMs: number): { before?: Step; watch?: Step; after?: Step } {
  const { experiment } = ctx;
  const checks = experiment.hypothesis.probes.map((probe) => ({ probe, http: httpCheck(probe, ctx) })).filter((c) => c.http);
  if (!checks.length) {
    ctx.warn('the steady-state hypothesis has no probe a StatusCheck can send, so the Workflow runs the method unchecked');
    return {};
  }
  const intervalSeconds = wholeSeconds(experiment.measure.intervalMs);
  const check = (name: string, probe: HttpProbe, http: Spec, phase: 'before' | 'watch' | 'after'): Step => {
    const timeoutSeconds = wholeSeconds(probe.timeoutMs);
    const successThreshold = phase === 'after' ? Math.max(1, experiment.measure.consecutiveSuccesses) : 1;
    const failureThreshold = phase === 'after' ? Math.max(1, Math.ceil(experiment.measure.recoveryTimeoutMs / (intervalSeconds * 1000))) : 1;
    const spec = { mode: phase === 'watch' ? 'Continuous' : 'Synchronous', type: 'HTTP', intervalSeconds, timeoutSeconds, successThreshold, failureThreshold, http };
    const attempts = (successThreshold + failureThreshold) * intervalSeconds + timeoutSeconds;
    const durationMs = phase === 'watch' ? methodMs : attempts * 1000;
    return { type: 'status-check', name: ctx.namer.name(name), spec, durationMs, abort: phase !== 'watch' };
  };
  const all = (phase: 'before' | 'after'): Step => {
    const steps = checks.map(({ probe, http }) => check(`${phase}-${probe.name}`, probe, http!, phase));
    return steps.length === 1 ? steps[0] : { type: 'parallel', name: ctx.namer.name('steady-state', phase), children: steps };
  };
  const watched = checks.find((c) => c.probe.name === experiment.measure.probe) ?? checks[0];
  return { before: all('before'), watch: check(`watch-${watched.probe.name}`, watched.probe, watched.http!, 'watch'), after: all('after') };
}

/** The StatusCheck's `http` for one probe, or undefined (with a warning) when Chaos Mesh cannot send it. */
function httpCheck(probe: HttpProbe, ctx: SteadyStateContext): Spec | undefined {
  const method = probe.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    ctx.warn(`probe '${probe.name}' sends ${method}; a Chaos Mesh StatusCheck sends only GET or POST, so it is left out`);
    return undefined;
  }
  const { tolerance } = probe;
  if (tolerance.jsonpath !== undefined || tolerance.latencyMs !== undefined) {
    ctx.warn(`probe '${probe.name}': a StatusCheck checks only the status code; its jsonpath and latency tolerances are not exported`);
  }
  const url = probeUrl(probe, ctx);
  const headers = Object.fromEntries(Object.entries(probe.headers).map(([k, v]) => [k, [v]]));
  return {
    url,
    method,
    criteria: { statusCode: statusCriteria(probe, ctx) },
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(probe.body !== undefined ? { body: probe.body } : {}),
  };
}

/** A StatusCheck takes one code or one inclusive range ('200-299'). */
function statusCriteria(probe: HttpProbe, ctx: SteadyStateContext): string {
  const codes = [...new Set(probe.tolerance.status ?? [])].sort((a, b) => a - b);
  if (!codes.length) return '200-299';
  if (codes.length === 1) return String(codes[0]);
  const [low, high] = [codes[0], codes[codes.length - 1]];
  if (high - low + 1 !== codes.length) ctx.warn(`probe '${probe.name}': a StatusCheck takes one range of codes, so ${codes.join(', ')} becomes ${low}-${high}`);
  return `${low}-${high}`;
}

/** The probe's absolute URL ('api/health' resolves against the url target 'api'), moved to `probeOrigin` if given. */
function probeUrl(probe: HttpProbe, ctx: SteadyStateContext): string {
  let text = probe.url;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const [name, ...rest] = text.split('/');
    const target = ctx.experiment.targets[name];
    if (!target || target.kind !== 'url') throw new InputError(`probe '${probe.name}': '${text}' names no url target; write TARGET/path or an absolute URL`);
    text = `${target.url.replace(/\/+$/, '')}/${rest.join('/')}`;
  }
  const url = new URL(text);
  if (ctx.probeOrigin) {
    const origin = new URL(ctx.probeOrigin);
    url.protocol = origin.protocol;
    url.host = origin.host;
  } else if (LOOPBACK.has(url.hostname)) {
    ctx.warn(`probe '${probe.name}' calls ${url.origin}, which inside the cluster is the checking pod itself; give the Service's URL with --probe-origin (e.g. http://api.shop.svc:3000)`);
  }
  return url.toString();
}
