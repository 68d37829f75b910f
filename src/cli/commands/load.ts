import * as path from 'node:path';
import { InputError, UsageError, isChaosError } from '../../core/errors';
import type { LoadPlanInput } from '../../core/load/plan';
import type { LoadResult, LoadSpec, RequestMix } from '../../core/load/types';
import type { LoadPlan, LoadTest } from '../../api/loadTest';
import type { FlagValues, ParsedCommand } from '../args';
import { JSON_FLAG, SESSION_FLAG, type Command } from '../command';
import type { CliIO } from '../io';
import { planInputFromFlags, splitTo } from '../loadFlags';

const ACTIONS = ['run', 'compare', 'export'] as const;
const DEFAULT_DATABASE = '.chaos/traffic.db';

export const loadCommand: Command = {
  spec: {
    name: 'load',
    summary: 'Load-test a backend with its captured traffic (or one URL): ramp-up, spike, soak or stress, closed or open model, SLOs; compare runs; export to k6.',
    positionals: [
      { name: 'action', required: false, description: `run (default), compare A B, or export` },
      { name: 'a', required: false, description: 'compare: the first run (its id in the database, or a result JSON file)' },
      { name: 'b', required: false, description: 'compare: the second run' },
    ],
    flags: {
      target: { type: 'string', short: 't', value: 'URL', description: 'the backend, e.g. http://127.0.0.1:3000 (loopback only without --allow-remote)' },
      spec: { type: 'string', short: 's', value: 'FILE', description: 'a load spec (.chaos/load/*.yaml, schemas/load.schema.json); flags win over it' },
      profile: { type: 'string', short: 'p', value: 'KIND', description: 'constant, ramp-up, spike, soak or stress (default: constant)' },
      from: { type: 'string', value: 'N', description: 'the level at the start (connections, or req/s with --rate)' },
      to: { type: 'string', value: 'M', multiple: true, description: 'the level the profile drives to (default: --connections or --rate); export: the format, k6' },
      duration: { type: 'string', short: 'd', value: 'TIME', description: 'the whole run: 30s, 5m (default: 30s)' },
      rate: { type: 'string', short: 'r', value: 'R', description: 'open model: R requests per second whatever the target does (latency from the intended send time)' },
      connections: { type: 'string', short: 'c', value: 'C', description: 'closed model: C connections (default 10); with --rate: the most connections to open (default 100)' },
      mix: { type: 'string', value: 'FROM', description: "'traffic' (the captured requests, by endpoint weight) or 'target' (GET the target URL); default: traffic when the database exists" },
      'read-write': { type: 'string', value: 'R:W', description: 'reshape the traffic to this share of reads to writes, e.g. 0.8:0.2' },
      slo: { type: 'string', value: 'CLAUSES', multiple: true, description: 'e.g. "p99<200ms,errors<1%,rps>=500"' },
      input: { type: 'string', short: 'i', value: 'PATH', description: 'traffic database: the mix, and where runs are stored (default: .chaos/traffic.db)' },
      session: SESSION_FLAG,
      'step-every': { type: 'string', value: 'TIME', description: 'stress: how long each step holds (default: up to 10 steps)' },
      'max-requests': { type: 'string', value: 'N', description: 'stop after N requests (default 5000000)' },
      timeout: { type: 'string', value: 'MS', description: 'per-request timeout, ms or a duration (default 10s)' },
      pid: { type: 'string', value: 'PID', description: "sample the target process's RSS each second (soak drift)" },
      'allow-remote': { type: 'boolean', description: 'allow a target that is not this machine (only a system you own)' },
      insecure: { type: 'boolean', description: "don't verify the target's TLS certificate" },
      dir: { type: 'string', value: 'DIR', default: '.chaos', description: 'results go to DIR/results/load-<time>.json' },
      output: { type: 'string', short: 'o', value: 'FILE', description: 'export: write the script here instead of stdout' },
      json: { ...JSON_FLAG, description: 'print the result (or comparison) as JSON' },
      events: { type: 'boolean', description: 'print NDJSON events on stdout while it runs (see below)' },
    },
    details: [
      'Examples:',
      '  chaos-testing load --target http://127.0.0.1:3000 --profile ramp-up --to 50 --duration 1m --slo "p99<200ms,errors<1%"',
      '  chaos-testing load -t http://127.0.0.1:3000 --rate 500 --profile spike --mix traffic --read-write 0.8:0.2',
      '  chaos-testing load --spec .chaos/load/checkout.yaml --duration 10s',
      '  chaos-testing load compare 12 14            # two runs stored in the database (or result JSON files)',
      '  chaos-testing load export --to k6 --spec .chaos/load/checkout.yaml --output checkout.k6.js',
      '',
      'The mix: each captured endpoint weighted by how often it was called, a few distinct recorded requests each',
      '(those answered 4xx/5xx are not sent), chained values (a created id) taken from this run\'s responses;',
      'redacted secrets come from CHAOS_SECRET_* variables. Results: DIR/results/load-<time>.json and the',
      "database's runs table (kind 'load') when it exists.",
      '',
      '--events prints one JSON object per line on stdout, nothing else:',
      '  {"event":"start","spec":LoadSpec,"mix":{"source":…,"endpoints":[{"endpoint":…,"weight":…}],"skipped":{…}}}',
      '  {"event":"tick","tick":LoadTick}            once a second (src/core/load/types.ts)',
      '  {"event":"result","result":LoadResult}      at the end, also when cancelled',
      '',
      'Exit code: 0 every SLO clause held, or a stress run found its breaking point above the first step; 1 a clause',
      'failed or the run was interrupted (Ctrl-C stops it, closes',
      'every socket and still prints and stores the partial result); 2 bad flags or spec.',
    ].join('\n'),
  },

  async run({ flags, positionals }: ParsedCommand, io: CliIO): Promise<number> {
    const action = (positionals[0] ?? 'run') as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action)) throw new UsageError(`unknown load action '${positionals[0]}'; use one of: ${ACTIONS.join(', ')}`);
    refuseUnusedFlags(action, flags);
    if (action === 'compare') return compare(positionals, flags, io);
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}' for 'load ${action}'`);
    const { test, plan: planned, input } = await asUsage(() => plan(flags, action === 'export'));
    if (action === 'export') return exportK6(planned.spec, planned.mix, flags, io);
    return run(test, planned, input.input ?? DEFAULT_DATABASE, flags, io);
  },
};

