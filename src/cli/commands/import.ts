import { listFlag, type ParsedCommand } from '../args';
import { DB_FLAG, type Command } from '../command';
import type { CliIO } from '../io';

export const importCommand: Command = {
  spec: {
    name: 'import',
    summary: 'Import a HAR file (from a browser, mitmproxy, Charles, ...) as a new session of the store. Secrets are redacted as in a capture.',
    positionals: [{ name: 'file', required: true, description: 'the .har file' }],
    flags: {
      db: DB_FLAG,
      redact: { type: 'string', multiple: true, value: 'NAME', description: 'also redact headers, query and JSON fields with this name' },
      'no-redact': { type: 'boolean', description: 'store secrets as they are' },
    },
  },
  async run({ flags, positionals }: ParsedCommand, io: CliIO): Promise<number> {
    const { importHar } = await import('../../core/har/import');
    const r = await importHar(positionals[0], String(flags.db), { enabled: !flags['no-redact'], extraFields: listFlag(flags, 'redact') });
    io.out(`imported ${r.exchanges} exchanges${r.messages ? ` and ${r.messages} WebSocket messages` : ''} from ${positionals[0]} as session ${r.sessionId} of ${r.file}`);
    return 0;
  },
};
