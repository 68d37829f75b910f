/**
 * One experiment action → the Chaos Mesh chaos that does the same to the target's pods, as a `Step`: a single chaos,
 * several in parallel (a proxy fault between its upstream and each client), or a serial chain (cascading-failure).
 * chaosMesh.ts turns steps into standalone resources or Workflow templates.
 *
 * Where Chaos Mesh cannot do exactly what the local driver does, the nearest fault is chosen and a warning says so.
 */
import type { Action, ActionArguments, ActionKind, Experiment, KubernetesSelector } from './types';
import { goDuration, kubernetesOf, podSelector, selectorKey, type ChaosMeshKind, type Namer, type Spec } from './chaosMeshFormat';

export type { ChaosMeshKind, Spec };


export type Step =
  | { type: 'chaos'; name: string; kind: ChaosMeshKind; spec: Spec; durationMs: number }
  | { type: 'suspend'; name: string; durationMs: number }
  | { type: 'status-check'; name: string; spec: Spec; durationMs: number; abort: boolean }
  | { type: 'serial' | 'parallel'; name: string; children: Step[] };

export interface MapContext {
  experiment: Experiment;
  namer: Namer;
  warn(line: string): void;
}

/** pod-kill happens at once; its node only has to outlive the kill. */
const KILL_HOLD_MS = 1000;
/** tc's token bucket: the queue (bytes) and the burst; the burst is 10 ms of the rate, never less than a packet. */
const BANDWIDTH_LIMIT_BYTES = 20 * 1024 * 1024;
const MIN_BUFFER_BYTES = 1600;
/** Writes, creates and syncs fail as on a full disk. */
const ENOSPC = 28;
const WRITE_METHODS = ['write', 'create', 'mknod', 'mkdir', 'symlink', 'link', 'rename', 'setxattr', 'fsync'];

type Mapper<K extends ActionKind> = (action: Action<K>, ctx: MapContext, durationMs: number) => Step;

const MAPPERS: { [K in ActionKind]: Mapper<K> } = {
  'process-kill': (action, ctx, durationMs) => {
    const k8s = kubernetesOf(ctx.experiment, action.target);
    if (!action.arguments.restart) ctx.warn(`'${action.name}': Kubernetes restarts killed pods itself; restart: false is not exported`);
    return chaos(ctx, action.name, 'PodChaos', podKillSpec(k8s, action.arguments.signal), durationMs);
  },
  'network-partition': (action, ctx, durationMs) => network(action, ctx, durationMs, { action: 'partition' }),
  latency: (action, ctx, durationMs) => {
    const { latencyMs, jitterMs, stream } = action.arguments;
    const k8s = kubernetesOf(ctx.experiment, action.target);
    if (k8s.target.kind === 'url' && k8s.port) return httpDelay(action, ctx, durationMs, k8s);
    const delay = { latency: goDuration(latencyMs), jitter: goDuration(jitterMs), correlation: '0' };
    return network(action, ctx, durationMs, { action: 'delay', delay }, stream);
  },
  // The local fault resets a share of connections; the nearest in Chaos Mesh drops that share of packets.
  loss: (action, ctx, durationMs) =>
    network(action, ctx, durationMs, { action: 'loss', loss: { loss: String(action.arguments.percent), correlation: '0' } }, action.arguments.stream),
  bandwidth: (action, ctx, durationMs) => {
    const bytesPerSecond = Math.max(1, Math.round(action.arguments.rateKBps * 1000));
    // Chaos Mesh reads rates as tc does: 'kbps' is kilobytes (1000) per second, the unit of the local toxic.
    const rate = bytesPerSecond % 1000 === 0 ? `${bytesPerSecond / 1000}kbps` : `${bytesPerSecond}bps`;
    const buffer = Math.max(MIN_BUFFER_BYTES, Math.round(bytesPerSecond / 100));
    return network(action, ctx, durationMs, { action: 'bandwidth', bandwidth: { rate, limit: BANDWIDTH_LIMIT_BYTES, buffer } }, action.arguments.stream);
  },
  'cpu-throttle': (action, ctx, durationMs) => {
    const k8s = kubernetesOf(ctx.experiment, action.target);
    // The local fault leaves the target `percent` of the CPU; a stressor loading the rest is the nearest in Chaos Mesh.
    const load = Math.min(100, Math.max(0, Math.round(100 - action.arguments.percent)));
    if (load === 0) ctx.warn(`'${action.name}': percent ${action.arguments.percent} leaves the whole CPU to the target, so the stressor does nothing`);
    return chaos(ctx, action.name, 'StressChaos', { ...podTargets(k8s), stressors: { cpu: { workers: 1, load } } }, durationMs);
  },
  'memory-pressure': (action, ctx, durationMs) => {
    const k8s = kubernetesOf(ctx.experiment, action.target);
    return chaos(ctx, action.name, 'StressChaos', { ...podTargets(k8s), stressors: { memory: { workers: 1, size: `${action.arguments.mib}MiB` } } }, durationMs);
  },
  // Chaos Mesh has no fault that fills a volume; IOChaos makes writes under the directory fail with ENOSPC, which is
  // what the application sees on a full disk. The directory must be a volume mounted in the pod (volumePath).
  'disk-exhaustion': (action, ctx, durationMs) => {
    const k8s = kubernetesOf(ctx.experiment, action.target);
    const dir = k8s.target.kind === 'directory' ? k8s.target.path.replace(/\/+$/, '') || '/' : '/';
    ctx.warn(`'${action.name}': Chaos Mesh cannot fill a volume; writes under ${dir} fail with ENOSPC instead (IOChaos; ${dir} must be a volume mount in the pod)`);
    const spec = { action: 'fault', ...podTargets(k8s), volumePath: dir, path: `${dir === '/' ? '' : dir}/**/*`, errno: ENOSPC, percent: 100, methods: WRITE_METHODS };
    return chaos(ctx, action.name, 'IOChaos', spec, durationMs);
  },
  'clock-skew': (action, ctx, durationMs) => {
    const k8s = kubernetesOf(ctx.experiment, action.target);
    return chaos(ctx, action.name, 'TimeChaos', { ...podTargets(k8s), timeOffset: goDuration(action.arguments.offsetSeconds * 1000) }, durationMs);
  },
  // Killed in order with the delay between; Kubernetes restarts each pod, so there is no reverse-order restart.
  'cascading-failure': (action, ctx) => {
    const { order, delayMs } = action.arguments;
    const children: Step[] = [];
    order.forEach((targetName, i) => {
      if (i > 0 && delayMs > 0) children.push({ type: 'suspend', name: ctx.namer.name(action.name, 'wait', String(i)), durationMs: delayMs });
      const k8s = kubernetesOf(ctx.experiment, targetName);
      children.push(chaos(ctx, `${action.name}-kill-${targetName}`, 'PodChaos', podKillSpec(k8s, 'SIGKILL'), KILL_HOLD_MS));
    });
    return { type: 'serial', name: ctx.namer.name(action.name), children };
  },
};

