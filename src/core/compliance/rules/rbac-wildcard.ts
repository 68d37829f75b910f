import { isSeq } from 'yaml';
import { entry, mapsIn, rangeOf, scalar, yamlOf } from '../detect/yamlDocs';
import type { Hit, Rule } from './rule';

export const rbacWildcard: Rule = {
  id: 'rbac-wildcard',
  check: 28,
  title: 'RBAC wildcard or cluster-admin binding',
  severity: 'high',
  remediation: 'Grant named verbs on named resources (no `*`), and bind workloads to narrow Roles instead of cluster-admin.',
  files: {
    kinds: ['kubernetes'],
    scan: (file) => {
      const y = yamlOf(file);
      const hits: Hit[] = [];
      for (const doc of y.docs) {
        const kind = doc.get('kind');
        const name = String(doc.getIn(['metadata', 'name']) ?? '?');
        if (kind === 'Role' || kind === 'ClusterRole') {
          for (const rule of mapsIn(doc.get('rules', true))) {
            for (const field of ['verbs', 'resources', 'apiGroups']) {
              const e = entry(rule, field);
              if (e && isSeq(e.value) && e.value.items.some((i) => scalar(i) === '*')) hits.push({ message: `${kind} ${name} grants '*' ${field}`, evidence: `${field}: ['*']`, at: rangeOf(y, e.key) });
            }
          }
        }
        if ((kind === 'RoleBinding' || kind === 'ClusterRoleBinding') && doc.getIn(['roleRef', 'name']) === 'cluster-admin') {
          const ref = entry(doc.get('roleRef', true), 'name');
          hits.push({ message: `${kind} ${name} binds cluster-admin`, evidence: 'roleRef.name: cluster-admin', at: rangeOf(y, ref?.value) });
        }
      }
      return hits;
    },
  },
};
