/**
 * Compliance audits from code: the same engine as `chaos-testing audit`, over captured traffic and/or workspace
 * files, one framework per object; "compliant" means what the CLI's --fail-on means (shared `failsAt`).
 */
import * as fs from 'node:fs';
import { FRAMEWORK_NAMES } from '../core/compliance/controls';
import { runAudit } from '../core/compliance/engine';
import { failsAt, type FailOn } from '../core/compliance/threshold';
import type { AuditOptions as EngineAuditOptions, AuditProgress, AuditResult, Finding, Framework, FrameworkSummary } from '../core/compliance/types';
import { InputError, UsageError, throwIfCancelled } from './errors';
import type { CallOptions } from './options';
import { AUDIT_WORDING, inApiWordsAsync } from './wording';

/** Options of {@link ComplianceFramework.audit}: progress as each input is read (exchanges, files, TLS targets). */
export interface AuditOptions extends CallOptions<AuditProgress> {
  /** A traffic database; skipped when the file does not exist (or null). */
  traffic?: string | null;
  /** A folder whose Dockerfiles, compose and Kubernetes YAML, nginx conf, .env and app config are audited (null: none). */
  workspace?: string | null;
  /** Connect to each HTTPS host in the traffic to check TLS (off by default). */
  probeTls?: boolean;
  /**
   * The container tool asked for the digest of an unpinned image (`image inspect`, reads only): a name or path;
   * null for none; by default docker, else podman, when installed.
   */
  imageTool?: string | null;
  /** Bounds of the slo-breach rule: largest 5xx share (0.01 = 1 %), largest p99 in ms, requests an endpoint needs first. */
  slo?: EngineAuditOptions['slo'];
}

/** What {@link ComplianceFramework.auditAll} comes to: one report per framework, from one pass over the inputs. */
export interface ComplianceAudit {
  reports: ComplianceReport[];
  /** The engine's full result (as `audit --format json`). */
  raw: AuditResult;
}

/** What an audit comes to for one framework; `raw` is the engine's full result (as `audit --format json`). */
export interface ComplianceReport {
  framework: Framework;
  /** Its display name, e.g. 'PCI-DSS v4.0'. */
  name: string;
  /** Controls the rules that ran could observe and found nothing against. */
  compliantControls: number;
  /** Controls the rules that ran could observe. */
  totalControls: number;
  /** Control ids with at least one finding. */
  failingControls: string[];
  findings: Finding[];
  /** No finding at least as severe as `failOn` (default 'high'), as the CLI's --fail-on. */
  isCompliant(failOn?: FailOn): boolean;
  highSeverityViolations(): Finding[];
  /** One line per finding: severity, rule, where, and what to do. */
  remediationSummary(): string[];
  summary: FrameworkSummary;
  raw: AuditResult;
}

/**
 * One compliance framework to audit against.
 *
 * @example
 * const report = await ComplianceFramework.pciDss().audit({ traffic: '.chaos/traffic.db', workspace: '.' });
 * assert.ok(report.isCompliant(), report.remediationSummary().join('\n'));
 */
export class ComplianceFramework {
  private constructor(readonly framework: Framework) {}

  /** FISMA (NIST SP 800-53 rev. 5). */
  static fisma(): ComplianceFramework {
    return new ComplianceFramework('fisma');
  }

  /** FedRAMP Moderate. */
  static fedramp(): ComplianceFramework {
    return new ComplianceFramework('fedramp');
  }

  /** SOC 2 (Trust Services Criteria). */
  static soc2(): ComplianceFramework {
    return new ComplianceFramework('soc2');
  }

  /** HIPAA Security Rule. */
  static hipaa(): ComplianceFramework {
    return new ComplianceFramework('hipaa');
  }

  /** PCI-DSS v4.0. */
  static pciDss(): ComplianceFramework {
    return new ComplianceFramework('pci-dss');
  }

  /** Audits the traffic and/or the workspace. Reads only; never writes the database. */
  async audit(options: AuditOptions): Promise<ComplianceReport> {
    return reportOf(this.framework, await auditRaw([this.framework], options));
  }

  /**
   * Several frameworks in one pass over the inputs (as `chaos-testing audit --framework a,b` does): one report each.
   *
   * @example
   * const { reports } = await ComplianceFramework.auditAll(['hipaa', 'soc2'], { workspace: '.' });
   */
  static async auditAll(frameworks: Framework[], options: AuditOptions): Promise<ComplianceAudit> {
    if (!frameworks.length) throw new UsageError(`auditAll needs at least one framework: ${Object.keys(FRAMEWORK_NAMES).join(', ')}`);
    for (const f of frameworks) if (!(f in FRAMEWORK_NAMES)) throw new UsageError(`auditAll: '${f}' is not a framework; choose from ${Object.keys(FRAMEWORK_NAMES).join(', ')}`);
    const raw = await auditRaw(frameworks, options);
    return { reports: frameworks.map((f) => reportOf(f, raw)), raw };
  }
}

async function auditRaw(frameworks: Framework[], options: AuditOptions): Promise<AuditResult> {
  const traffic = options.traffic && fs.existsSync(options.traffic) ? options.traffic : null;
  const workspace = options.workspace ?? null;
  if (!traffic && !workspace) throw new InputError(`nothing to audit: ${options.traffic ? `no traffic database at ${options.traffic}` : 'no traffic'} and no workspace; capture traffic first or pass a workspace folder`);
  const what = `the ${frameworks.join(', ')} audit`;
  throwIfCancelled(options.signal, what);
  try {
    return await inApiWordsAsync(AUDIT_WORDING, () => runAudit({
      frameworks, traffic, workspace, probeTls: Boolean(options.probeTls),
      ...(options.imageTool !== undefined ? { imageTool: options.imageTool } : {}),
      ...(options.slo !== undefined ? { slo: options.slo } : {}),
      signal: options.signal, onProgress: options.onProgress,
    }));
  } catch (e) {
    throwIfCancelled(options.signal, what);
    throw e;
  }
}

function reportOf(framework: Framework, raw: AuditResult): ComplianceReport {
  const summary = raw.summaries.find((s) => s.framework === framework)!;
  const findings = raw.findings.filter((f) => (f.frameworks[framework] ?? []).length > 0);
  const where = (f: Finding): string => ('file' in f.location ? `${f.location.file}:${f.location.line}` : f.location.url);
  return {
    framework,
    name: FRAMEWORK_NAMES[framework],
    compliantControls: summary.compliant.length,
    totalControls: summary.assessed.length,
    failingControls: summary.failing,
    findings,
    isCompliant: (failOn: FailOn = 'high') => !failsAt(findings, failOn),
    highSeverityViolations: () => findings.filter((f) => f.severity === 'high'),
    remediationSummary: () => findings.map((f) => `${f.severity} ${f.ruleId} (${(f.frameworks[framework] ?? []).join(', ')}) at ${where(f)}: ${f.message}; ${f.remediation}`),
    summary,
    raw,
  };
}
