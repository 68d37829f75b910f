import type { CommandSpec, ParsedCommand } from './args';
import type { CliIO } from './io';

export interface Command {
  spec: CommandSpec;
  /** Returns the exit code. Throws ChaosError for anything the user can fix. */
  run(args: ParsedCommand, io: CliIO): Promise<number>;
}

/** Flags several verbs share. */
export const DB_FLAG = { type: 'string', value: 'PATH', default: '.chaos/traffic.db', description: 'traffic database' } as const;
export const JSON_FLAG = { type: 'boolean', description: 'print JSON instead of a table' } as const;
export const SESSION_FLAG = { type: 'string', value: 'ID', description: 'only this capture session' } as const;
