import type { WorkspaceFile } from '../workspace';
import { lineHits, type Hit, type Rule } from './rule';

/**
 * PCI DSS 10.5.1: keep audit log history for at least 12 months, the last three months immediately available.
 * Logs deleted sooner than 90 days fail the part a file can show; longer archives are not visible here.
 */
export const MIN_RETENTION_DAYS = 90;

const PERIOD_DAYS: Record<string, number> = { hourly: 1 / 24, daily: 1, weekly: 7, monthly: 30, yearly: 365 };

/** kube-apiserver `--audit-log-maxage=N` (static pod args) or kubeadm `audit-log-maxage: "N"` (extraArgs). */
const MAXAGE = /--audit-log-maxage[=\s]["']?(\d+)|\baudit-log-maxage["']?\s*:\s*["']?(\d+)/;

function kubernetes(file: WorkspaceFile): Hit[] {
  return lineHits(file.text, MAXAGE, (m) => {
    const days = Number(m[1] ?? m[2]);
    if (days >= MIN_RETENTION_DAYS) return null;
    return { message: `${file.path}: the API server deletes audit logs after ${days} day(s) (--audit-log-maxage=${days}; keep at least ${MIN_RETENTION_DAYS})`, evidence: `--audit-log-maxage=${days}` };
  });
}

interface Directives {
  period?: { name: string; line: number };
  rotate?: { n: number; line: number; column: number; text: string };
  maxage?: { n: number; line: number; column: number; text: string };
}

/** Days a logrotate stanza keeps, and where that is decided; null when the file does not say (no finding then). */
function retention(d: Directives): { days: number; why: string; at: { line: number; column: number; text: string } } | null {
  const candidates: Array<{ days: number; why: string; at: { line: number; column: number; text: string } }> = [];
  if (d.rotate && d.period) candidates.push({ days: d.rotate.n * PERIOD_DAYS[d.period.name], why: `rotate ${d.rotate.n} × ${d.period.name}`, at: d.rotate });
  if (d.maxage) candidates.push({ days: d.maxage.n, why: `maxage ${d.maxage.n}`, at: d.maxage });
  return candidates.sort((a, b) => a.days - b.days)[0] ?? null;
}

/** logrotate.conf and logrotate.d/*: global directives are the defaults of each `paths { … }` stanza. */
function logrotate(file: WorkspaceFile): Hit[] {
  const global: Directives = {};
  let stanza: { paths: string; d: Directives } | null = null;
  const hits: Hit[] = [];
  const judge = (paths: string, d: Directives): void => {
    const r = retention(d);
    if (!r || r.days >= MIN_RETENTION_DAYS) return;
    const days = r.days < 1 ? `${Math.round(r.days * 24)} hour(s)` : `${Math.round(r.days)} day(s)`;
    hits.push({
      message: `${file.path}: ${paths} is kept about ${days} (${r.why}); keep at least ${MIN_RETENTION_DAYS} days`,
      evidence: `${paths}: ${r.why}`,
      at: { line: r.at.line, column: r.at.column, endLine: r.at.line, endColumn: r.at.column + r.at.text.length },
    });
  };
  file.text.split(/\r?\n/).forEach((raw, i) => {
    const text = raw.replace(/#.*/, '').trim();
    if (!text) return;
    const open = /^(.*?)\s*\{$/.exec(text);
    if (open && !stanza) {
      stanza = { paths: open[1], d: { ...global } };
      return;
    }
    if (text === '}' && stanza) {
      judge(stanza.paths, stanza.d);
      stanza = null;
      return;
    }
    const d = stanza ? stanza.d : global;
    const column = raw.indexOf(text.split(/\s+/)[0]) + 1;
    const period = /^(hourly|daily|weekly|monthly|yearly)$/.exec(text);
    if (period) d.period = { name: period[1], line: i + 1 };
    if (/^size\s/.test(text)) delete d.period; // size-only rotation: how many days a file lasts is not known
    const n = /^(rotate|maxage)\s+(-?\d+)$/.exec(text);
    if (n) d[n[1] as 'rotate' | 'maxage'] = { n: Math.max(0, Number(n[2])), line: i + 1, column, text };
  });
  return hits;
}

export const logRetention: Rule = {
  id: 'log-retention',
  check: 17,
  title: 'Log retention shorter than 90 days',
  severity: 'medium',
  remediation: `Keep audit logs at least 12 months, the last ${MIN_RETENTION_DAYS} days at hand (PCI DSS 10.5.1; NIST AU-11): raise --audit-log-maxage or logrotate's rotate count, or ship logs to a store with that retention.`,
  files: {
    kinds: ['kubernetes', 'logrotate'],
    scan: (file) => (file.kind === 'logrotate' ? logrotate(file) : kubernetes(file)),
  },
};
