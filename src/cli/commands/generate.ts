import * as path from 'node:path';
import { choiceFlag, intFlag, type ParsedCommand } from '../args';
import { DB_FLAG, SESSION_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

export const generateCommand: Command = {
  spec: {
    name: 'generate',
    summary: 'Generate a regression test suite from the captured traffic, in the language of your project, ready for its own test runner.',
    flags: {
      input: { ...DB_FLAG, short: 'i' },
      language: { type: 'string', short: 'l', value: 'LANG', description: "'python' (pytest), 'typescript' (vitest; --framework node for node:test), 'go' (testing), 'rust' (ureq) or 'java' (JUnit 5)" },
      framework: { type: 'string', value: 'NAME', description: 'test framework when a language has several (typescript: vitest, node; java: junit5)' },
      out: { type: 'string', short: 'o', value: 'DIR', default: '.', description: 'project folder; the suite goes where its runner looks (tests/...)' },
      session: SESSION_FLAG,
      'on-edited': { type: 'string', value: 'WHAT', default: 'fail', description: "when the file was edited since it was generated: 'fail', 'overwrite' or 'beside' (writes FILE.new)" },
    },
    details: [
      'Examples:',
      '  chaos-testing generate --language python                 # → tests/test_generated.py (pytest + requests)',
      '  chaos-testing generate -l typescript --out ../web        # → ../web/tests/generated.test.ts (vitest + fetch)',
      '  chaos-testing generate -l go                             # → tests/generated_test.go (testing + net/http), go.mod if none',
      '  chaos-testing generate -l rust --out ../api             # → ../api/tests/test_generated.rs (ureq; Cargo.toml if missing)',
      '  chaos-testing generate -l java --out ../api              # → ../api/src/test/java/generated/GeneratedApiTest.java',
      '  BASE_URL=http://localhost:9000 python -m pytest tests/test_generated.py',
      '',
      'Tests read the base URL (BASE_URL) and every secret (CHAOS_SECRET_*) from the environment; values that',
      'differ from run to run are not asserted, and say why in a comment.',
    ].join('\n'),
  },
  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    const onEdited = choiceFlag(flags, 'on-edited', ['fail', 'overwrite', 'beside'] as const);
    const sessionId = intFlag(flags, 'session', 1, Number.MAX_SAFE_INTEGER);
    const { generateTests } = await import('../../api/capture');
    const r = await generateTests({ traffic: String(flags.input), language: String(flags.language ?? ''), framework: flags.framework as string | undefined, out: String(flags.out), session: sessionId, onEdited });
    const where = path.relative(process.cwd(), r.beside ?? r.file) || r.file;
    io.err(`chaos-testing: ${r.tests} tests (${r.framework}) → ${where}${r.beside ? ` (${path.basename(r.file)} was edited; written beside it)` : ''}`);
    if (r.env.length) io.err(`chaos-testing: the tests read ${r.env.join(', ')} and BASE_URL from the environment`);
    return 0;
  },
};
