import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrafficDb } from '../store/database';
import { openForReading } from '../store/reader';
import { InputError } from '../errors';
import { checkOf, controlsFor } from './controls';
import { maskText } from './detect/maskText';
import { ImageDigests } from './detect/imageDigests';
import { yamlOf } from './detect/yamlDocs';
import { RULES } from './rules';
import { DEFAULT_SLO, type Hit, type Rule, type TlsProbe, type WorkspaceFacts } from './rules/rule';
import { notAutomated, summarise } from './summary';
import { httpsTargets, probeTls } from './tlsProbe';
import { trafficExchanges } from './traffic';
import type { AuditOptions, AuditProgress, AuditResult, Finding, FindingLocation } from './types';
import { readWorkspace } from './workspace';

/** Collects hits as findings, one per (rule, key), counting repeats. */
class FindingSet {
  readonly findings: Finding[] = [];
  private _byKey = new Map<string, Finding>();

  constructor(private readonly _frameworks: AuditOptions['frameworks']) {}

  add(rule: Rule, hit: Hit, location: FindingLocation): void {
    const key = hit.key === undefined ? undefined : `${rule.id}\0${hit.key}`;
    const seen = key === undefined ? undefined : this._byKey.get(key);
    if (seen) {
      seen.occurrences++;
      return;
    }
    const frameworks: Finding['frameworks'] = {};
    for (const f of this._frameworks) {
      const ids = controlsFor(checkOf(rule.check), f);
      if (ids.length) frameworks[f] = ids;
    }
    const file = 'file' in location ? location.file : undefined;
    // URLs can carry what the rules found (an SSN in a query): they are masked like evidence.
    const where = 'url' in location ? { ...location, url: maskText(location.url) } : location;
    const finding: Finding = {
      ruleId: rule.id, title: rule.title, severity: rule.severity, message: maskText(hit.message), evidence: hit.evidence, location: where, frameworks,
      remediation: rule.remediation, ...(hit.fix && file ? { fix: { file, ...hit.fix } } : {}), occurrences: 1,
    };
    this.findings.push(finding);
    if (key !== undefined) this._byKey.set(key, finding);
  }
}

/** Stored runs of a kind with their JSON results; a result that does not parse is left out. */
function storedRuns(db: TrafficDb, kind: string): Array<{ id: number; result: unknown }> {
  return db.query('SELECT id, result FROM runs WHERE kind = ? ORDER BY id', [kind]).flatMap((r) => {
    try {
      return [{ id: Number(r.id), result: JSON.parse(String(r.result)) as unknown }];
    } catch {
      return [];
    }
  });
}

/** Only rules mapping to at least one chosen framework run. */
function relevant(options: AuditOptions): Rule[] {
  return RULES.filter((r) => options.frameworks.some((f) => controlsFor(checkOf(r.check), f).length > 0));
}

