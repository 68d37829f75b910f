import { intFlag, type ParsedCommand } from '../args';
import { DB_FLAG, JSON_FLAG, SESSION_FLAG, type Command } from '../command';
import type { CliIO } from '../io';
import type { BehaviourModel } from '../../core/learn/model';
import { formatModel } from '../../core/learn/format';
import { requireSession } from '../sessionFlag';

export const learnCommand: Command = {
  spec: {
    name: 'learn',
    summary: "Learn the backend's behaviour from captured traffic: endpoint templates, JSON schemas, status and latency distributions, noise fields, values chained between requests, and deduplicated scenarios.",
    flags: { db: DB_FLAG, session: SESSION_FLAG, json: JSON_FLAG },
    details: [
      'Examples:',
      '  chaos-testing learn                         # the model of .chaos/traffic.db',
      '  chaos-testing learn --json > model.json     # the whole model, for tools',
      '  chaos-testing export --format openapi       # the same model as an OpenAPI 3.1 document',
    ].join('\n'),
  },
  async run({ flags }: ParsedCommand, io: CliIO): Promise<number> {
    const sessionId = intFlag(flags, 'session', 1, Number.MAX_SAFE_INTEGER);
    const { TrafficStore } = await import('../../api/trafficStore');
    const db = await TrafficStore.open(String(flags.db));
    let model: BehaviourModel;
    try {
      requireSession(db, sessionId, String(flags.db));
      model = db.behaviour(sessionId);
    } finally {
      db.close();
    }
    if (flags.json) io.out(JSON.stringify(model, null, 2));
    else for (const line of formatModel(model)) io.out(line);
    return 0;
  },
};
