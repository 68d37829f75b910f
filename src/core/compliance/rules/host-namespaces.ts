import { composeServices, entry, mapsIn, podSpecs, rangeOf, scalar, yamlOf } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import type { Hit, Rule } from './rule';

function kubernetes(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const hits: Hit[] = [];
  for (const pod of podSpecs(y)) {
    for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) {
      const e = entry(pod.spec, flag);
      if (e && scalar(e.value) === true) hits.push({ message: `${pod.kind} ${pod.name} shares the node's ${flag.slice(4).toLowerCase()} namespace`, evidence: `${flag}: true`, at: rangeOf(y, e.key) });
    }
    for (const c of pod.containers) {
      for (const port of mapsIn(entry(c, 'ports')?.value)) {
        const hp = entry(port, 'hostPort');
        if (hp) hits.push({ message: `${pod.kind} ${pod.name}: container '${String(c.get('name') ?? '?')}' binds hostPort ${String(scalar(hp.value))}`, evidence: `hostPort: ${String(scalar(hp.value))}`, at: rangeOf(y, hp.key) });
      }
    }
  }
  return hits;
}

function compose(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const hits: Hit[] = [];
  for (const { name, service } of composeServices(y)) {
    for (const key of ['network_mode', 'pid', 'ipc']) {
      const e = entry(service, key);
      if (e && scalar(e.value) === 'host') hits.push({ message: `compose service '${name}' uses the host's ${key === 'network_mode' ? 'network' : key.toUpperCase()} namespace`, evidence: `${key}: host`, at: rangeOf(y, e.key) });
    }
  }
  return hits;
}

export const hostNamespaces: Rule = {
  id: 'host-namespaces',
  check: 20,
  title: 'Host network, PID or IPC namespace, or hostPort',
  severity: 'high',
  remediation: 'Remove hostNetwork/hostPID/hostIPC (compose: network_mode/pid/ipc: host) and hostPort; expose the workload through a Service or published port.',
  files: { kinds: ['kubernetes', 'compose'], scan: (file) => (file.kind === 'kubernetes' ? kubernetes(file) : compose(file)) },
};
