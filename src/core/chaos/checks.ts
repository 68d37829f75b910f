/** The checks a schema cannot make: names that must exist, targets that must fit, each driver's own check. */
import { getDriver } from './drivers';
import { jsonPathProblem, resolveProbeUrl } from './probe';
import { actionPlace } from './targets';
import type { Experiment, ExperimentProblem, Target } from './types';

export function checkExperiment(experiment: Experiment): ExperimentProblem[] {
  const problems: ExperimentProblem[] = [];
  for (const target of Object.values(experiment.targets)) problems.push(...checkTarget(target, experiment));
  const probeNames = experiment.hypothesis.probes.map((p) => p.name);
  const seen = new Set<string>();
  for (const probe of experiment.hypothesis.probes) {
    // measure.probe and the report name probes: two of one name would make either ambiguous.
    if (seen.has(probe.name)) problems.push({ path: [...probe.at, 'name'], message: `steady-state-hypothesis.probes[${String(probe.at[2])}]: the name '${probe.name}' is taken by an earlier probe; give each probe its own name` });
    seen.add(probe.name);
    const { error } = resolveProbeUrl(probe, experiment);
    if (error) problems.push({ path: [...probe.at, 'provider', 'url'], message: `steady-state-hypothesis.probes[${String(probe.at[2])}] '${probe.name}': ${error}` });
    const jsonpath = probe.tolerance.jsonpath;
    const why = jsonpath === undefined ? undefined : jsonPathProblem(jsonpath);
    if (why) problems.push({ path: [...probe.at, 'tolerance', 'jsonpath'], message: `steady-state-hypothesis.probes[${String(probe.at[2])}] '${probe.name}': tolerance.jsonpath ${JSON.stringify(jsonpath)} cannot be parsed: ${why}` });
  }
  if (!probeNames.includes(experiment.measure.probe)) {
    problems.push({ path: ['measure', 'probe'], message: `measure.probe: '${experiment.measure.probe}' is not a probe of the hypothesis; probes are: ${probeNames.join(', ')}` });
  }
  for (const action of experiment.rollbacks) {
    // The file's rollbacks run after every fault is undone, and nothing undoes them: a fault there would stay.
    const restores = action.kind === 'process-kill' && (action.arguments as { restart?: boolean }).restart === true;
    if (!restores) problems.push({ path: [...action.at, 'provider', 'type'], message: `${actionPlace(action)}: a ${action.kind} here would add a fault that nothing undoes (each method action is undone on its own); rollbacks take only process-kill with restart: true` });
  }
  for (const action of [...experiment.method, ...experiment.rollbacks]) {
    if (!experiment.targets[action.target]) {
      const names = Object.keys(experiment.targets).join(', ');
      problems.push({ path: [...action.at, 'provider', 'target'], message: `${actionPlace(action)}: target '${action.target}' is not defined; targets are: ${names}` });
      continue;
    }
    const driver = getDriver(action.kind);
    if (!driver) {
      problems.push({ path: [...action.at, 'provider', 'type'], message: `${actionPlace(action)}: action kind '${action.kind}' is not available in this build` });
      continue;
    }
    problems.push(...driver.check(action as never, experiment));
  }
  return problems;
}

function checkTarget(target: Target, experiment: Experiment): ExperimentProblem[] {
  const at = ['targets', target.name];
  const place = `targets.${target.name}`;
  switch (target.kind) {
    case 'process': {
      const problems: ExperimentProblem[] = [];
      if (!target.pidFile && !target.match) problems.push({ path: [...at, 'process'], message: `${place}: a process target needs 'pidFile' or 'match' (a part of its command line)` });
      for (const dep of target.dependsOn) {
        if (experiment.targets[dep]?.kind !== 'process') problems.push({ path: [...at, 'process', 'dependsOn'], message: `${place}.dependsOn: '${dep}' is not a process target` });
      }
      return problems;
    }
    case 'proxy': {
      const local = target.listen !== undefined || target.upstream !== undefined;
      const remote = target.api !== undefined || target.proxy !== undefined;
      if (local === remote || (local && !(target.listen && target.upstream)) || (remote && !(target.api && target.proxy))) {
        return [{ path: [...at, 'proxy'], message: `${place}: a proxy target is either listen + upstream (the run starts it) or api + proxy (a running 'chaos-testing proxy')` }];
      }
      const hostPorts = local ? { listen: target.listen!, upstream: target.upstream! } : { api: target.api! };
      return Object.entries(hostPorts).flatMap(([k, v]) => {
        const m = /^(?:\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(v);
        if (!m) return [{ path: [...at, 'proxy', k], message: `${place}.${k}: '${v}' must be HOST:PORT, e.g. 127.0.0.1:6380` }];
        const port = Number(m[1]);
        // Only the proxy the run starts may take any free port (0).
        const lowest = k === 'listen' ? 0 : 1;
        if (port < lowest || port > 65535) return [{ path: [...at, 'proxy', k], message: `${place}.${k}: port ${port} in '${v}' is out of range; a port is ${lowest}-65535` }];
        return [];
      });
    }
    case 'url':
      try {
        new URL(target.url);
        return [];
      } catch {
        return [{ path: [...at, 'url'], message: `${place}.url: '${target.url}' is not a valid URL (check the host, the brackets around an IPv6 address and the port, 1-65535)` }];
      }
    default:
      return [];
  }
}
