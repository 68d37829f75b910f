/**
 * What a Redis call looks like in the store: the command line as a statement (long values cut with their size,
 * secrets hidden), the arguments as a list, and the reply as small JSON (type, value, counts).
 */
import type { RespValue } from './resp';

const ARG_MAX = 64;
const STATEMENT_MAX = 1_000;
const TEXT_MAX = 512;
const ITEMS_SHOWN = 50;
const DEPTH_SHOWN = 4;
export const HIDDEN = '<hidden>';
const SIZE_LABEL = /^<[\d,]+ bytes>$/;

export function sizeLabel(bytes: number): string {
  return `<${bytes.toLocaleString('en-US')} bytes>`;
}

/** A command argument as text; a value we did not keep (too long) is its size. */
export function argText(v: RespValue): string {
  if (v.type === 'bulk') return v.value === null ? (v.size ? sizeLabel(v.size) : '') : v.value.toString('utf8');
  if (v.type === 'simple' || v.type === 'error' || v.type === 'bignum') return v.value;
  if (v.type === 'integer' || v.type === 'double') return String(v.value);
  return `<${v.type}>`;
}

/** Hides the values of AUTH, HELLO … AUTH, MIGRATE … AUTH/AUTH2, CONFIG SET requirepass/masterauth and ACL passwords. */
export function hideSecrets(name: string, args: string[]): string[] {
  switch (name) {
    case 'AUTH':
      return args.map(() => HIDDEN);
    case 'HELLO':
    case 'MIGRATE': {
      const out = [...args];
      for (let i = 0; i < out.length; i++) {
        const word = out[i].toUpperCase();
        if (word === 'AUTH') {
          // HELLO: AUTH username password; MIGRATE: AUTH password.
          const n = name === 'HELLO' ? 2 : 1;
          for (let k = 1; k <= n && i + k < out.length; k++) out[i + k] = HIDDEN;
        } else if (word === 'AUTH2') {
          for (let k = 1; k <= 2 && i + k < out.length; k++) out[i + k] = HIDDEN;
        }
      }
      return out;
    }
    case 'CONFIG':
      if ((args[0] ?? '').toUpperCase() !== 'SET') return args;
      return args.map((a, i) => (i >= 2 && i % 2 === 0 && /^(requirepass|masterauth|masteruser)$/i.test(args[i - 1]) ? HIDDEN : a));
    case 'ACL':
      if ((args[0] ?? '').toUpperCase() !== 'SETUSER') return args;
      return args.map((a, i) => (i >= 2 && /^[><#!]/.test(a) ? `${a[0]}${HIDDEN}` : a));
    default:
      return args;
  }
}

export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return sizeLabel(Buffer.byteLength(text));
}

/** `SET user:1 <1,204 bytes>`; arguments with spaces are quoted. */
export function statementOf(name: string, args: string[]): string {
  let s = name;
  for (const a of args) {
    const shown = a.length > ARG_MAX ? sizeLabel(Buffer.byteLength(a)) : a === '' || (/[\s"]/.test(a) && !SIZE_LABEL.test(a)) ? JSON.stringify(a) : a;
    s += ` ${shown}`;
    if (s.length > STATEMENT_MAX) return `${s.slice(0, STATEMENT_MAX)}… (${args.length} arguments)`;
  }
  return s;
}

/** Arguments as stored in the request JSON: each cut at 512 characters. */
export function argsJson(args: string[]): string[] {
  return args.map((a) => (a.length > TEXT_MAX ? `${a.slice(0, TEXT_MAX)}… ${sizeLabel(Buffer.byteLength(a))}` : a));
}

function text(b: Buffer | null, size: number): string | null {
  if (b === null) return size ? sizeLabel(size) : null;
  const s = b.toString('utf8');
  return s.length > TEXT_MAX ? `${s.slice(0, TEXT_MAX)}… ${sizeLabel(size)}` : s;
}

/** A reply value as plain JSON data: strings, numbers, booleans, null, lists, and maps as objects when keys are text. */
export function plain(v: RespValue, depth = 0): unknown {
  switch (v.type) {
    case 'simple':
    case 'error':
    case 'bignum':
      return v.value;
    case 'integer':
    case 'double':
    case 'boolean':
      return v.value;
    case 'null':
      return null;
    case 'bulk':
    case 'verbatim':
      return text(v.value, v.size);
    default: {
      if (depth >= DEPTH_SHOWN) return `<${v.type} of ${v.count}>`;
      const items = v.items;
      if (v.type === 'map') {
        const out: Record<string, unknown> = {};
        for (let i = 0; i + 1 < items.length && i < ITEMS_SHOWN * 2; i += 2) out[String(plain(items[i], DEPTH_SHOWN))] = plain(items[i + 1], depth + 1);
        if (v.count > ITEMS_SHOWN) out['…'] = `${v.count - ITEMS_SHOWN} more`;
        return out;
      }
      const out = items.slice(0, ITEMS_SHOWN).map((x) => plain(x, depth + 1));
      if (v.count > ITEMS_SHOWN) out.push(`… ${v.count - ITEMS_SHOWN} more`);
      return out;
    }
  }
}

/** The reply summary stored as the response: its RESP type, its size for aggregates, its value. */
export function replySummary(v: RespValue): Record<string, unknown> {
  if (v.type === 'array' || v.type === 'set' || v.type === 'push' || v.type === 'map') return { type: v.type, count: v.count, value: plain(v) };
  if (v.type === 'verbatim') return { type: v.type, format: v.format, value: plain(v) };
  if (v.type === 'bulk' && v.value === null && v.size === 0) return { type: 'null' };
  return { type: v.type, value: plain(v) };
}

/** The first element of an array or push as lower-case text ('message', 'subscribe', ...), or ''. */
export function kindOf(v: RespValue): string {
  if ((v.type !== 'array' && v.type !== 'push') || !v.items.length) return '';
  const first = v.items[0];
  if (first.type !== 'bulk' && first.type !== 'simple') return '';
  return argText(first).toLowerCase();
}
