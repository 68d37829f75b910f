import { isIdSegment } from './pathTemplate';

/**
 * Statement templates, the wire calls' counterpart of path templates: calls that differ only in their values are
 * one template. SQL literals become `?` (placeholders such as `$1` and `?` stay), `IN (?, ?, ?)` becomes
 * `IN (?)`; Redis keys keep their words and lose their ids (`user:42` → `user:{id}`), other arguments become `?`;
 * Kafka and gRPC statements (topics, methods) are already templates.
 */

const SQL_TOKEN = /'(?:[^']|'')*'?|"(?:[^"]|"")*"?|`[^`]*`?|\$\d+|\$[A-Za-z_]\w*\$[\s\S]*?\$[A-Za-z_]\w*\$|\$\$[\s\S]*?\$\$|--[^\n]*|\/\*[\s\S]*?\*\/|[A-Za-z_][\w$]*|\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b|0x[0-9a-f]+|\s+|./gi;

/** SQL with its literal values replaced by `?` and its whitespace collapsed. */
export function templateSql(sql: string): string {
  const out: string[] = [];
  for (const m of sql.matchAll(SQL_TOKEN)) {
    const t = m[0];
    if (/^\s+$/.test(t)) out.push(' ');
    else if (t.startsWith('--') || t.startsWith('/*')) continue;
    else if (t.startsWith("'") || t.startsWith('$$') || /^\$[A-Za-z_]\w*\$/.test(t) || /^(?:\d|0x)/i.test(t)) {
      // A negative number: the sign is part of the literal when it follows an operator or an opening.
      const prev = out.filter((x) => x !== ' ');
      if (prev[prev.length - 1] === '-' && /^[(,=<>+*/]$|^(?:and|or|values|select|where|by|then|else|in)$/i.test(prev[prev.length - 2] ?? '(')) {
        while (out[out.length - 1] === ' ') out.pop();
        out.pop();
      }
      out.push('?');
    } else out.push(t);
  }
  return out.join('').replace(/\s+/g, ' ').trim().replace(/\s+([,)])/g, '$1').replace(/\(\s+/g, '(')
    .replace(/\bIN ?\((?:\?|\$\d+)(?:, ?(?:\?|\$\d+))+\)/gi, (m) => `${m.slice(0, 2)} (?)`)
    // Multi-row VALUES: the rows after the first are one "…".
    .replace(/(\((?:\?, )*\?\))(?:, \1)+/g, '$1, …');
}

/** A Redis key with its id parts as `{id}`: user:42:cart → user:{id}:cart. */
function templateKey(key: string): string {
  return key.replace(/[^:./|#-]+/g, (part) => (isIdSegment(part) ? '{id}' : part));
}

/** A Redis command line (`SET user:1 <12 bytes>`): the command, its key templated, other arguments `?`. */
export function templateRedis(statement: string): string {
  const [command = '', ...args] = statement.trim().match(/<[^>]*>|"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  const out = [command.toUpperCase()];
  let last = '';
  for (const a of args) {
    // The first argument (the key of most commands), or an unquoted word with a separator: a key. A quoted
    // argument after the first is a value (`"{\"id\":1}"`); an upper-case word is an option (EX, NX, WITHSCORES).
    const value = /^<.*>$/.test(a) || (a.startsWith('"') && out.length > 1);
    const keyLike = !value && /[:.|#]/.test(a);
    const option = out.length > 1 && /^[A-Z]{2,12}$/.test(a);
    const t = option ? a : keyLike ? templateKey(a) : out.length === 1 && !value && !/^-?\d+(\.\d+)?$/.test(a) ? templateKey(a) : '?';
    // MGET a b c, DEL k1 k2: repeats of one template are one.
    if (t !== last) out.push(t);
    else if (out[out.length - 1] !== '…') out.push('…');
    last = t;
  }
  return out.join(' ');
}

/** The template of a wire call's statement for its protocol. */
export function templateStatement(protocol: string, statement: string): string {
  switch (protocol) {
    case 'postgres':
    case 'mysql':
      return templateSql(statement);
    case 'redis':
      return templateRedis(statement);
    default:
      return statement.replace(/\s+/g, ' ').trim();
  }
}