/** The step an action becomes; its fault holds for the action's duration, or the experiment's fault phase. */
export function actionStep(action: Action, ctx: MapContext): Step {
  const mapper = MAPPERS[action.kind] as Mapper<ActionKind>;
  return mapper(action, ctx, action.durationMs ?? ctx.experiment.measure.faultMs);
}

function chaos(ctx: MapContext, name: string, kind: ChaosMeshKind, spec: Spec, durationMs: number): Step {
  return { type: 'chaos', name: ctx.namer.name(name), kind, spec, durationMs };
}

/** Every selected pod, and only the named containers when the target names some. */
function podTargets(k8s: KubernetesSelector): Spec {
  return { mode: 'all', selector: podSelector(k8s), ...(k8s.containers?.length ? { containerNames: [...k8s.containers] } : {}) };
}

function podKillSpec(k8s: KubernetesSelector, signal: ActionArguments['process-kill']['signal']): Spec {
  if (k8s.containers?.length) return { action: 'container-kill', ...podTargets(k8s) };
  // SIGKILL: no grace period; SIGTERM: the pod's own grace period.
  return { action: 'pod-kill', mode: 'all', selector: podSelector(k8s), ...(signal === 'SIGKILL' ? { gracePeriod: 0 } : {}) };
}

/**
 * A network fault. On a proxy target its `kubernetes` block is the upstream's pods (e.g. redis): the fault goes
 * between each client (the other targets that live in the cluster) and that upstream, `to` for the upstream stream
 * (requests) and `from` for the downstream one (answers); a partition cuts both ways. Chaos Mesh allows `from` and
 * `both` only with a target, so a fault without clients applies to everything the selected pods send.
 */
function network(action: Action, ctx: MapContext, durationMs: number, fault: Spec, stream?: 'upstream' | 'downstream'): Step {
  const k8s = kubernetesOf(ctx.experiment, action.target);
  const direction = fault.action === 'partition' ? 'both' : stream === 'downstream' ? 'from' : 'to';
  const clients = k8s.target.kind === 'proxy' ? clientsOf(ctx.experiment, k8s) : [];
  if (!clients.length) {
    if (k8s.target.kind === 'proxy') {
      ctx.warn(`'${action.name}': no other target has a kubernetes block, so the fault applies to all traffic the pods of '${action.target}' send`);
    }
    return chaos(ctx, action.name, 'NetworkChaos', { ...fault, mode: 'all', selector: podSelector(k8s), direction: 'to' }, durationMs);
  }
  const upstream = { mode: 'all', selector: podSelector(k8s) };
  const steps = clients.map((client) =>
    chaos(ctx, clients.length > 1 ? `${action.name}-${client.name}` : action.name, 'NetworkChaos', { ...fault, mode: 'all', selector: podSelector(client.k8s), direction, target: upstream }, durationMs),
  );
  return steps.length === 1 ? steps[0] : { type: 'parallel', name: ctx.namer.name(action.name), children: steps };
}

/** The process and url targets in the cluster other than the upstream's own pods, each set of pods once. */
function clientsOf(experiment: Experiment, upstream: KubernetesSelector): { name: string; k8s: KubernetesSelector }[] {
  const seen = new Set([selectorKey(upstream)]);
  const clients: { name: string; k8s: KubernetesSelector }[] = [];
  for (const [name, target] of Object.entries(experiment.targets)) {
    if ((target.kind !== 'process' && target.kind !== 'url') || !target.kubernetes || !Object.keys(target.kubernetes.labels).length) continue;
    const key = selectorKey(target.kubernetes);
    if (seen.has(key)) continue;
    seen.add(key);
    clients.push({ name, k8s: target.kubernetes });
  }
  return clients;
}

/** Latency on a url target that names its pods' port: HTTPChaos delays the requests (or the answers) there. */
function httpDelay(action: Action<'latency'>, ctx: MapContext, durationMs: number, k8s: KubernetesSelector): Step {
  const { latencyMs, jitterMs, stream } = action.arguments;
  if (jitterMs > 0) ctx.warn(`'${action.name}': HTTPChaos has no jitter; every request is delayed ${goDuration(latencyMs)}`);
  // HTTPChaos acts on the pod's port, not on containers.
  const spec = { mode: 'all', selector: podSelector(k8s), target: stream === 'upstream' ? 'Request' : 'Response', port: k8s.port, path: '*', delay: goDuration(latencyMs) };
  return chaos(ctx, action.name, 'HTTPChaos', spec, durationMs);
}
