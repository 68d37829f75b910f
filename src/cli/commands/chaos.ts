import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError, describeError } from '../../core/errors';
import type { ParsedCommand } from '../args';
import { JSON_FLAG, type Command } from '../command';
import type { CliIO } from '../io';
import type { Experiment, ExperimentProblem, ExperimentResult, TimelineEvent } from '../../core/chaos/types';

const ACTIONS = ['run', 'validate', 'recover', 'export'] as const;

export const chaosCommand: Command = {
  spec: {
    name: 'chaos',
    summary: 'Run, validate and recover chaos experiments (.chaos/experiments/*.yaml).',
    positionals: [
      { name: 'action', required: true, description: `one of: ${ACTIONS.join(', ')}` },
      { name: 'file', required: false, description: 'the experiment file (run, validate, export)' },
    ],
    flags: {
      'dry-run': { type: 'boolean', description: 'validate and say what each action would do; touch nothing' },
      dir: { type: 'string', value: 'DIR', default: '.chaos', description: 'where the journal and results live' },
      db: { type: 'string', value: 'PATH', description: "run: also store the result in this traffic database's runs table (default: DIR/traffic.db when it exists)" },
      to: { type: 'string', value: 'FORMAT', default: 'chaos-mesh', description: "export: the target format, 'chaos-mesh'" },
      form: { type: 'string', value: 'FORM', default: 'workflow', description: "export: 'workflow' (order and steady state kept) or 'resources' (one per action)" },
      namespace: { type: 'string', value: 'NS', description: "export: the resources' namespace (default: the targets')" },
      name: { type: 'string', value: 'NAME', description: "export: the Workflow's name (default: from the title)" },
      'probe-origin': { type: 'string', value: 'URL', description: 'export: where the cluster reaches the probed service, e.g. http://api.shop.svc:3000' },
      out: { type: 'string', value: 'FILE', description: 'export: write the YAML here instead of stdout' },
      validate: { type: 'boolean', description: 'export: check the resources against the Chaos Mesh CRDs' },
      crds: { type: 'string', value: 'DIR', description: 'export: the CRD directory for --validate' },
      json: JSON_FLAG,
    },
    details: [
      'Examples:',
      '  chaos-testing chaos validate .chaos/experiments/backend-restart.yaml',
      '  chaos-testing chaos run .chaos/experiments/backend-restart.yaml --dry-run',
      '  chaos-testing chaos run .chaos/experiments/backend-restart.yaml --json',
      '  chaos-testing chaos recover            # undo what a killed run left (journal in .chaos/)',
      '  chaos-testing chaos export .chaos/experiments/backend-restart.yaml --to chaos-mesh --validate > restart.yaml',
      '',
      'Exit codes: 0 the hypothesis held after the method and every rollback worked; 1 it failed, a rollback failed,',
      'the system was unhealthy before, or the run was stopped; 2 a bad file or flag. Ctrl-C (SIGINT) and SIGTERM',
      'stop the run and run its rollbacks.',
      'The file shape: examples/experiments/backend-restart.yaml; its schema: schemas/experiment.schema.json.',
    ].join('\n'),
  },

  async run({ flags, positionals }: ParsedCommand, io: CliIO): Promise<number> {
    const action = positionals[0] as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown chaos action '${positionals[0]}'; use one of: ${ACTIONS.join(', ')}`);
    const file = positionals[1];
    const dir = String(flags.dir);
    if (action === 'recover') {
      if (file) throw new UsageError(`unexpected argument '${file}' for 'chaos recover'; it reads the journal in --dir`);
      return recover(dir, io, Boolean(flags.json));
    }
    if (!file) throw new UsageError(`'chaos ${action}' needs the experiment FILE; see 'chaos-testing chaos --help'`);
    const { experiment, problems } = await load(file);
    if (action === 'validate') {
      if (flags.json) io.out(JSON.stringify({ file, valid: problems.length === 0, problems }, null, 2));
      else if (problems.length) for (const p of problems) io.err(problemLine(file, p));
      else io.out(`${file}: valid (${experiment!.method.length} action(s), ${experiment!.hypothesis.probes.length} probe(s))`);
      return problems.length ? 2 : 0; // a bad file, as run and export say it
    }
    if (problems.length) {
      for (const p of problems) io.err(problemLine(file, p));
      throw new UsageError(`${file} has ${problems.length} problem(s); fix them, or see 'chaos-testing chaos validate ${file}'`);
    }
    if (action === 'export') {
      const { choiceFlag } = await import('../args');
      const { runChaosExport } = await import('../../core/chaos/chaosMesh');
      const str = (name: string): string | undefined => (flags[name] === undefined ? undefined : String(flags[name]));
      io.out(runChaosExport({
        experiment: experiment!,
        to: String(flags.to),
        form: choiceFlag(flags, 'form', ['workflow', 'resources'] as const),
        namespace: str('namespace'),
        name: str('name'),
        probeOrigin: str('probe-origin'),
        out: str('out'),
        source: file,
        validate: Boolean(flags.validate),
        crdDir: str('crds'),
      }));
      return 0;
    }
    return run(experiment!, dir, flags.db === undefined ? undefined : String(flags.db), Boolean(flags['dry-run']), Boolean(flags.json), io);
  },
};

async function load(file: string): Promise<{ experiment?: Experiment; problems: ExperimentProblem[] }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the experiment file ${file} (${describeError(e)}); check the path`);
  }
  const { parseExperimentText } = await import('../../core/chaos/parse');
  return parseExperimentText(text, file);
}

