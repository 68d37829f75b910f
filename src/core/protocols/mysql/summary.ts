/** How calls read: SQL cut to a readable length with its size, passwords in SQL hidden, errors as the client prints them. */
import { ServerStatus } from './constants';
import type { ErrPacket, OkPacket } from './messages';
import { sizeLabel } from './params';
import { hideSqlPasswords } from '../sqlPasswords';

const MAX_STATEMENT = 4000;

/** The SQL of a command: passwords in it hidden, and cut to MAX_STATEMENT characters with its full size. */
export function statementText(sql: Buffer, fullLength: number): string {
  const text = hideSqlPasswords(sql.subarray(0, MAX_STATEMENT * 4).toString('utf8'));
  if (text.length <= MAX_STATEMENT && fullLength === sql.length) return text;
  return `${text.slice(0, MAX_STATEMENT)}… ${sizeLabel(fullLength)}`;
}

export function errorText(err: ErrPacket): string {
  return `ERROR ${err.code}${err.sqlState ? ` (${err.sqlState})` : ''}: ${err.message}`;
}

export function inTransaction(statusFlags: number): boolean {
  return (statusFlags & ServerStatus.IN_TRANS) !== 0;
}

export function okSummary(ok: OkPacket): Record<string, unknown> {
  return {
    type: 'ok',
    affectedRows: ok.affectedRows,
    lastInsertId: ok.lastInsertId,
    warnings: ok.warnings,
    inTransaction: inTransaction(ok.statusFlags),
    autocommit: (ok.statusFlags & ServerStatus.AUTOCOMMIT) !== 0,
    ...(ok.info ? { info: ok.info } : {}),
  };
}

export function errSummary(err: ErrPacket): Record<string, unknown> {
  return { type: 'error', code: err.code, sqlState: err.sqlState, message: err.message };
}
