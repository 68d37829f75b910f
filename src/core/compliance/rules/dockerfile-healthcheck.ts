import { finalStage, parseDockerfile } from '../detect/dockerfile';
import { lineAt, type Rule } from './rule';

export const dockerfileHealthcheck: Rule = {
  id: 'dockerfile-healthcheck',
  check: 31,
  title: 'Dockerfile without HEALTHCHECK',
  severity: 'low',
  remediation: 'Add `HEALTHCHECK CMD <a cheap readiness command>` to the final stage (or rely on orchestrator probes and say so).',
  files: {
    kinds: ['dockerfile'],
    scan: (file) => {
      const stage = finalStage(parseDockerfile(file.text));
      const from = stage.find((i) => i.keyword === 'FROM');
      if (!from || /^scratch\b/i.test(from.args) || stage.some((i) => i.keyword === 'HEALTHCHECK')) return [];
      return [{ message: `${file.path}: the final stage has no HEALTHCHECK`, evidence: `FROM ${from.args} without HEALTHCHECK`, at: lineAt(file.text, from.line) }];
    },
  },
};
