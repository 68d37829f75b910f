import { isMap, type YAMLMap } from 'yaml';
import { finalStage, parseDockerfile } from '../detect/dockerfile';
import { composeServices, entry, podSpecs, rangeOf, scalar, yamlOf, type YamlFile } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import { lineAt, type Hit, type Rule } from './rule';

const ROOT = /^(root|0)(:|$)/;

function dockerfile(file: WorkspaceFile): Hit[] {
  const stage = finalStage(parseDockerfile(file.text));
  const from = stage.find((i) => i.keyword === 'FROM');
  if (!from || /^scratch\b/i.test(from.args)) return [];
  const users = stage.filter((i) => i.keyword === 'USER');
  const last = users[users.length - 1];
  if (last && !ROOT.test(last.args.trim())) return [];
  if (last) return [{ message: `${file.path} switches to USER ${last.args} in the final stage`, evidence: `USER ${last.args}`, at: lineAt(file.text, last.line), fix: { line: last.line, replace: 'USER 10001', description: 'run as an unprivileged user (uid 10001)' } }];
  const start = stage.find((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');
  const line = start ? start.line : stage[stage.length - 1].endLine + 1;
  return [{ message: `${file.path} has no USER in its final stage: the container runs as root`, evidence: `final stage FROM ${from.args} without USER`, at: lineAt(file.text, from.line), fix: { line, insert: 'USER 10001\n', description: 'add USER 10001 before the command runs' } }];
}

function nonRoot(ctx: unknown): boolean | undefined {
  if (!isMap(ctx)) return undefined;
  if (scalar(entry(ctx, 'runAsUser')?.value) === 0) return false;
  if (scalar(entry(ctx, 'runAsNonRoot')?.value) === true) return true;
  const uid = scalar(entry(ctx, 'runAsUser')?.value);
  return typeof uid === 'number' && uid > 0 ? true : undefined;
}

function securityContextFix(y: YamlFile, container: YAMLMap): Hit['fix'] {
  const ctx = entry(container, 'securityContext');
  if (ctx && isMap(ctx.value) && ctx.value.items.length) {
    const first = rangeOf(y, ctx.value.items[0].key as never);
    return { line: first.line, insert: `${' '.repeat(first.column - 1)}runAsNonRoot: true\n`, description: 'add runAsNonRoot: true to the securityContext' };
  }
  const at = rangeOf(y, container);
  const indent = ' '.repeat(at.column - 1);
  return { line: at.line + 1, insert: `${indent}securityContext:\n${indent}  runAsNonRoot: true\n${indent}  runAsUser: 10001\n`, description: 'add a securityContext that runs as a non-root user' };
}

function kubernetes(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const hits: Hit[] = [];
  for (const pod of podSpecs(y)) {
    const podLevel = nonRoot(pod.spec.get('securityContext', true));
    for (const c of pod.containers) {
      const own = nonRoot(c.get('securityContext', true));
      if (own === true || (own === undefined && podLevel === true)) continue;
      const name = String(c.get('name') ?? '?');
      hits.push({ message: `${pod.kind} ${pod.name}: container '${name}' may run as root (no runAsNonRoot: true${own === false || podLevel === false ? ', runAsUser: 0' : ''})`, evidence: `container ${name} securityContext`, at: rangeOf(y, entry(c, 'name')?.key ?? c), fix: securityContextFix(y, c) });
    }
  }
  return hits;
}

function compose(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  return composeServices(y).flatMap(({ name, service }) => {
    const user = entry(service, 'user');
    if (!user || !ROOT.test(String(scalar(user.value)))) return [];
    return [{ message: `compose service '${name}' runs as user ${String(scalar(user.value))}`, evidence: `user: ${String(scalar(user.value))}`, at: rangeOf(y, user.key) }];
  });
}

export const containerRoot: Rule = {
  id: 'container-root',
  check: 18,
  title: 'Container runs as root',
  severity: 'high',
  remediation: 'Run as an unprivileged user: `USER 10001` in the Dockerfile\'s final stage; `securityContext: {runAsNonRoot: true, runAsUser: 10001}` in Kubernetes.',
  files: {
    kinds: ['dockerfile', 'kubernetes', 'compose'],
    scan: (file) => (file.kind === 'dockerfile' ? dockerfile(file) : file.kind === 'kubernetes' ? kubernetes(file) : compose(file)),
  },
};
