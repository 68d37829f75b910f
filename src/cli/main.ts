import { UsageError, describeError, isChaosError } from '../core/errors';
import { VERSION } from '../core/version';
import { speakAsCli } from '../api/wording';
import { helpText, parseCommandArgs } from './args';
import type { Command } from './command';
import type { CliIO } from './io';

/** Every verb, loaded only when used. */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  observe: { summary: 'run the capture proxy and record every exchange', load: async () => (await import('./commands/observe')).observe },
  list: { summary: 'list sessions, endpoints and exchanges in the store', load: async () => (await import('./commands/list')).list },
  show: { summary: 'show one exchange in full', load: async () => (await import('./commands/show')).show },
  import: { summary: 'import a HAR file into the store', load: async () => (await import('./commands/import')).importCommand },
  learn: { summary: 'learn the backend\'s behaviour: endpoints, schemas, noise, chained flows', load: async () => (await import('./commands/learn')).learnCommand },
  generate: { summary: 'generate a regression test suite (pytest, vitest, node:test, go, rust, JUnit) from the traffic', load: async () => (await import('./commands/generate')).generateCommand },
  proxy: { summary: 'run a TCP proxy (e.g. to a database or cache) whose faults change at run time', load: async () => (await import('./commands/proxy')).proxyCommand },
  fault: { summary: 'add, remove and list faults on a running proxy: latency, bandwidth, reset, timeout, down...', load: async () => (await import('./commands/fault')).faultCommand },
  replay: { summary: 'replay captured traffic against a backend (optionally through faults) and report what diverged', load: async () => (await import('./commands/replay')).replayCommand },
  properties: { summary: 'property-based, stateful API testing from the traffic: random sequences, checks, shrunk failures, regression tests', load: async () => (await import('./commands/properties')).propertiesCommand },
  chaos: { summary: 'run, validate and recover chaos experiments: hypothesis, faults, recovery time, rollbacks', load: async () => (await import('./commands/chaos')).chaosCommand },
  load: { summary: 'load-test a backend with its captured traffic: ramp-up, spike, soak, stress, SLOs, compare runs, k6 export', load: async () => (await import('./commands/load')).loadCommand },
  audit: { summary: 'audit traffic and workspace files against FISMA, FedRAMP, SOC 2, HIPAA and PCI-DSS controls', load: async () => (await import('./commands/audit')).auditCommand },
  ci: { summary: 'run the production-readiness suite (.chaos/suite.yaml) with one exit code; JUnit, SARIF, Markdown and HTML reports', load: async () => (await import('./commands/ci')).ciCommand },
  ca: { summary: 'make, show and replace the local certificate authority for HTTPS capture', load: async () => (await import('./commands/ca')).caCommand },
  export: { summary: 'export the store as HAR, JSON or OpenAPI', load: async () => (await import('./commands/export')).exportCommand },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    `chaos-testing ${VERSION}: test any backend from the outside`,
    '',
    'Usage: chaos-testing <command> [flags]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`),
    '',
    "Run 'chaos-testing <command> --help' for a command's flags.",
    '',
    'Flags:',
    '  -v, --version  print the version',
    '  -h, --help     show this help',
  ].join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error). Never throws. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  // The verbs run through the library (src/api); their errors keep the CLI's words (its flags).
  speakAsCli();
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
      if (first === 'help' && rest[0]) return await main([rest[0], '--help'], io);
      io.out(mainHelp());
      return first === undefined ? 2 : 0;
    }
    if (first === '-v' || first === '--version' || first === 'version') {
      io.out(VERSION);
      return 0;
    }
    const entry = COMMANDS[first];
    if (!entry) {
      const hint = first.startsWith('-') ? 'flags go after a command' : `commands are: ${Object.keys(COMMANDS).join(', ')}`;
      throw new UsageError(`unknown command '${first}': ${hint}; see 'chaos-testing --help'`);
    }
    const command = await entry.load();
    const parsed = parseCommandArgs(command.spec, rest);
    if (parsed.flags.help) {
      io.out(helpText(command.spec));
      return 0;
    }
    return await command.run(parsed, io);
  } catch (e) {
    if (isChaosError(e)) {
      io.err(`chaos-testing: ${e.message}`);
      return e instanceof UsageError ? 2 : 1;
    }
    io.err(`chaos-testing: unexpected error: ${describeError(e)} (set CHAOS_DEBUG=1 for details, and please report it)`);
    if (process.env.CHAOS_DEBUG) io.err(String((e as Error).stack));
    return 1;
  }
}
