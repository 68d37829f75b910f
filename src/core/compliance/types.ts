import type { SloBounds } from './rules/rule';

/**
 * The compliance audit's contract. Everything here is plain JSON: the CLI prints it, SARIF is made from it, the
 * editor reads it (diagnostics from `location.file`, quick fixes from `fix`, a panel from traffic findings).
 */

export type Framework = 'fisma' | 'fedramp' | 'soc2' | 'hipaa' | 'pci-dss';
export const FRAMEWORKS: readonly Framework[] = ['fisma', 'fedramp', 'soc2', 'hipaa', 'pci-dss'];

export type Severity = 'high' | 'medium' | 'low';
export const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

/** Where a finding was seen: a captured exchange, or a workspace file (1-based line and column). */
export type FindingLocation =
  | { exchangeId: number; url: string }
  | { file: string; line: number; column: number; endLine?: number; endColumn?: number };

/** A mechanical fix: insert `text` before `line` (1-based), or replace that whole line with it. */
export interface FindingFix {
  file: string;
  line: number;
  insert?: string;
  replace?: string;
  description: string;
}

export interface Finding {
  ruleId: string;
  title: string;
  severity: Severity;
  /** What was seen, already masked: card numbers as first 6 + last 4, SSNs as ***-**-1234, secrets never. */
  message: string;
  evidence: string;
  location: FindingLocation;
  /** Control ids per framework this violates (only frameworks the rule maps to). */
  frameworks: Partial<Record<Framework, string[]>>;
  remediation: string;
  fix?: FindingFix;
  /** How many more places showed the same thing (e.g. the same missing header on every response of a host). */
  occurrences: number;
}

export interface FrameworkSummary {
  framework: Framework;
  /** Controls the rules that ran can observe. */
  assessed: string[];
  failing: string[];
  compliant: string[];
  /** Controls the compliance matrix maps for this framework that no rule that ran could observe. */
  notAssessed: string[];
  findings: number;
}

export interface AuditResult {
  startedAt: number;
  finishedAt: number;
  frameworks: Framework[];
  inputs: {
    traffic: string | null;
    exchanges: number;
    workspace: string | null;
    files: number;
    tlsTargets: string[];
    /** Files (or TLS targets) that could not be judged, and why: malformed YAML, a failed handshake. */
    skipped: Array<{ input: string; reason: string }>;
  };
  /** Rule ids that ran (a traffic rule runs only with traffic, a file rule only with a workspace, TLS with --probe-tls). */
  rulesRun: string[];
  findings: Finding[];
  summaries: FrameworkSummary[];
  /** Matrix checks no rule of this tool assesses automatically (need active testing or a person). */
  notAutomated: string[];
}

export interface AuditOptions {
  frameworks: Framework[];
  /** Traffic database; null or missing file = no traffic rules. */
  traffic?: string | null;
  workspace?: string | null;
  probeTls?: boolean;
  /** Clock for certificate expiry and session lifetimes (tests). */
  now?: number;
  /**
   * Container tool asked for the digest of an unpinned image (`image inspect`, reads only): undefined = docker, else
   * podman, when on PATH; null = none (the workspace's own pins still give fixes).
   */
  imageTool?: string | null;
  /** Per-endpoint 5xx share, p99 bound and minimum requests of the slo-breach rule (defaults in rules/rule.ts). */
  slo?: Partial<SloBounds>;
  /** Bounds on the workspace walk. */
  maxFiles?: number;
  /** Stops the audit between inputs; it then rejects with an InputError saying so. */
  signal?: AbortSignal;
  /** Called as each input is read: every 500 exchanges, every 100 files, each TLS target, and when a phase ends. */
  onProgress?: (progress: AuditProgress) => void;
}

export interface AuditProgress {
  phase: 'traffic' | 'workspace' | 'tls';
  /** Inputs of this phase read so far. */
  done: number;
  /** How many the phase has, when known before reading (files, TLS targets). */
  total?: number;
}
