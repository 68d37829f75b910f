import { intFlag, type ParsedCommand } from '../args';
import { DB_FLAG, JSON_FLAG, SESSION_FLAG, type Command } from '../command';
import { bytes, isoTime, ms, table, truncate } from '../../core/textFormat';
import type { CliIO } from '../io';
import { requireSession } from '../sessionFlag';

export const list: Command = {
  spec: {
    name: 'list',
    summary: 'List what the store holds: capture sessions, endpoints with counts, and the latest exchanges.',
    flags: {
      db: DB_FLAG,
      session: SESSION_FLAG,
      limit: { type: 'string', value: 'N', default: '20', description: 'exchanges to list (0 for all)' },
      json: JSON_FLAG,
    },
  },

  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    const sessionId = intFlag(flags, 'session', 1, Number.MAX_SAFE_INTEGER);
    const limit = intFlag(flags, 'limit', 0, Number.MAX_SAFE_INTEGER)!;
    const { TrafficStore } = await import('../../api/trafficStore');
    const db = await TrafficStore.open(String(flags.db));
    try {
      requireSession(db, sessionId, String(flags.db));
      const sessions = db.sessions().filter((s) => sessionId === undefined || s.id === sessionId);
      const endpoints = db.endpoints(sessionId);
      const total = db.count(sessionId);
      const offset = limit === 0 ? 0 : Math.max(0, total - limit);
      const exchanges = db.exchanges({ sessionId, limit: limit === 0 ? undefined : limit, offset });
      if (flags.json) {
        io.out(JSON.stringify({ database: flags.db, sessions, endpoints, exchanges, totalExchanges: total }, null, 2));
        return 0;
      }
      io.out(`Sessions (${sessions.length}) in ${flags.db}`);
      io.out(table(['ID', 'KIND', 'TARGET', 'LISTEN', 'STARTED', 'STOPPED', 'EXCHANGES', 'DROPPED'],
        sessions.map((s) => [s.id, s.kind, s.target, s.listen, isoTime(s.startedAt), s.stoppedAt ? isoTime(s.stoppedAt) : 'running/interrupted', s.exchanges, s.dropped])));
      io.out('');
      io.out(`Endpoints (${endpoints.length})`);
      io.out(table(['METHOD', 'ENDPOINT', 'PROTOCOL', 'COUNT', 'STATUSES'], endpoints.map((e) => [e.method, e.template, e.protocol, e.count, e.statuses.join(',')])));
      io.out('');
      io.out(`Exchanges (${exchanges.length === total ? total : `last ${exchanges.length} of ${total}`})`);
      io.out(table(['ID', 'TIME', 'METHOD', 'URL', 'STATUS', 'DURATION', 'SIZE', 'ERROR'],
        exchanges.map((e) => [e.id, isoTime(e.startedAt), e.method, truncate(e.url, 60), e.status, ms(e.durationMs), bytes(e.responseBodySize), e.error ? truncate(e.error, 50) : ''])));
      return 0;
    } finally {
      db.close();
    }
  },
};
