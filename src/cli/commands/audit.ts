import * as fs from 'node:fs';
import { InputError, UsageError } from '../../core/errors';
import { FAIL_ON_LEVELS, failsAt, type FailOn } from '../../core/compliance/threshold';
import type { Framework } from '../../core/compliance/types';
import type { ParsedCommand } from '../args';
import { DB_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

const FRAMEWORK_CHOICES = ['fisma', 'fedramp', 'soc2', 'hipaa', 'pci-dss'] as const;

export const auditCommand: Command = {
  spec: {
    name: 'audit',
    summary: 'Audit captured traffic and workspace files (Dockerfile, compose, Kubernetes YAML, nginx conf, logrotate, .env, app config) against FISMA, FedRAMP Moderate, SOC 2, HIPAA and PCI-DSS controls.',
    flags: {
      framework: { type: 'string', short: 'f', value: 'NAME', default: 'all', description: 'fisma, fedramp, soc2, hipaa, pci-dss, or all (comma-separate several)' },
      input: { ...DB_FLAG, short: 'i', description: 'traffic database (skipped when it does not exist)' },
      workspace: { type: 'string', short: 'w', value: 'DIR', default: '.', description: "folder whose files are audited ('' for none)" },
      format: { type: 'string', value: 'FORMAT', default: 'text', description: 'text, json or sarif' },
      output: { type: 'string', short: 'o', value: 'FILE', description: 'write the report to FILE instead of stdout' },
      'fail-on': { type: 'string', value: 'SEVERITY', default: 'high', description: 'exit 1 when a violation is at least this severe: high, medium, low or none' },
      'image-tool': { type: 'string', value: 'NAME', default: 'auto', description: "container tool asked for the digest of unpinned images (image inspect, reads only): auto (docker, else podman, when installed), a name or path, or none" },
      'slo-5xx': { type: 'string', value: 'PCT', default: '1', description: 'slo-breach: largest acceptable share of 5xx answers per endpoint, in percent' },
      'slo-p99': { type: 'string', value: 'MS', default: '2000', description: 'slo-breach: largest acceptable p99 latency per endpoint, in milliseconds' },
      'slo-min-requests': { type: 'string', value: 'N', default: '20', description: 'slo-breach: requests an endpoint needs before its 5xx share and p99 are judged' },
      'probe-tls': { type: 'boolean', description: 'connect to each HTTPS host in the traffic to check its TLS version, cipher and certificate' },
    },
    details: [
      'Examples:',
      '  chaos-testing audit --framework pci-dss',
      '  chaos-testing audit -f all -i .chaos/traffic.db -w . --format sarif -o audit.sarif',
      '  chaos-testing audit -f hipaa,soc2 --fail-on medium --probe-tls',
      '',
      'An unpinned image gets a fix (image:tag@sha256:…) when its tag is pinned elsewhere in the workspace (a',
      'Dockerfile, compose file, Kubernetes YAML or Carvel ImagesLock) or a local docker/podman has pulled it.',
      'Evidence is masked: card numbers as first 6 + last 4 digits, SSNs as ***-**-1234, secrets never shown.',
      'An automated audit covers only the controls it can observe; the report lists what it did not assess.',
      'The run and its findings are stored in the database (runs and findings tables) unless a capture is writing it.',
      '',
      'Exit code: 0 when no violation reaches --fail-on, 1 when one does, 2 for bad flags.',
    ].join('\n'),
  },

  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    const frameworks = frameworksOf(String(flags.framework));
    const format = String(flags.format);
    if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`--format '${format}' is not one of text, json, sarif`);
    const failOn = String(flags['fail-on']) as FailOn;
    if (!FAIL_ON_LEVELS.includes(failOn)) throw new UsageError(`--fail-on '${failOn}' is not one of high, medium, low, none`);
    const input = String(flags.input);
    const workspace = flags.workspace ? String(flags.workspace) : null;
    const hasTraffic = fs.existsSync(input);
    if (!hasTraffic && !workspace) throw new InputError(`nothing to audit: no traffic database at ${input} and no --workspace; capture traffic first or pass --workspace DIR`);

    const { ComplianceFramework } = await import('../../api/complianceFramework');
    const tool = String(flags['image-tool']);
    const imageTool = tool === 'none' ? null : tool === 'auto' ? undefined : tool;
    if (imageTool && !(await import('../../core/compliance/detect/localImageDigest')).findImageTool(imageTool)) {
      throw new InputError(`--image-tool ${imageTool}: no such program on PATH; install it, or pass --image-tool auto or none`);
    }
    const slo = { max5xxShare: numberFlag(flags, 'slo-5xx') / 100, maxP99Ms: numberFlag(flags, 'slo-p99'), minRequests: numberFlag(flags, 'slo-min-requests') };
    const options = { frameworks, traffic: hasTraffic ? input : null, workspace, probeTls: Boolean(flags['probe-tls']), imageTool, slo };
    const { raw: result } = await ComplianceFramework.auditAll(frameworks, options);
    const text = format === 'json' ? JSON.stringify(result, null, 2)
      : format === 'sarif' ? JSON.stringify((await import('../../core/compliance/sarif')).toSarif(result), null, 2)
      : (await import('../../core/compliance/report')).auditReport(result);
    if (flags.output) (await import('../../core/outputFile')).writeOutputFile('--output', String(flags.output), text + '\n', [input]);
    else io.out(text);
    if (!hasTraffic) io.err(`no traffic database at ${input}: traffic rules skipped`);
    else {
      const { saveAudit } = await import('../../core/compliance/persist');
      io.err((await saveAudit(input, options, result)).note);
    }
    return failsAt(result.findings, failOn) ? 1 : 0;
  },
};

export function frameworksOf(value: string): Framework[] {
  const names = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.includes('all')) return [...FRAMEWORK_CHOICES];
  for (const n of names) if (!(FRAMEWORK_CHOICES as readonly string[]).includes(n)) throw new UsageError(`--framework '${n}' is not one of ${FRAMEWORK_CHOICES.join(', ')}, all`);
  if (!names.length) throw new UsageError('--framework needs a name: fisma, fedramp, soc2, hipaa, pci-dss or all');
  return [...new Set(names)] as Framework[];
}


function numberFlag(flags: ParsedCommand['flags'], name: string): number {
  const n = Number(flags[name]);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} '${String(flags[name])}' is not a number ≥ 0`);
  return n;
}