/** Runs the audit over captured traffic and/or workspace files. Reads only; probes TLS only when asked. */
export async function runAudit(options: AuditOptions): Promise<AuditResult> {
  const startedAt = Date.now();
  const now = options.now ?? startedAt;
  const rules = relevant(options);
  const set = new FindingSet(options.frameworks);
  const ran = new Set<Rule>();
  const inputs: AuditResult['inputs'] = { traffic: null, exchanges: 0, workspace: null, files: 0, tlsTargets: [], skipped: [] };
  const urls = new Map<string, number>(); // url → first exchange id
  const progress = (phase: AuditProgress['phase'], done: number, total?: number): void => {
    if (options.signal?.aborted) throw new InputError(`the audit was cancelled while reading ${phase === 'tls' ? 'TLS targets' : phase}`);
    options.onProgress?.({ phase, done, ...(total === undefined ? {} : { total }) });
  };

  if (options.traffic && fs.existsSync(options.traffic)) {
    inputs.traffic = options.traffic;
    const db = await openForReading(options.traffic);
    try {
      const scans = rules.filter((r) => r.traffic).map((r) => ({ rule: r, scan: r.traffic!({ slo: { ...DEFAULT_SLO, ...options.slo }, storedRuns: (kind) => storedRuns(db, kind) }) }));
      for (const ex of trafficExchanges(db)) {
        if (++inputs.exchanges % 500 === 0) progress('traffic', inputs.exchanges);
        if (!urls.has(ex.url)) urls.set(ex.url, ex.id);
        for (const { rule, scan } of scans) for (const h of scan.visit(ex)) set.add(rule, h, { exchangeId: ex.id, url: ex.url });
      }
      for (const { rule, scan } of scans) for (const h of scan.end?.() ?? []) set.add(rule, h, { exchangeId: h.exchangeId, url: h.url });
      progress('traffic', inputs.exchanges);
      // A rule assesses its controls only when it saw something to judge.
      if (inputs.exchanges > 0) scans.forEach((s) => ran.add(s.rule));
    } finally {
      db.close();
    }
  }

  if (options.workspace) {
    const root = path.resolve(options.workspace);
    inputs.workspace = root;
    const files = readWorkspace(root, options.maxFiles);
    inputs.files = files.length;
    for (const f of files.filter((x) => x.kind === 'kubernetes' || x.kind === 'compose' || (x.kind === 'config' && /\.ya?ml$/.test(x.path)))) {
      const errors = yamlOf(f).errors;
      if (errors.length) inputs.skipped.push({ input: f.path, reason: `YAML does not parse (${errors[0]}); fix it to have it audited` });
    }
    const digests = new ImageDigests(files, options.imageTool);
    const facts: WorkspaceFacts = { digestOf: (image) => digests.lookup(image) };
    const fileRules = rules.filter((r) => r.files);
    for (const [n, file] of files.entries()) {
      if (n % 100 === 0) progress('workspace', n, files.length);
      for (const rule of fileRules) {
        if (!rule.files!.kinds.includes(file.kind)) continue;
        ran.add(rule);
        for (const h of rule.files!.scan(file, now, facts)) {
          set.add(rule, { ...h, key: h.key ?? `${file.path}:${h.at?.line ?? 1}:${h.at?.column ?? 1}` }, { file: file.path, line: h.at?.line ?? 1, column: h.at?.column ?? 1, ...(h.at?.endLine ? { endLine: h.at.endLine, endColumn: h.at.endColumn } : {}) });
        }
      }
    }
    progress('workspace', files.length, files.length);
  }

  if (options.probeTls) {
    const probes: TlsProbe[] = [];
    const targets = httpsTargets(urls.keys());
    for (const t of targets) {
      progress('tls', probes.length, targets.length);
      probes.push(await probeTls(t.host, t.port));
    }
    progress('tls', probes.length, targets.length);
    inputs.tlsTargets = probes.map((p) => p.target);
    for (const p of probes) if (p.error) inputs.skipped.push({ input: p.target, reason: `TLS handshake failed: ${p.error}` });
    const tlsRules = rules.filter((r) => r.tls);
    if (probes.some((p) => !p.error)) tlsRules.forEach((r) => ran.add(r));
    for (const p of probes) {
      const [url, exchangeId] = [...urls].find(([u]) => httpsTargets([u])[0] && `${httpsTargets([u])[0].host}:${httpsTargets([u])[0].port}` === p.target) ?? [`https://${p.target}/`, 0];
      for (const rule of tlsRules) for (const h of rule.tls!(p, now)) set.add(rule, h, { exchangeId, url });
    }
  }

  const rulesRun = RULES.filter((r) => ran.has(r));
  return {
    startedAt, finishedAt: Date.now(), frameworks: options.frameworks, inputs, rulesRun: rulesRun.map((r) => r.id),
    findings: set.findings, summaries: summarise(options.frameworks, rulesRun, set.findings), notAutomated: notAutomated(RULES),
  };
}
