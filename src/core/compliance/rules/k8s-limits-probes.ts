import { isMap } from 'yaml';
import { entry, mapsIn, podSpecs, rangeOf, yamlOf } from '../detect/yamlDocs';
import type { Hit, Rule } from './rule';

export const k8sLimitsProbes: Rule = {
  id: 'k8s-limits-probes',
  check: 31,
  title: 'Container without resource limits or health probes',
  severity: 'low',
  remediation: 'Give every container `resources.limits` (cpu, memory) and `readinessProbe` + `livenessProbe`, so one pod cannot starve the node and dead pods get restarted.',
  files: {
    kinds: ['kubernetes'],
    scan: (file) => {
      const y = yamlOf(file);
      const hits: Hit[] = [];
      for (const pod of podSpecs(y)) {
        const init = new Set(mapsIn(pod.spec.get('initContainers', true)));
        for (const c of pod.containers) {
          if (init.has(c)) continue;
          const limits = entry(entry(c, 'resources')?.value, 'limits')?.value;
          const missing = [
            ...(['cpu', 'memory'].filter((r) => !isMap(limits) || !entry(limits, r)).map((r) => `limits.${r}`)),
            ...(['livenessProbe', 'readinessProbe'].filter((p) => !entry(c, p))),
          ];
          if (!missing.length) continue;
          const name = String(c.get('name') ?? '?');
          hits.push({ message: `${pod.kind} ${pod.name}: container '${name}' has no ${missing.join(', ')}`, evidence: `missing ${missing.join(', ')}`, at: rangeOf(y, entry(c, 'name')?.key ?? c) });
        }
      }
      return hits;
    },
  },
};
