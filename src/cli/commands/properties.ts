import { UsageError } from '../../core/errors';
import { CHECK_NAMES, type CheckName, type RegressionLanguage } from '../../core/properties/types';
import { intFlag, listFlag, type ParsedCommand } from '../args';
import { DB_FLAG, JSON_FLAG, SESSION_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

const LANGUAGES: RegressionLanguage[] = ['python', 'typescript', 'go', 'rust', 'java'];

export const propertiesCommand: Command = {
  spec: {
    name: 'properties',
    summary: 'Property-based and stateful testing from the captured traffic: random but plausible request sequences (create → read → update → delete, bodies valid and invalid, credentials removed), every response checked, a failure shrunk to a minimal sequence you can replay and keep as a regression test.',
    flags: {
      input: { ...DB_FLAG, short: 'i' },
      target: { type: 'string', short: 't', value: 'URL', description: 'the backend to test, e.g. http://127.0.0.1:9000' },
      runs: { type: 'string', short: 'n', value: 'N', default: '100', description: 'request sequences to try (0: run the invariants alone, no traffic database needed)' },
      seed: { type: 'string', value: 'S', description: 'random seed (default: a new one, printed so the run can be replayed)' },
      path: { type: 'string', value: 'P', description: "replay path of a violation (with its --seed): runs exactly that case" },
      check: { type: 'string', value: 'NAME', multiple: true, description: `only these checks (default: all): ${CHECK_NAMES.join(', ')}` },
      invariant: {
        type: 'string', value: 'NAME[=V]', multiple: true,
        description: 'also judge the run by: latency_bounded[=MS] (p99, default 2000), error_rate_below[=FRACTION] (default 0.01); circuit_breaker_never_stuck_open, queue_message_preservation, transaction_atomicity, cache_consistency with =OPTIONS.yaml or ={inline YAML} (or .chaos/invariants/NAME.yaml); or a user invariant .chaos/invariants/NAME.yaml|.ts',
      },
      'invariants-dir': { type: 'string', value: 'DIR', default: '.chaos/invariants', description: 'where user invariants (YAML, TypeScript) live' },
      'max-steps': { type: 'string', value: 'N', default: '10', description: 'most requests in one sequence' },
      'max-response-time': { type: 'string', value: 'MS', description: 'max_response_time bound (default: 10× the slowest captured response, at least 5000)' },
      language: { type: 'string', short: 'l', value: 'LANG', description: `write a regression test per violation: ${LANGUAGES.join(', ')}` },
      framework: { type: 'string', value: 'NAME', description: 'its test framework when a language has several (typescript: vitest, node)' },
      out: { type: 'string', short: 'o', value: 'DIR', default: '.', description: 'project folder the regression tests go into (tests/...)' },
      timeout: { type: 'string', value: 'MS', default: '10000', description: 'per-request timeout in milliseconds' },
      session: SESSION_FLAG,
      json: { ...JSON_FLAG, description: 'print the full result as JSON' },
    },
    details: [
      'Examples:',
      '  chaos-testing properties --target http://127.0.0.1:9000',
      '  chaos-testing properties -t http://127.0.0.1:9000 --runs 1000 --max-steps 5 --language python',
      '  chaos-testing properties -t http://127.0.0.1:9000 --seed 42 --path 107:4:3@DAL:F --check use_after_free',
      '  chaos-testing properties -t http://127.0.0.1:9000 --check ignored_auth --check negative_data_rejection',
      '  chaos-testing properties -t http://127.0.0.1:9000 --invariant latency_bounded=500 --invariant error_rate_below',
      '  chaos-testing properties -t http://127.0.0.1:9000 --runs 0 --invariant transaction_atomicity=atomicity.yaml',
      '  chaos-testing properties -t http://127.0.0.1:9000 --runs 0 --invariant account_roundtrip   # .chaos/invariants/account_roundtrip.yaml',
      '',
      'Commands come from the behaviour model (see `learn`): one per endpoint, with values a response produced',
      'chained into later requests (POST /items → id → GET/PUT/DELETE /items/{id}). Secrets redacted at capture',
      'are read from CHAOS_SECRET_* variables. Each violation prints its minimal sequence and the command that',
      'replays it; with --language, a regression test that fails until the bug is fixed. Code paths exercised',
      'are what can be seen from outside: distinct endpoint × status pairs. The result is stored in the database',
      "(runs table, kind 'properties') unless a capture is writing it.",
      '',
      'Exit code: 0 when nothing was violated, 1 on a violation (or an interrupted run), 2 for bad flags.',
    ].join('\n'),
  },

  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    if (!flags.target) throw new UsageError("properties needs --target URL (the backend to test); see 'chaos-testing properties --help'");
    const runs = intFlag(flags, 'runs', 0, 1_000_000)!;
    const maxSteps = intFlag(flags, 'max-steps', 1, 1000)!;
    const timeoutMs = intFlag(flags, 'timeout', 1, 3_600_000)!;
    const seed = intFlag(flags, 'seed', -(2 ** 31), 2 ** 31 - 1);
    const maxResponseTimeMs = intFlag(flags, 'max-response-time', 1, 3_600_000);
    const sessionId = intFlag(flags, 'session', 1, Number.MAX_SAFE_INTEGER);
    const checks = listFlag(flags, 'check');
    for (const c of checks) if (!(CHECK_NAMES as readonly string[]).includes(c)) throw new UsageError(`--check ${c} is not a check; choose from ${CHECK_NAMES.join(', ')}`);
    const language = flags.language === undefined ? undefined : String(flags.language).toLowerCase().replace(/^ts$/, 'typescript').replace(/^py$/, 'python');
    if (language !== undefined && !LANGUAGES.includes(language as RegressionLanguage)) throw new UsageError(`--language ${String(flags.language)} is not available; choose one of ${LANGUAGES.join(', ')}`);
    const framework = flags.framework === undefined ? undefined : String(flags.framework);
    if (framework !== undefined) {
      const { findDialect } = await import('../../core/generate/dialects');
      if (!language) throw new UsageError('--framework goes with --language');
      if (!findDialect(language, framework)) throw new UsageError(`--framework ${framework} is not available for ${language}`);
    }
    if (flags.path !== undefined && seed === undefined) throw new UsageError('--path replays a case of one seed: pass its --seed too (the replay command printed with the violation has both)');
    const { StateInvariant } = await import('../../api/stateInvariant');
    const { outcomeEvenIfCancelled } = await import('../../api/errors');
    const { parseTarget } = await import('../../core/replay/replay');
    parseTarget(String(flags.target));
    const { resolveInvariants } = await import('../../core/properties/invariants');
    const invariants = listFlag(flags, 'invariant');
    const invariantsDir = String(flags['invariants-dir']);
    await resolveInvariants(invariants, invariantsDir);
    if (runs === 0 && !invariants.length) throw new UsageError('--runs 0 runs the invariants alone: name at least one with --invariant');

    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let shown = false;
    let lastLine = { at: 0, phase: '' };
    try {
      const run = StateInvariant.propertyRun({
        database: String(flags.input), target: String(flags.target), sessionId, runs, seed, path: flags.path as string | undefined,
        checks: checks as CheckName[], invariants, invariantsDir, maxSteps, timeoutMs, maxResponseTimeMs, language: language as RegressionLanguage | undefined, framework,
        outDir: String(flags.out),
      });
      // Ctrl-C: the partial result is still printed (exit 1).
      const { raw: result } = await outcomeEvenIfCancelled(run.verify({
        signal: controller.signal,
        onProgress: (p) => {
          const line = `properties: ${p.runs}/${runs} runs, ${p.requests} requests, ${p.violations} violations (${p.phase})`;
          if (io.statusInPlace) {
            shown = true;
            process.stderr.write(`\r\x1b[K${line}`);
            return;
          }
          // Not a terminal: a line when the phase changes, else every 2 s.
          if (p.phase === lastLine.phase && Date.now() - lastLine.at < 2_000) return;
          lastLine = { at: Date.now(), phase: p.phase };
          io.err(line);
        },
      }));
      if (shown) process.stderr.write('\r\x1b[K');
      if (flags.json) io.out(JSON.stringify(result, null, 2));
      else io.out((await import('../../core/properties/report')).propertiesReport(result));
      return result.passed && !result.aborted ? 0 : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
