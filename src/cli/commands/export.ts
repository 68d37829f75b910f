import { choiceFlag, intFlag, type ParsedCommand } from '../args';
import { DB_FLAG, SESSION_FLAG, type Command } from '../command';
import type { CliIO } from '../io';
import { requireSession } from '../sessionFlag';

export const exportCommand: Command = {
  spec: {
    name: 'export',
    summary: 'Export the store as HAR 1.2 (for browsers, mitmproxy, k6, ...), as JSON with every stored field, or as the OpenAPI 3.1 document of the learned behaviour.',
    flags: {
      format: { type: 'string', short: 'f', value: 'FORMAT', default: 'har', description: "'har', 'json' or 'openapi'" },
      db: DB_FLAG,
      session: SESSION_FLAG,
      output: { type: 'string', short: 'o', value: 'FILE', description: 'write here instead of standard output' },
    },
  },
  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    const format = choiceFlag(flags, 'format', ['har', 'json', 'openapi'] as const);
    const sessionId = intFlag(flags, 'session', 1, Number.MAX_SAFE_INTEGER);
    const { TrafficStore } = await import('../../api/trafficStore');
    const db = await TrafficStore.open(String(flags.db));
    let text: string;
    try {
      requireSession(db, sessionId, String(flags.db));
      const doc = format === 'openapi' ? db.toOpenApi(sessionId) : format === 'har' ? db.toHar(sessionId) : db.toJson(sessionId);
      text = JSON.stringify(doc, null, 2);
    } finally {
      db.close();
    }
    if (flags.output) {
      (await import('../../core/outputFile')).writeOutputFile('--output', String(flags.output), text + '\n', [String(flags.db)]);
      io.err(`exported to ${String(flags.output)}`);
    } else {
      io.out(text);
    }
    return 0;
  },
};
