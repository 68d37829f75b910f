import { parseArgs as nodeParseArgs } from 'node:util';
import { UsageError } from '../core/errors';

/** Flags are data: each command declares a table, and parsing, validation and --help all come from it. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean;
  /** Shown in --help as `--flag VALUE`. */
  value?: string;
  description: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommand {
  flags: FlagValues;
  positionals: string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Extra lines after the flag table: examples, notes. */
  details?: string;
  flags: Record<string, FlagSpec>;
  positionals?: PositionalSpec[];
}

const HELP_FLAG: FlagSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/** Parses one command's argv; throws UsageError with a line that names the bad input and the fix. */
export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries(spec.flags)) {
    // node's parseArgs rejects keys present with an undefined value.
    options[name] = { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) };
  }
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = nodeParseArgs({ args: negativeValuesJoined(argv, options), options, allowPositionals: true, strict: true }) as { values: FlagValues; positionals: string[] };
  } catch (e) {
    throw new UsageError(`${rephrase((e as Error).message)}; see 'chaos-testing ${spec.name} --help'`);
  }
  const flags: FlagValues = {};
  for (const [name, f] of Object.entries(spec.flags)) flags[name] = parsed.values[name] ?? f.default;
  flags.help = parsed.values.help;
  if (flags.help) return { flags, positionals: parsed.positionals };
  const allowed = spec.positionals ?? [];
  if (parsed.positionals.length > allowed.length) {
    throw new UsageError(`unexpected argument '${parsed.positionals[allowed.length]}' for '${spec.name}'; see 'chaos-testing ${spec.name} --help'`);
  }
  allowed.forEach((p, i) => {
    if (p.required && parsed.positionals[i] === undefined) throw new UsageError(`'${spec.name}' needs ${p.name.toUpperCase()} (${p.description}); see 'chaos-testing ${spec.name} --help'`);
  });
  return { flags, positionals: parsed.positionals };
}

/**
 * A negative number after a flag that takes a value is that value (`--seed -5`): node's parser would call it
 * ambiguous. Written as `--seed=-5` for it; the flag's own check then judges the number.
 */
function negativeValuesJoined(argv: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>): string[] {
  const longOf = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    longOf.set(`--${name}`, name);
    if (o.short) longOf.set(`-${o.short}`, name);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = longOf.get(argv[i]);
    if (argv[i] === '--') return out.concat(argv.slice(i));
    if (name !== undefined && i + 1 < argv.length && /^-\.?\d/.test(argv[i + 1])) out.push(`--${name}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

function rephrase(message: string): string {
  let m = /Option '([^']+)' argument is ambiguous/.exec(message);
  if (m) {
    const flag = m[1].split(',').pop()!.trim().split(' ')[0];
    return `flag ${flag} got a value that starts with '-': write it as ${flag}=VALUE`;
  }
  m = /Unknown option '([^']+)'/.exec(message);
  if (m) return `unknown flag ${m[1]}`;
  m = /Option '([^']+)' argument missing/.exec(message);
  if (m) return `flag ${m[1].split(',').pop()!.trim().split(' ')[0]} needs a value`;
  m = /Option '([^']+)' does not take an argument/.exec(message);
  if (m) return `flag ${m[1].split(',').pop()!.trim()} takes no value`;
  return message.split('\n')[0];
}

export function helpText(spec: CommandSpec): string {
  const pos = (spec.positionals ?? []).map((p) => (p.required ? p.name.toUpperCase() : `[${p.name.toUpperCase()}]`)).join(' ');
  const lines = [`Usage: chaos-testing ${spec.name}${pos ? ' ' + pos : ''} [flags]`, '', spec.summary, ''];
  if (spec.positionals?.length) {
    lines.push('Arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.toUpperCase().padEnd(26)} ${p.description}`);
    lines.push('');
  }
  lines.push('Flags:');
  for (const [name, f] of [...Object.entries(spec.flags), ['help', HELP_FLAG] as const]) {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
    const def = f.default !== undefined && f.default !== false ? ` (default: ${String(f.default)})` : '';
    const rep = f.multiple ? ' (repeatable)' : '';
    lines.push(`  ${left.padEnd(26)} ${f.description}${def}${rep}`);
  }
  if (spec.details) lines.push('', spec.details.trimEnd());
  return lines.join('\n');
}

// ---- value checks shared by commands ----

export function intFlag(flags: FlagValues, name: string, min: number, max: number): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} '${String(raw)}' must be a whole number from ${min} to ${max}`);
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** `1048576`, `512k`, `1MiB`, `2mb` → bytes. */
export function sizeFlag(flags: FlagValues, name: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(String(raw).trim());
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`--${name} '${String(raw)}' is not a size; use bytes or a unit, like 1MiB or 512k`);
  return Math.floor(Number(m[1]) * unit);
}

export function listFlag(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [String(v)]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function choiceFlag<T extends string>(flags: FlagValues, name: string, choices: readonly T[]): T {
  const v = String(flags[name]);
  if (!choices.includes(v as T)) throw new UsageError(`--${name} '${v}' must be one of: ${choices.join(', ')}`);
  return v as T;
}