function problemLine(file: string, p: ExperimentProblem): string {
  return `${file}:${p.line ?? 1}:${p.column ?? 1}: ${p.message}`;
}

async function run(experiment: Experiment, dir: string, db: string | undefined, dryRun: boolean, json: boolean, io: CliIO): Promise<number> {
  const { ChaosExperiment } = await import('../../api/chaosExperiment');
  const { outcomeEvenIfCancelled } = await import('../../api/errors');
  const controller = new AbortController();
  const stop = (sig: NodeJS.Signals): void => {
    if (!controller.signal.aborted) io.err(`chaos-testing: ${sig}: stopping, running the rollbacks...`);
    controller.abort();
  };
  const onInt = (): void => stop('SIGINT');
  const onTerm = (): void => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let result: ExperimentResult;
  try {
    // Stopped: the rollbacks ran; the partial result is still saved and printed (exit 1).
    result = (await outcomeEvenIfCancelled(ChaosExperiment.fromExperiment(experiment).execute({
      signal: controller.signal,
      dryRun,
      journalDir: dir,
      onProgress: (e) => io.err(progressLine(e)),
      onLog: (line) => io.err(`          ${line}`),
    }))).raw;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  if (!dryRun) {
    const { saveResult } = await import('../../core/chaos/results');
    io.err(`chaos-testing: result saved to ${path.relative(process.cwd(), saveResult(result, dir))}`);
    const database = db ?? path.join(dir, 'traffic.db');
    if (db !== undefined || existsSync(database)) {
      // The same history as replay's: the editor, the CLI and CI read one runs table.
      const { saveRun } = await import('../../core/store/runs');
      const started = Date.parse(result.startedAt);
      const saved = await saveRun(database, { kind: 'chaos', spec: { ...experiment, file: undefined }, result, startedAt: started, finishedAt: started + result.durationMs });
      io.err(`chaos-testing: ${saved.note}`);
    }
  }
  io.out(json ? JSON.stringify(result, null, 2) : summaryText(result));
  if (dryRun) return 0;
  // A failed rollback left a fault in place: never a pass, whatever the hypothesis said.
  return result.status === 'completed' && result.hypothesisHeld && result.rollbacks.every((b) => b.ok) ? 0 : 1;
}

function progressLine(e: TimelineEvent): string {
  const mark = e.ok === undefined ? '' : e.ok ? ' ok' : ' FAILED';
  return `${(e.at / 1000).toFixed(2).padStart(7)}s ${e.kind} ${e.name}${mark}${e.detail ? `: ${e.detail}` : ''}`;
}

export function summaryText(r: ExperimentResult): string {
  if (r.dryRun) return `dry run of '${r.title}': nothing was touched`;
  const ok = (b: boolean): string => (b ? 'held' : 'FAILED');
  const before = r.hypothesisBefore.every((o) => o.ok);
  const lines = [`${r.title}: ${r.status}`, `  hypothesis before: ${ok(before)}`];
  if (r.status !== 'unhealthy-before') {
    lines.push(`  hypothesis after:  ${r.status === 'aborted' ? 'not checked (stopped)' : ok(r.hypothesisHeld)}`);
    const unremoved = r.rollbacks.some((b) => !b.ok);
    const recovery = r.recoveryTimeMs !== null ? `${r.recoveryTimeMs} ms` : unremoved ? 'not measured: a fault could not be removed' : 'did not recover';
    lines.push(`  recovery time:     ${recovery} (first of ${r.consecutiveSuccesses} successful probes in a row after the last fault was removed)`);
    lines.push(`  error rate during failure: ${(r.errorRateDuringFailure * 100).toFixed(1)} %`);
    for (const p of r.phases) {
      const latency = p.probes > p.errors ? `p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms` : 'no successful probes';
      lines.push(`  ${p.phase.padEnd(9)} ${String(p.probes).padStart(5)} probes, ${(p.errorRate * 100).toFixed(1).padStart(5)} % errors, ${latency}`);
    }
    const failed = r.rollbacks.filter((b) => !b.ok);
    lines.push(`  rollbacks: ${r.rollbacks.length} run, ${failed.length ? `${failed.length} FAILED (${failed.map((b) => b.action).join(', ')}); run 'chaos-testing chaos recover'` : 'all ok'}`);
  } else {
    for (const o of r.hypothesisBefore.filter((x) => !x.ok)) lines.push(`  ${o.probe}: ${o.detail}`);
    lines.push('  nothing was done: the system was not healthy before the method');
  }
  return lines.join('\n');
}

async function recover(dir: string, io: CliIO, json: boolean): Promise<number> {
  const { recoverFromJournal, journalPath } = await import('../../core/chaos/journal');
  const report = await recoverFromJournal(dir, (line) => io.err(`  ${line}`));
  if (json) io.out(JSON.stringify(report, null, 2));
  else if (!report.undone.length && !report.failed.length && !report.skipped.length) io.out(`nothing to recover: the journal ${path.relative(process.cwd(), journalPath(dir)) || journalPath(dir)} is empty`);
  else io.out(`undone: ${report.undone.length}, failed: ${report.failed.length}, left to running runs: ${report.skipped.length}`);
  return report.failed.length ? 1 : 0;
}
