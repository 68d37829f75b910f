import type { HeaderPairs } from '../../capture/types';
import type { FileKind, WorkspaceFile } from '../workspace';
import type { FindingFix, Severity } from '../types';

/** A captured HTTP exchange as the rules read it: bodies as text (empty when binary or absent). */
export interface TrafficExchange {
  id: number;
  url: string;
  method: string;
  status: number | null;
  startedAt: number;
  /** Request start → response end; null when not measured. */
  durationMs: number | null;
  requestHeaders: HeaderPairs;
  responseHeaders: HeaderPairs;
  requestBody: string;
  responseBody: string;
  responseContentType: string;
}

export interface TlsProbe {
  /** host:port */
  target: string;
  protocol: string | null;
  cipher: string | null;
  /** Epoch ms the leaf certificate expires; null when none was seen. */
  validTo: number | null;
  authorized: boolean;
  authorizationError: string | null;
  /** Set when the handshake failed (nothing else is then known). */
  error: string | null;
}

/** What a rule saw. The engine adds the rule's id, title, severity, controls and where (exchange or file). */
export interface Hit {
  message: string;
  evidence: string;
  /** Same key (per rule) = the same problem seen again: counted, reported once. */
  key?: string;
  at?: { line: number; column: number; endLine?: number; endColumn?: number };
  fix?: Omit<FindingFix, 'file'>;
}

export interface TrafficScan {
  visit(ex: TrafficExchange): Hit[];
  /** Hits that need the whole capture (counts across exchanges); `exchangeId` says where to point. */
  end?(): Array<Hit & { exchangeId: number; url: string }>;
}

export interface Rule {
  id: string;
  /** The row of the compliance matrix (controls.ts) this rule implements. */
  check: number;
  title: string;
  severity: Severity;
  remediation: string;
  /** A fresh scanner per audit (rules may count across exchanges). */
  traffic?: (options: TrafficRuleOptions) => TrafficScan;
  files?: { kinds: FileKind[]; scan(file: WorkspaceFile, now: number, facts: WorkspaceFacts): Hit[] };
  tls?: (probe: TlsProbe, now: number) => Hit[];
}

/** Bounds traffic rules judge against (the audit's options, defaults filled in). */
export interface TrafficRuleOptions {
  slo: SloBounds;
  /** Runs of one kind stored in the traffic database (`runs` table), results parsed; read once, at `end()`. */
  storedRuns(kind: string): Array<{ id: number; result: unknown }>;
}

export interface SloBounds {
  /** Largest acceptable share of 5xx answers per endpoint (0.01 = 1 %). */
  max5xxShare: number;
  /** Largest acceptable p99 latency per endpoint, ms. */
  maxP99Ms: number;
  /** Requests an endpoint needs before its 5xx share or p99 is judged (one error in three requests says little). */
  minRequests: number;
}

export const DEFAULT_SLO: SloBounds = { max5xxShare: 0.01, maxP99Ms: 2000, minRequests: 20 };

/** What a file rule may know beyond its own file, gathered over the whole workspace. */
export interface WorkspaceFacts {
  /** The digest a tagged image is pinned at elsewhere (or was pulled at locally), with where that was learnt. */
  digestOf(image: string): { digest: string; source: string } | undefined;
}

/** A scanner for rules that judge each exchange alone. */
export function perExchange(visit: (ex: TrafficExchange) => Hit[]): () => TrafficScan {
  return () => ({ visit });
}

export function headerValues(headers: HeaderPairs | null | undefined, name: string): string[] {
  const lower = name.toLowerCase();
  return (headers ?? []).filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
}

export function header(headers: HeaderPairs | null | undefined, name: string): string | undefined {
  return headerValues(headers, name)[0];
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function isLoopbackUrl(url: string): boolean {
  try {
    const h = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\./.test(h);
  } catch {
    return false;
  }
}

/** Position of line `n` (1-based) of a text, spanning the whole line. */
export function lineAt(text: string, n: number): { line: number; column: number; endLine: number; endColumn: number } {
  const l = text.split(/\r?\n/)[n - 1] ?? '';
  const indent = l.length - l.trimStart().length;
  return { line: n, column: indent + 1, endLine: n, endColumn: l.length + 1 };
}

/** Hits for each line of `text` matching `re` (one per line). */
export function lineHits(text: string, re: RegExp, hit: (m: RegExpExecArray, line: number) => Hit | null): Hit[] {
  const out: Hit[] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    const m = re.exec(l);
    if (!m) return;
    const h = hit(m, i + 1);
    if (h) out.push({ at: { line: i + 1, column: m.index + 1, endLine: i + 1, endColumn: m.index + m[0].length + 1 }, ...h });
  });
  return out;
}