/** The flags each action has no use for (a flag with a default cannot be told given, so --dir is not among them). */
const UNUSED: Record<(typeof ACTIONS)[number], { flags: readonly string[]; why: string }> = {
  run: { flags: ['output'], why: "--output is where 'load export' writes its script" },
  export: { flags: ['pid', 'events', 'json'], why: "'load export' writes a k6 script and runs nothing" },
  compare: {
    flags: ['target', 'spec', 'profile', 'from', 'to', 'duration', 'rate', 'connections', 'mix', 'read-write', 'slo', 'session', 'step-every', 'max-requests', 'timeout', 'pid', 'allow-remote', 'insecure', 'output', 'events'],
    why: "'load compare' compares two stored runs; it takes --input and --json",
  },
};

/** A flag the action would drop without a word is a usage error instead (exit 2), naming it. */
function refuseUnusedFlags(action: (typeof ACTIONS)[number], flags: FlagValues): void {
  const given = UNUSED[action].flags.find((f) => flags[f] !== undefined && flags[f] !== false && !(Array.isArray(flags[f]) && !flags[f].length));
  if (given) throw new UsageError(`--${given} is not for 'load ${action}': ${UNUSED[action].why}`);
}

/** Bad input found before anything was sent is a usage error (exit 2), whichever module noticed it. */
async function asUsage<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
}

/** The CLI's flags over a spec file's fields, planned by the library's LoadTest (one planner for both). */
async function plan(flags: FlagValues, forExport: boolean): Promise<{ test: LoadTest; plan: LoadPlan; input: LoadPlanInput }> {
  const { LoadTest } = await import('../../api/loadTest');
  const base = flags.spec === undefined ? {} : LoadTest.fromSpecFile(String(flags.spec)).toInput();
  const input = planInputFromFlags(flags, base, forExport);
  if (!input.target) throw new UsageError("load needs --target URL (the backend) or --spec FILE; see 'chaos-testing load --help'");
  const test = LoadTest.fromInput(input);
  // An export never holds a secret: the script reads CHAOS_SECRET_* from k6's environment.
  const env = forExport ? (await import('../../core/load/k6')).K6_SECRET_ENV : process.env;
  return { test, plan: await test.plan({ env }), input };
}

