import { isMap, isSeq, type Node } from 'yaml';
import { parseDockerfile } from '../detect/dockerfile';
import { describeSecret } from '../detect/mask';
import { positionOf } from '../detect/position';
import { SECRET_NAME, findSecrets, isLiteralSecret } from '../detect/secrets';
import { composeServices, entry, podSpecs, rangeOf, scalar, yamlOf } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import { lineAt, type Hit, type Rule } from './rule';

function named(file: WorkspaceFile, name: string, value: string, at: Hit['at']): Hit {
  return { key: `${file.path}:${at?.line}`, message: `${file.path}: ${name} holds a literal secret`, evidence: describeSecret(`value of ${name}`, value.trim().replace(/^["']|["']$/g, '')), at };
}

/** Patterned secrets (keys, tokens, private keys) anywhere in the text. */
function patterned(file: WorkspaceFile): Hit[] {
  return findSecrets(file.text).map((s) => {
    const a = positionOf(file.text, s.index);
    return { key: `${file.path}:${a.line}`, message: `${file.path}: ${s.kind} in the file`, evidence: describeSecret(s.kind, s.value), at: { ...a, endLine: a.line, endColumn: a.column + Math.min(s.value.length, 200) } };
  });
}

function keyValues(file: WorkspaceFile, re: RegExp): Hit[] {
  const hits: Hit[] = [];
  file.text.split(/\r?\n/).forEach((l, i) => {
    const m = re.exec(l);
    if (m && SECRET_NAME.test(m[1]) && isLiteralSecret(m[2])) hits.push(named(file, m[1], m[2], lineAt(file.text, i + 1)));
  });
  return hits;
}

function yamlEnv(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const hits: Hit[] = [];
  const check = (name: string, value: unknown, node: Node | null | undefined): void => {
    if (typeof value === 'string' && SECRET_NAME.test(name) && isLiteralSecret(value)) hits.push(named(file, name, value, rangeOf(y, node)));
  };
  for (const pod of podSpecs(y)) {
    for (const c of pod.containers) {
      const env = entry(c, 'env')?.value;
      if (!isSeq(env)) continue;
      for (const e of env.items) if (isMap(e)) check(String(e.get('name')), scalar(entry(e, 'value')?.value), entry(e, 'value')?.key);
    }
  }
  for (const { service } of composeServices(y)) {
    const env = entry(service, 'environment')?.value;
    if (isMap(env)) for (const p of env.items) check(String(scalar(p.key)), scalar(p.value), p.key as Node);
    if (isSeq(env)) {
      for (const item of env.items) {
        const m = /^([\w.-]+)=(.*)$/.exec(String(scalar(item)));
        if (m) check(m[1], m[2], item as Node);
      }
    }
  }
  return hits;
}

function dockerfile(file: WorkspaceFile): Hit[] {
  return parseDockerfile(file.text)
    .filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')
    .flatMap((i) => {
      const m = /^([\w.-]+)(?:=|\s+)(.+)$/.exec(i.args);
      return m && SECRET_NAME.test(m[1]) && isLiteralSecret(m[2]) ? [named(file, m[1], m[2], lineAt(file.text, i.line))] : [];
    });
}

function scan(file: WorkspaceFile): Hit[] {
  const byName = file.kind === 'env' ? keyValues(file, /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)$/)
    : file.kind === 'config' ? keyValues(file, /^\s*["']?([\w.-]+)["']?\s*[:=]\s*(.+?)\s*,?$/)
    : file.kind === 'dockerfile' ? dockerfile(file)
    : yamlEnv(file);
  const lines = new Set(byName.map((h) => h.at?.line));
  return [...byName, ...patterned(file).filter((h) => !lines.has(h.at?.line))];
}

export const secretsInConfig: Rule = {
  id: 'secrets-in-config',
  check: 21,
  title: 'Secret in environment or config',
  severity: 'high',
  remediation: 'Move the secret to a secret store (Kubernetes Secret via valueFrom.secretKeyRef, Docker secrets, a vault), rotate it, and keep only references in files.',
  files: { kinds: ['env', 'config', 'dockerfile', 'kubernetes', 'compose'], scan },
};
