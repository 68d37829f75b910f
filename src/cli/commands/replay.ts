import * as fs from 'node:fs';
import { StoreError, UsageError } from '../../core/errors';
import { MAX_RECORDED_GAP_MS } from '../../core/replay/pacing';
import type { Pacing } from '../../core/replay/types';
import { intFlag, type FlagValues, type ParsedCommand } from '../args';
import { DB_FLAG, JSON_FLAG, SESSION_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

const MAX_GAP_S = MAX_RECORDED_GAP_MS / 1000;

export const replayCommand: Command = {
  spec: {
    name: 'replay',
    summary: 'Replay the captured traffic against a backend, in order, re-binding chained values (a created id replaces the recorded one), optionally through faults; report each exchange as matched, diverged or error.',
    flags: {
      input: { ...DB_FLAG, short: 'i' },
      target: { type: 'string', short: 't', value: 'URL', description: 'the backend to replay against, e.g. http://127.0.0.1:9000' },
      faults: { type: 'string', short: 'f', value: 'FILE', description: 'YAML or JSON { toxics: [ {name, type, stream, toxicity, attributes} ] }: replay through a local fault proxy' },
      rate: { type: 'string', short: 'r', value: 'N', description: 'at most N requests per second (default: as fast as possible, one at a time)' },
      'as-recorded': { type: 'boolean', description: `keep the recorded gaps between requests (each gap capped at ${MAX_GAP_S} s)` },
      timeout: { type: 'string', value: 'MS', default: '10000', description: 'per-request timeout in milliseconds' },
      insecure: { type: 'boolean', description: "don't verify the target's TLS certificate" },
      session: SESSION_FLAG,
      json: { ...JSON_FLAG, description: 'print the full result as JSON' },
      progress: { type: 'boolean', description: 'a progress line per replayed exchange on stderr even when it is not a terminal (for tools that follow the run)' },
    },
    details: [
      'Examples:',
      '  chaos-testing replay --target http://127.0.0.1:9000',
      '  chaos-testing replay -i .chaos/traffic.db -t http://127.0.0.1:9000 --faults .chaos/slow.yaml --rate 20',
      '  chaos-testing replay -t http://127.0.0.1:9000 --as-recorded --json > replay.json',
      '',
      'A response diverges when its status differs, its body no longer fits the schema learned for the endpoint, or a',
      'stable value differs (values that differ between equivalent exchanges, timestamps and generated ids are noise).',
      'Secrets redacted at capture are read from CHAOS_SECRET_* variables, as generated tests do; a redacted header',
      'without one is dropped and the report says so. The result is stored in the database (runs table) unless a',
      'capture is writing it.',
      '',
      'Exit code: 0 when every exchange matched, 1 when any diverged or failed (or the run was interrupted),',
      '2 for bad flags.',
    ].join('\n'),
  },

  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    if (!flags.target) throw new UsageError("replay needs --target URL (the backend to replay against); see 'chaos-testing replay --help'");
    const pacing = pacingOf(flags);
    const timeoutMs = intFlag(flags, 'timeout', 1, 3_600_000)!;
    const sessionId = intFlag(flags, 'session', 1, Number.MAX_SAFE_INTEGER);
    const input = String(flags.input);
    const { parseTarget, replay } = await import('../../core/replay/replay');
    parseTarget(String(flags.target));
    if (!fs.existsSync(input)) throw new StoreError(`no traffic database at ${input}: capture some first with 'chaos-testing observe', or pass --input PATH`);
    const faults = flags.faults ? (await import('../../core/faults/faultsFile')).loadFaultsFile(String(flags.faults)) : [];

    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let progressShown = false;
    try {
      const result = await replay(
        { database: input, target: String(flags.target), sessionId, pacing, faults, timeoutMs, insecure: Boolean(flags.insecure) },
        {
          signal: controller.signal,
          onProgress: (p) => {
            const line = `replay ${p.done}/${p.total}  matched ${p.matched}  diverged ${p.diverged}  errors ${p.errors}`;
            if (io.statusInPlace) {
              progressShown = true;
              process.stderr.write(`\r\x1b[K${line}`);
            } else if (flags.progress) io.err(line);
          },
        },
      );
      if (progressShown) process.stderr.write('\r\x1b[K');
      if (flags.json) io.out(JSON.stringify(result, null, 2));
      else {
        const { replayReport } = await import('../../core/replay/report');
        io.out(replayReport(result));
      }
      const s = result.summary;
      return !result.aborted && s.diverged === 0 && s.errors === 0 ? 0 : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

function pacingOf(flags: FlagValues): Pacing {
  if (flags.rate !== undefined && flags['as-recorded']) throw new UsageError('--rate and --as-recorded do not go together; choose one');
  if (flags['as-recorded']) return { mode: 'as-recorded', maxGapMs: MAX_RECORDED_GAP_MS };
  if (flags.rate === undefined) return { mode: 'fast' };
  const n = Number(flags.rate);
  if (!Number.isFinite(n) || n <= 0 || n > 100_000) throw new UsageError(`--rate '${String(flags.rate)}' must be a number of requests per second above 0 (up to 100000)`);
  return { mode: 'rate', perSecond: n };
}
