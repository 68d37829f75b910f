import { UsageError } from '../core/errors';

/**
 * `--session N` must name a session of the database: an export, a model or a listing of no session would print
 * empty output and exit 0, like success.
 */
export function requireSession(db: { sessions(): ReadonlyArray<{ id: number }> }, sessionId: number | undefined, file: string): void {
  if (sessionId !== undefined && !db.sessions().some((s) => s.id === sessionId)) {
    throw new UsageError(`--session ${sessionId}: no such session in ${file}; 'chaos-testing list' shows the sessions`);
  }
}
