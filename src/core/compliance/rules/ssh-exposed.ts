import { isSeq } from 'yaml';
import { parseDockerfile } from '../detect/dockerfile';
import { composeServices, entry, mapsIn, podSpecs, rangeOf, scalar, yamlOf } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import { lineAt, type Hit, type Rule } from './rule';

function scan(file: WorkspaceFile): Hit[] {
  if (file.kind === 'dockerfile') {
    return parseDockerfile(file.text)
      .filter((i) => i.keyword === 'EXPOSE' && i.args.split(/\s+/).some((p) => /^22(\/tcp)?$/.test(p)))
      .map((i) => ({ message: `${file.path} exposes SSH (port 22)`, evidence: `EXPOSE ${i.args}`, at: lineAt(file.text, i.line) }));
  }
  const y = yamlOf(file);
  const hits: Hit[] = [];
  for (const pod of podSpecs(y)) {
    for (const c of pod.containers) {
      for (const p of mapsIn(entry(c, 'ports')?.value)) {
        const cp = entry(p, 'containerPort');
        if (cp && scalar(cp.value) === 22) hits.push({ message: `${pod.kind} ${pod.name} exposes SSH (containerPort 22)`, evidence: 'containerPort: 22', at: rangeOf(y, cp.key) });
      }
    }
  }
  for (const { name, service } of composeServices(y)) {
    const ports = entry(service, 'ports')?.value;
    if (!isSeq(ports)) continue;
    for (const item of ports.items) {
      if (/(^|:)22(\/tcp)?$/.test(String(scalar(item)))) hits.push({ message: `compose service '${name}' publishes SSH (port 22)`, evidence: `ports: ${String(scalar(item))}`, at: rangeOf(y, item as never) });
    }
  }
  return hits;
}

export const sshExposed: Rule = {
  id: 'ssh-exposed',
  check: 25,
  title: 'SSH exposed by a container',
  severity: 'high',
  remediation: 'Do not run or expose sshd in containers; use `kubectl exec`/`docker exec` with audited access instead.',
  files: { kinds: ['dockerfile', 'kubernetes', 'compose'], scan },
};