async function run(test: LoadTest, planned: LoadPlan, database: string, flags: FlagValues, io: CliIO): Promise<number> {
  const { spec, mix } = planned;
  const { outcomeEvenIfCancelled } = await import('../../api/errors');
  const { loadReport, loadVerdict, statusLine } = await import('../../core/load/report');
  const { saveLoadResultFile, storeLoadRun } = await import('../../core/load/results');
  const events = Boolean(flags.events);
  const emit = (event: Record<string, unknown>): void => io.out(JSON.stringify(event));
  if (events) emit({ event: 'start', spec, mix: { source: mix.source, endpoints: mix.entries.map((e) => ({ endpoint: e.endpoint, method: e.method, path: e.pathAndQuery, weight: e.weight, write: e.write })), skipped: mix.skipped } });
  else {
    const skipped = Object.entries(mix.skipped).map(([why, n]) => `${n} ${why}`).join(', ');
    io.err(`load: ${mix.entries.length} request(s) from ${mix.source}${skipped ? `; skipped ${skipped}` : ''}`);
  }

  const controller = new AbortController();
  const stop = (): void => {
    if (!controller.signal.aborted && !events) io.err(`${io.statusInPlace ? '\r\x1b[K' : ''}load: stopping...`);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const seconds = Math.ceil(spec.durationMs / 1000);
  let inPlace = false;
  let result: LoadResult;
  try {
    // Ctrl-C: the partial result is still printed and stored.
    result = (await asUsage(() => outcomeEvenIfCancelled(test.run({
      plan: planned,
      signal: controller.signal,
      onProgress: (tick) => {
        if (events) return emit({ event: 'tick', tick });
        if (io.statusInPlace) {
          inPlace = true;
          process.stderr.write(`\r\x1b[K${statusLine(tick, seconds)}`);
        } else io.err(statusLine(tick, seconds));
      },
    })))).raw;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (inPlace) process.stderr.write('\r\x1b[K');
  const notes: string[] = [];
  try {
    notes.push(`saved to ${path.relative(process.cwd(), saveLoadResultFile(result, String(flags.dir))) || String(flags.dir)}`);
  } catch (e) {
    notes.push(`not saved to ${String(flags.dir)}/results: ${isChaosError(e) ? e.message : (e as Error).message}`);
  }
  notes.unshift(await storeLoadRun(result, database));
  result.stored = notes.join('; ');
  if (events) emit({ event: 'result', result });
  else io.out(flags.json ? JSON.stringify(result, null, 2) : loadReport(result));
  const verdict = loadVerdict(result);
  return verdict === 'passed' || verdict === 'breaking-point' ? 0 : 1;
}

async function compare(positionals: string[], flags: FlagValues, io: CliIO): Promise<number> {
  const [, a, b] = positionals;
  if (!a || !b) throw new UsageError("'load compare' needs two runs: A B (run ids in the database, or result JSON files)");
  const { readLoadResult } = await import('../../core/load/results');
  const { compareLoad, comparisonText } = await import('../../core/load/compare');
  const database = flags.input === undefined ? DEFAULT_DATABASE : String(flags.input);
  const [ra, rb] = await asUsage(() => Promise.all([readLoadResult(a, database), readLoadResult(b, database)]));
  const c = compareLoad(ra, rb);
  io.out(flags.json ? JSON.stringify(c, null, 2) : comparisonText(c));
  return 0;
}

async function exportK6(spec: LoadSpec, mix: RequestMix, flags: FlagValues, io: CliIO): Promise<number> {
  const format = splitTo(flags).format ?? 'k6';
  if (format !== 'k6') throw new UsageError(`load export --to '${format}': the only format is k6`);
  const { k6Script } = await import('../../core/load/k6');
  const script = k6Script(spec, mix);
  if (flags.output === undefined) {
    io.out(script);
    return 0;
  }
  const { ensureParentDir } = await import('../../core/store/atomicWrite');
  const file = path.resolve(String(flags.output));
  ensureParentDir(file);
  const inputs = [flags.spec, flags.input].map((f) => (f === undefined ? undefined : String(f)));
  (await import('../../core/outputFile')).writeOutputFile('--output', String(flags.output), script, inputs);
  io.err(`load: wrote ${path.relative(process.cwd(), file)} (${mix.entries.length} request(s), ${spec.profile.stages.length} stage(s), ${Object.keys((await import('../../core/load/k6')).k6Thresholds(spec.slo)).length} threshold metric(s)); run it with 'k6 run ${path.relative(process.cwd(), file)}'`);
  return 0;
}
