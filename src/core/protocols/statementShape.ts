/**
 * The `path` stored with a wire call: its statement with the values taken out, so `list --endpoints` and the
 * behaviour model group calls that do the same thing. SQL keeps its text with literals as `?`
 * (`SELECT * FROM users WHERE id = ?`); a command keeps its name and its first argument with ids as `{id}`
 * (`GET user:{id}`, `HSET session:{id}`); other statements (`/pkg.Service/Method`, `Produce orders[0]`) stay as they are.
 */
import { isIdSegment } from '../learn/pathTemplate';

const SQL = /^\s*(select|insert|update|delete|with|create|drop|alter|begin|commit|rollback|set|show|copy|call|explain|truncate|grant|revoke|values|start|savepoint|release|lock)\b/i;
const MAX = 300;

export function statementShape(protocol: string, statement: string): string {
  if (protocol === 'redis') return commandShape(statement);
  if (protocol === 'postgres' || protocol === 'mysql' || SQL.test(statement)) return sqlShape(statement);
  return statement.slice(0, MAX);
}

/** A Redis command (`SET` is a command here, not SQL): its name and its key. */
function commandShape(statement: string): string {
  const words = statement.split(' ', 3);
  if (words.length < 2) return words[0] ?? statement;
  return `${words[0]} ${keyShape(words[1])}`;
}

/**
 * SQL with its literals as `?` and its whitespace runs as one space, trimmed, cut at MAX; one pass over the text
 * (each wire call's SQL is shaped in the store worker, and literals make most of them new). The same as
 *   sql.replace(/'(?:[^']|'')*'/g, '?').replace(/(?<![\w$.])-?\d+(?:\.\d+)?\b/g, '?').replace(/\s+/g, ' ').trim()
 * (test/unit/statementShape.test.ts holds the two together).
 */
export function sqlShape(sql: string): string {
  const n = sql.length;
  let out = '';
  /** Whitespace seen since the last text written: one space before the next, none at the start or the end. */
  let space = false;
  let i = 0;
  while (i < n && out.length <= MAX) {
    // A run of plain text (and numbers glued to a word, which stay), copied as it is.
    const start = i;
    let c = sql.charCodeAt(i);
    while (i < n && c !== QUOTE && !isSpace(c) && !((isDigit(c) || c === MINUS) && (i === 0 || !isWordOrDollarOrDot(sql.charCodeAt(i - 1))))) c = sql.charCodeAt(++i);
    if (i > start) {
      if (space && out.length) out += ' ';
      space = false;
      out += sql.slice(start, i);
      if (i === n) break;
    }
    if (isSpace(c)) {
      space = true;
      i++;
      continue;
    }
    // A quote, or a digit or minus that may start a number (what is before it is no word, $ or .).
    const end = c === QUOTE ? quotedEnd(sql, i) : c === MINUS ? (isDigit(sql.charCodeAt(i + 1)) ? numberEnd(sql, i + 1) : 0) : numberEnd(sql, i);
    if (space && out.length) out += ' ';
    space = false;
    if (end > 0) {
      out += '?';
      i = end;
    } else {
      out += sql[i];
      i++;
    }
  }
  return out.slice(0, MAX);
}

const QUOTE = 0x27;
const MINUS = 0x2d;
const DOT = 0x2e;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isWord = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isWordOrDollarOrDot = (c: number): boolean => isWord(c) || c === 0x24 || c === DOT;
/** JavaScript's \s (and trim()'s) whitespace. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** After the quoted literal opening at `i` ('' inside is a quote), or 0 when none closes (as the regex backtracks: at a doubled quote's first half). */
function quotedEnd(sql: string, i: number): number {
  let lastPair = -1;
  let j = i + 1;
  while (j < sql.length) {
    if (sql.charCodeAt(j) !== QUOTE) j++;
    else if (sql.charCodeAt(j + 1) === QUOTE) {
      lastPair = j;
      j += 2;
    } else return j + 1;
  }
  return lastPair >= 0 ? lastPair + 1 : 0;
}

/** After the number whose digits start at `i` (digits, then . and digits), or 0 when a word character follows it. */
function numberEnd(sql: string, i: number): number {
  let j = i;
  while (isDigit(sql.charCodeAt(j))) j++;
  if (sql.charCodeAt(j) === DOT && isDigit(sql.charCodeAt(j + 1))) {
    let k = j + 1;
    while (isDigit(sql.charCodeAt(k))) k++;
    if (!isWord(sql.charCodeAt(k))) return k;
  }
  return isWord(sql.charCodeAt(j)) ? 0 : j;
}

/** user:42:profile → user:{id}:profile; a value cut to its size (<1,204 bytes>) → ?. */
function keyShape(key: string): string {
  if (/^<[\d,]+ bytes>$/.test(key)) return '?';
  return key
    .split(/([:/.|#-])/)
    .map((part) => (isIdSegment(part) ? '{id}' : part))
    .join('')
    .slice(0, MAX);
}
