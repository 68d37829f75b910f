import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, UsageError } from '../../core/errors';
import { CHECK_KINDS, type CheckKind, type ReadinessProgress } from '../../core/readiness/types';
import { listFlag, type ParsedCommand } from '../args';
import { JSON_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

export const ciCommand: Command = {
  spec: {
    name: 'ci',
    summary: 'Run the production-readiness suite (.chaos/suite.yaml) — generated tests, properties and invariants, chaos experiments, load with its SLO, compliance audit — with one exit code, and write JUnit XML, SARIF, a Markdown summary and an HTML report.',
    flags: {
      suite: { type: 'string', short: 's', value: 'FILE', default: '.chaos/suite.yaml', description: 'the suite (schemas/suite.schema.json; example: examples/suite.yaml)' },
      out: { type: 'string', short: 'o', value: 'DIR', default: '.chaos/reports', description: 'where the reports go: junit.xml, readiness.sarif, summary.md, report.html, readiness.json' },
      only: { type: 'string', value: 'KIND', multiple: true, description: `only checks of this kind: ${CHECK_KINDS.join(', ')}` },
      dir: { type: 'string', value: 'DIR', default: '.chaos', description: "where the engines' results and the chaos journal go" },
      json: { ...JSON_FLAG, description: 'print the result as JSON on stdout' },
    },
    details: [
      'Examples:',
      '  chaos-testing ci',
      '  chaos-testing ci --suite .chaos/suite.yaml --out .chaos/reports',
      '  chaos-testing ci --only chaos --only load',
      '',
      'Checks run one at a time in the suite\'s order: tests, properties, experiments, load, audit. Each is bounded',
      '(test timeout, property runs, experiment recovery timeout, load duration). Ctrl-C (SIGINT) or SIGTERM stops the',
      'check in hand — an experiment still runs its rollbacks — skips the rest and still writes the reports.',
      'Every engine run is kept as its own verb keeps it (.chaos/results/, the runs table of the traffic database).',
      '',
      'Exit code: 0 every check passed; 1 a check failed (or the run was stopped); 2 a bad suite or flag — nothing ran.',
    ].join('\n'),
  },

  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    const only = listFlag(flags, 'only');
    for (const k of only) if (!(CHECK_KINDS as readonly string[]).includes(k)) throw new UsageError(`--only ${k} is not a kind of check; choose from ${CHECK_KINDS.join(', ')}`);
    const outDir = String(flags.out);
    // Checked before anything runs: the reports must have somewhere to go.
    if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new UsageError(`--out ${outDir} is a file; give a folder for the reports`);
    const suiteFile = String(flags.suite);
    const { loadSuite } = await import('../../core/readiness/prepare');
    let suite;
    try {
      suite = await loadSuite(suiteFile);
    } catch (e) {
      // A bad suite is a usage error: exit 2, before anything ran.
      if (e instanceof InputError) throw new UsageError(e.message);
      throw e;
    }
    const kinds = only as CheckKind[];
    if (kinds.length && !suite.checks.some((c) => kinds.includes(c.kind))) throw new UsageError(`${suiteFile} has no ${kinds.join(' or ')} check; its checks are: ${[...new Set(suite.checks.map((c) => c.kind))].join(', ')}`);

    const controller = new AbortController();
    const stop = (sig: string): void => {
      if (!controller.signal.aborted) io.err(`chaos-testing: ${sig}: stopping the check in hand (rollbacks still run), skipping the rest...`);
      controller.abort();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const { runReadiness } = await import('../../api/readiness/run');
    let result;
    try {
      result = await runReadiness(suite, { only: kinds, dir: String(flags.dir), signal: controller.signal, onProgress: (p) => progressLine(p, io) });
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
    const { writeReports } = await import('../../core/readiness/report/write');
    const paths = writeReports(result, String(flags.out));
    const rel = (p: string): string => path.relative(process.cwd(), p) || p;
    io.err(`ci: reports: ${rel(paths.junit)}, ${rel(paths.sarif)}, ${rel(paths.markdown)}, ${rel(paths.html)}`);
    if (flags.json) io.out(JSON.stringify({ ...result, audit: undefined, reports: paths }, null, 2));
    else io.out(summary(result));
    return result.passed ? 0 : 1;
  },
};

function progressLine(p: ReadinessProgress, io: CliIO): void {
  const head = `[${p.index + 1}/${p.total}] ${p.check.kind}: ${p.check.name}`;
  if (p.phase === 'start') io.err(`${head} ...`);
  else if (p.phase === 'log') io.err(`      ${p.line}`);
  else if (p.outcome) io.err(`${head}: ${p.outcome.status} (${p.outcome.figure})`);
}

function summary(r: import('../../core/readiness/types').ReadinessResult): string {
  const passed = r.checks.filter((c) => c.status === 'passed').length;
  const lines = [`${r.name}: ${r.passed ? 'ready' : r.aborted ? 'stopped' : 'NOT ready'} — ${passed} of ${r.checks.length} checks passed`];
  for (const c of r.checks) {
    lines.push(`  ${c.status === 'passed' ? 'ok  ' : c.status === 'skipped' ? 'skip' : 'FAIL'} ${c.kind.padEnd(10)} ${c.name}: ${c.figure}`);
    if (c.status !== 'passed') for (const f of c.failures) lines.push(`         - ${f}`);
  }
  return lines.join('\n');
}
