/**
 * `chaos export --to chaos-mesh`: an experiment as Chaos Mesh custom resources, to run on a cluster with kubectl.
 *
 * The default form is one Workflow that keeps the experiment's order and its steady state: a StatusCheck before the
 * method (abort if unhealthy), the method's steps in series (Suspends for the pauses) watched by a continuous
 * StatusCheck in parallel, and a StatusCheck after it for recovery. The `resources` form gives one chaos resource per
 * action instead (each starts when applied), for running a single fault by hand.
 */
import { writeOutputFile } from '../outputFile';
import YAML from 'yaml';
import { InputError, UsageError } from '../errors';
import type { Experiment } from './types';
import { CHAOS_MESH_API_VERSION, Namer, TEMPLATE_FIELD, dns1123, goDuration, isDns1123Label, type KubeResource } from './chaosMeshFormat';
import { actionStep, type Spec, type Step } from './chaosMeshFaults';
import { steadyStateSteps } from './chaosMeshSteadyState';
import { ChaosMeshValidator, findCrdDir } from './chaosMeshValidate';

export interface ChaosMeshOptions {
  /** Where the resources are created (default: the first target's kubernetes namespace, else 'default'). */
  namespace?: string;
  /** The Workflow's name (default: from the experiment's title). */
  name?: string;
  form?: 'workflow' | 'resources';
  /** The origin the cluster reaches the probed service at, e.g. http://api.shop.svc:3000. */
  probeOrigin?: string;
}

export type { KubeResource };

export interface ChaosMeshExport {
  resources: KubeResource[];
  warnings: string[];
}

const LABELS = { 'app.kubernetes.io/managed-by': 'chaos-testing' };

export function exportToChaosMesh(experiment: Experiment, options: ChaosMeshOptions = {}): ChaosMeshExport {
  const warnings: string[] = [];
  const warn = (line: string) => void (warnings.includes(line) || warnings.push(line));
  const namespace = options.namespace ?? Object.values(experiment.targets).find((t) => t.kubernetes)?.kubernetes?.namespace ?? 'default';
  if (!isDns1123Label(namespace)) {
    throw new InputError(`namespace '${namespace}' is not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63)`);
  }
  if (options.probeOrigin !== undefined && !isHttpUrl(options.probeOrigin)) {
    throw new UsageError(`--probe-origin '${options.probeOrigin}' is not an http(s) URL; give the Service's origin, e.g. http://api.shop.svc:3000`);
  }
  const namer = new Namer();
  const ctx = { experiment, namer, warn, probeOrigin: options.probeOrigin };
  const steps = experiment.method.map((action) => ({ action, step: actionStep(action, ctx) }));
  if (experiment.rollbacks.length) warn('rollbacks are not exported: Chaos Mesh recovers each fault itself when its duration ends');
  const resource = (kind: string, name: string, spec: Spec): KubeResource => ({
    apiVersion: CHAOS_MESH_API_VERSION,
    kind,
    metadata: { name, namespace, labels: { ...LABELS } },
    spec,
  });

  if (options.form === 'resources') {
    const resources = steps.flatMap(({ step }) => {
      const chaos = step.type === 'parallel' && step.children.every((c) => c.type === 'chaos') ? step.children : [step];
      return chaos.map((s) =>
        s.type === 'chaos' ? resource(s.kind, s.name, { ...s.spec, duration: goDuration(s.durationMs) }) : resource('Workflow', s.name, workflowSpec(s)),
      );
    });
    return { resources, warnings };
  }

  const method: Step[] = [];
  for (const { action, step } of steps) {
    if (action.pauseBeforeMs > 0) method.push({ type: 'suspend', name: namer.name(action.name, 'pause-before'), durationMs: action.pauseBeforeMs });
    method.push(step);
    if (action.pauseAfterMs > 0) method.push({ type: 'suspend', name: namer.name(action.name, 'pause-after'), durationMs: action.pauseAfterMs });
  }
  const methodStep: Step = { type: 'serial', name: namer.name('method'), children: method };
  const { before, watch, after } = steadyStateSteps(ctx, stepDuration(methodStep));
  const during: Step = watch ? { type: 'parallel', name: namer.name('method-watched'), children: [watch, methodStep] } : methodStep;
  const entry: Step = { type: 'serial', name: namer.name('experiment'), children: [before, during, after].filter((s): s is Step => !!s) };
  const name = options.name ?? dns1123(experiment.title);
  if (!isDns1123Label(name)) {
    throw new InputError(`name '${name}' is not a Kubernetes name (lowercase letters, digits and '-', at most 63)`);
  }
  return { resources: [resource('Workflow', name, workflowSpec(entry))], warnings };
}

