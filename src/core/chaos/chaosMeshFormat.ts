/**
 * The small vocabularies of a Chaos Mesh export: DNS-1123 names, Go duration strings, and the pod selector a
 * target's `kubernetes` block becomes. Kept apart from the mapping so each is checked on its own.
 */
import { InputError } from '../errors';
import type { Experiment, KubernetesSelector, Target } from './types';

export const CHAOS_MESH_API_VERSION = 'chaos-mesh.org/v1alpha1';

export type Spec = Record<string, unknown>;

export type ChaosMeshKind = 'PodChaos' | 'NetworkChaos' | 'StressChaos' | 'IOChaos' | 'TimeChaos' | 'HTTPChaos';

export interface KubeResource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: Spec;
}

/** The template field that carries each chaos kind's spec inside a Workflow. */
export const TEMPLATE_FIELD: Record<ChaosMeshKind | 'StatusCheck', string> = {
  PodChaos: 'podChaos',
  NetworkChaos: 'networkChaos',
  StressChaos: 'stressChaos',
  IOChaos: 'ioChaos',
  TimeChaos: 'timeChaos',
  HTTPChaos: 'httpChaos',
  StatusCheck: 'statusCheck',
};

/** A Kubernetes object name (and label value): lowercase alphanumerics and '-', alphanumeric at both ends, ≤ 63. */
export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS_1123_LABEL.test(name);
}

/** `text` as a DNS-1123 label of at most `max` characters ('chaos' when nothing usable is left). */
export function dns1123(text: string, max = 63): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return name || 'chaos';
}

/**
 * Hands out unique DNS-1123 names: a repeat gets '-2', '-3'… (shortened to fit). Workflow template names are kept
 * at 50 characters because Chaos Mesh names each node '<template>-<random suffix>', which must stay a 63-char label.
 */
export class Namer {
  private readonly _used = new Set<string>();
  constructor(private readonly _max = 50) {}

  name(...parts: string[]): string {
    const base = dns1123(parts.filter(Boolean).join('-'), this._max);
    let name = base;
    for (let n = 2; this._used.has(name); n++) name = `${dns1123(base, this._max - String(n).length - 1)}-${n}`;
    this._used.add(name);
    return name;
  }
}

/**
 * Milliseconds as a Go duration in one unit ('30s', '1500ms', '-1h'): Chaos Mesh parses durations with Go's
 * time.ParseDuration, and NetworkChaos's delay fields accept only a single number and unit.
 */
export function goDuration(ms: number): string {
  const whole = Math.round(ms);
  for (const [size, unit] of [[3_600_000, 'h'], [60_000, 'm'], [1000, 's']] as const) {
    if (whole !== 0 && whole % size === 0) return `${whole / size}${unit}`;
  }
  return `${whole}ms`;
}

/** Whole seconds, at least 1 (StatusCheck's interval and timeout are integer seconds ≥ 1). */
export function wholeSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

export interface PodSelector {
  namespaces: string[];
  labelSelectors: Record<string, string>;
}

/** The pods a target lives in, or a one-line error telling the user what to add to the file. */
export function kubernetesOf(experiment: Experiment, targetName: string): KubernetesSelector & { target: Target } {
  const target = experiment.targets[targetName];
  const where = experiment.file ? ` in ${experiment.file}` : '';
  if (!target) throw new InputError(`the experiment names a target '${targetName}' that is not under targets${where}`);
  const k8s = target.kubernetes;
  if (!k8s) {
    throw new InputError(
      `target '${targetName}' has no kubernetes block, so the Chaos Mesh export cannot select its pods; add kubernetes: {namespace: NS, labels: {app: NAME}} to it${where}`,
    );
  }
  if (!Object.keys(k8s.labels ?? {}).length) {
    throw new InputError(`target '${targetName}': kubernetes.labels is empty, which would select every pod in namespace '${k8s.namespace}'; name the pods' labels${where}`);
  }
  return { ...k8s, target };
}

export function podSelector(k8s: KubernetesSelector): PodSelector {
  return { namespaces: [k8s.namespace], labelSelectors: { ...k8s.labels } };
}

/** A stable key for "the same pods", to avoid selecting one set of pods twice. */
export function selectorKey(k8s: KubernetesSelector): string {
  return JSON.stringify([k8s.namespace, Object.entries(k8s.labels).sort(([a], [b]) => a.localeCompare(b))]);
}
