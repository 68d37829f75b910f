import { isSeq } from 'yaml';
import { composeServices, entry, podSpecs, rangeOf, scalar, yamlOf } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import type { Hit, Rule } from './rule';

const DANGEROUS_CAPS = new Set(['ALL', 'SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'DAC_READ_SEARCH', 'NET_RAW']);

function kubernetes(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const hits: Hit[] = [];
  for (const pod of podSpecs(y)) {
    for (const c of pod.containers) {
      const ctx = entry(c, 'securityContext')?.value;
      const name = String(c.get('name') ?? '?');
      for (const flag of ['privileged', 'allowPrivilegeEscalation']) {
        const e = entry(ctx, flag);
        if (e && scalar(e.value) === true) hits.push({ message: `${pod.kind} ${pod.name}: container '${name}' sets ${flag}: true`, evidence: `${flag}: true`, at: rangeOf(y, e.key) });
      }
      const add = entry(entry(ctx, 'capabilities')?.value, 'add');
      if (add && isSeq(add.value)) {
        const caps = add.value.items.map((i) => String(scalar(i))).filter((cap) => DANGEROUS_CAPS.has(cap.replace(/^CAP_/, '')));
        if (caps.length) hits.push({ message: `${pod.kind} ${pod.name}: container '${name}' adds ${caps.join(', ')}`, evidence: `capabilities.add ${caps.join(', ')}`, at: rangeOf(y, add.key) });
      }
    }
  }
  return hits;
}

function compose(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const hits: Hit[] = [];
  for (const { name, service } of composeServices(y)) {
    const p = entry(service, 'privileged');
    if (p && scalar(p.value) === true) hits.push({ message: `compose service '${name}' is privileged`, evidence: 'privileged: true', at: rangeOf(y, p.key) });
    const add = entry(service, 'cap_add');
    if (add && isSeq(add.value)) {
      const caps = add.value.items.map((i) => String(scalar(i))).filter((cap) => DANGEROUS_CAPS.has(cap.replace(/^CAP_/, '')));
      if (caps.length) hits.push({ message: `compose service '${name}' adds ${caps.join(', ')}`, evidence: `cap_add ${caps.join(', ')}`, at: rangeOf(y, add.key) });
    }
  }
  return hits;
}

export const containerPrivileged: Rule = {
  id: 'container-privileged',
  check: 19,
  title: 'Privileged container, privilege escalation or dangerous capabilities',
  severity: 'high',
  remediation: 'Drop `privileged: true`, set `allowPrivilegeEscalation: false`, `capabilities: {drop: [ALL]}` and add back only what the process needs.',
  files: { kinds: ['kubernetes', 'compose'], scan: (file) => (file.kind === 'kubernetes' ? kubernetes(file) : compose(file)) },
};
