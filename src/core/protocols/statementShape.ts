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

function sqlShape(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w$.])-?\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX);
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
