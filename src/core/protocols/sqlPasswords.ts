/**
 * Passwords and password hashes written into SQL, hidden as `'***'` before a statement is recorded (PostgreSQL and
 * MySQL/MariaDB). A mysql_native_password hash (`*6BB4…`) logs in as well as the password, so hashes go too.
 */

const LEADS = [
  // MySQL: IDENTIFIED [WITH plugin] BY [PASSWORD] 'x'
  String.raw`\bIDENTIFIED\s+(?:WITH\s+\S+\s+)?BY\s+(?:PASSWORD\s+)?`,
  // MySQL IDENTIFIED WITH plugin AS 'hash'; MariaDB IDENTIFIED VIA plugin USING 'hash' [OR plugin USING 'hash']
  String.raw`\b(?:IDENTIFIED\s+(?:WITH|VIA)|OR)\s+\w+\s+(?:AS|USING)\s+`,
  // PASSWORD('x'), SET PASSWORD [FOR u] = 'x', [MASTER_]PASSWORD = 'x'
  String.raw`\bPASSWORD\s*\(\s*`,
  String.raw`\bSET\s+PASSWORD\b[^=]*=\s*`,
  String.raw`\b(?:MASTER_)?PASSWORD\s*=\s*`,
  // PostgreSQL CREATE|ALTER ROLE|USER … [ENCRYPTED] PASSWORD 'x' (or E'x', $$x$$)
  String.raw`\b(?:(?:UN)?ENCRYPTED\s+)?PASSWORD\s+(?:E(?='))?`,
];
const LITERAL = String.raw`'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|\$(\w*)\$[\s\S]*?\$\3\$`;
const PASSWORD_LITERALS = new RegExp(`(${LEADS.join('|')})(${LITERAL})`, 'gi');

export function hideSqlPasswords(sql: string): string {
  return sql.replace(PASSWORD_LITERALS, (_m, lead: string) => `${lead.replace(/E$/i, '')}'***'`);
}