function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** How long a step runs: a serial chain adds up, a parallel group lasts as long as its longest child. */
export function stepDuration(step: Step): number {
  if (!('children' in step)) return step.durationMs;
  const durations = step.children.map(stepDuration);
  return step.type === 'serial' ? durations.reduce((sum, d) => sum + d, 0) : Math.max(0, ...durations);
}

/** A Workflow's spec: `entry` and every template under it, flattened (children refer to templates by name). */
function workflowSpec(entry: Step): Spec {
  const templates: Spec[] = [];
  const add = (step: Step): string => {
    switch (step.type) {
      case 'chaos':
        templates.push({ name: step.name, templateType: step.kind, deadline: goDuration(step.durationMs), [TEMPLATE_FIELD[step.kind]]: step.spec });
        break;
      case 'suspend':
        templates.push({ name: step.name, templateType: 'Suspend', deadline: goDuration(step.durationMs) });
        break;
      case 'status-check':
        templates.push({ name: step.name, templateType: 'StatusCheck', deadline: goDuration(step.durationMs), abortWithStatusCheck: step.abort, statusCheck: step.spec });
        break;
      default: {
        const template: Spec = { name: step.name, templateType: step.type === 'serial' ? 'Serial' : 'Parallel', children: [] as string[] };
        templates.push(template);
        template.children = step.children.map(add);
      }
    }
    return step.name;
  };
  return { entry: add(entry), templates };
}

/** Multi-document YAML, one document per resource, ready for `kubectl apply -f -`. */
export function toYaml(resources: object[]): string {
  return resources.map((r) => `---\n${YAML.stringify(r, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}

export interface ChaosExportRequest {
  /** The experiment's file, when it came from one: --out may not name it. */
  source?: string;
  /** The experiment file, already parsed. */
  experiment: Experiment;
  to: string;
  namespace?: string;
  name?: string;
  form?: 'workflow' | 'resources';
  probeOrigin?: string;
  /** Write the YAML here instead of returning it. */
  out?: string;
  /** Check every resource against the Chaos Mesh CRDs before writing (needs the CRD directory). */
  validate?: boolean;
  crdDir?: string;
}

/**
 * What `chaos export` prints: the YAML (warnings as '# warning:' comments on top), or, with `out`, a line saying
 * what was written there (and the warnings).
 */
export function runChaosExport(request: ChaosExportRequest): string {
  if (request.to !== 'chaos-mesh') throw new UsageError(`--to '${request.to}' is not an export target; use --to chaos-mesh`);
  const { resources, warnings } = exportToChaosMesh(request.experiment, request);
  if (request.validate) {
    const dir = request.crdDir ?? findCrdDir();
    if (!dir) throw new UsageError('--validate needs the Chaos Mesh CRDs (../shared/data/chaos-mesh-crds beside the project); give their directory with --crds DIR');
    const problems = ChaosMeshValidator.fromDirectory(dir).validateAll(resources);
    if (problems.length) {
      throw new InputError(`the export does not validate against the CRDs in ${dir}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    }
  }
  const comments = warnings.map((w) => `# warning: ${w}\n`).join('');
  const text = comments + toYaml(resources);
  if (!request.out) return text;
  writeOutputFile('--out', request.out, text, [request.source]);
  const kinds = [...new Set(resources.map((r) => r.kind))].join(', ');
  const checked = request.validate ? ', validated against the CRDs' : '';
  return [`wrote ${resources.length} Chaos Mesh resource${resources.length === 1 ? '' : 's'} (${kinds}) to ${request.out}${checked}`, ...warnings.map((w) => `warning: ${w}`)].join('\n') + '\n';
}
