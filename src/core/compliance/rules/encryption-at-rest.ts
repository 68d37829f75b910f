import { isMap, isSeq, type Document, type Node } from 'yaml';
import { entry, mapsIn, podSpecs, rangeOf, scalar, yamlOf, type YamlFile } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import type { Hit, Rule } from './rule';

/** EncryptionConfiguration: the first provider encrypts new writes; `identity` first stores them in clear. */
function encryptionConfig(y: YamlFile, doc: Document.Parsed, file: WorkspaceFile): Hit[] {
  return mapsIn(doc.get('resources', true)).flatMap((r) => {
    const first = mapsIn(r.get('providers', true))[0];
    const kind = first && isMap(first) ? String(scalar(first.items[0]?.key) ?? '') : '';
    if (kind !== 'identity') return [];
    const resources = isSeq(r.get('resources', true)) ? (r.toJSON() as { resources: string[] }).resources.join(', ') : '?';
    return [{ message: `${file.path}: ${resources} are written to etcd unencrypted (the first provider is identity)`, evidence: `resources: ${resources}; providers[0]: identity`, at: rangeOf(y, first.items[0]?.key as Node | undefined) }];
  });
}

/** A kube-apiserver static pod without --encryption-provider-config stores Secrets in etcd in clear. */
function apiServer(y: YamlFile, file: WorkspaceFile): Hit[] {
  return podSpecs(y).flatMap((p) => p.containers.flatMap((c) => {
    const argv = ['command', 'args'].flatMap((k) => (isSeq(c.get(k, true)) ? ((c.get(k, true) as { toJSON(): unknown[] }).toJSON()).map(String) : []));
    if (!argv.some((a) => /(^|\/)kube-apiserver$/.test(a)) || argv.some((a) => a.startsWith('--encryption-provider-config'))) return [];
    return [{ message: `${file.path}: kube-apiserver runs without --encryption-provider-config (Secrets are stored in etcd unencrypted)`, evidence: 'kube-apiserver without --encryption-provider-config', at: rangeOf(y, entry(c, 'command')?.value ?? entry(c, 'args')?.value) }];
  }));
}

/** AWS EBS StorageClass with `encrypted: "false"`: volumes are created unencrypted (unless the account enforces it). */
function storageClass(y: YamlFile, doc: Document.Parsed, file: WorkspaceFile): Hit[] {
  const e = entry(doc.get('parameters', true), 'encrypted');
  const provisioner = String(doc.get('provisioner') ?? '');
  if (!e || String(scalar(e.value)).toLowerCase() !== 'false' || !/ebs/.test(provisioner)) return [];
  return [{ message: `${file.path}: StorageClass ${String(doc.getIn(['metadata', 'name']) ?? '?')} creates unencrypted EBS volumes (encrypted: "false")`, evidence: `provisioner ${provisioner}; encrypted: "false"`, at: rangeOf(y, e.key) }];
}

export const encryptionAtRest: Rule = {
  id: 'encryption-at-rest',
  check: 27,
  title: 'Data stored without encryption at rest',
  severity: 'high',
  remediation: 'Encrypt stored data: put a real provider (kms v2, aescbc, secretbox) before identity in the EncryptionConfiguration and pass it with --encryption-provider-config; set `encrypted: "true"` (and a KMS key) on EBS StorageClasses (PCI DSS 3.5.1, NIST SC-28(1), HIPAA 164.312(a)(2)(iv)).',
  files: {
    kinds: ['kubernetes'],
    scan(file) {
      const y = yamlOf(file);
      return [
        ...y.docs.flatMap((d) => (d.get('kind') === 'EncryptionConfiguration' ? encryptionConfig(y, d, file) : d.get('kind') === 'StorageClass' ? storageClass(y, d, file) : [])),
        ...apiServer(y, file),
      ];
    },
  },
};
