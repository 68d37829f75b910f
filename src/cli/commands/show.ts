import { UsageError } from '../../core/errors';
import type { ExchangeDetail, StoredBody } from '../../core/store/database';
import { intFlag, type ParsedCommand } from '../args';
import { DB_FLAG, JSON_FLAG, type Command } from '../command';
import { bytes, isoTime, ms } from '../../core/textFormat';
import type { CliIO } from '../io';
import { isWireProtocol } from '../../core/protocols/wireRecord';

const OPCODES: Record<number, string> = { 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

export const show: Command = {
  spec: {
    name: 'show',
    summary: 'Show one exchange in full: request and response headers and bodies, timings, WebSocket messages.',
    positionals: [{ name: 'id', required: true, description: "exchange id, as 'chaos-testing list' prints it" }],
    flags: {
      db: DB_FLAG,
      json: JSON_FLAG,
      'max-body': { type: 'string', value: 'CHARS', default: '4000', description: 'characters of each body to print (0 for all)' },
    },
  },

  async run({ flags, positionals }: ParsedCommand, io: CliIO): Promise<number> {
    const id = Number(positionals[0]);
    if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`exchange id '${positionals[0]}' must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`);
    const maxBody = intFlag(flags, 'max-body', 0, Number.MAX_SAFE_INTEGER)!;
    const { TrafficStore } = await import('../../api/trafficStore');
    const { bodyAsText } = await import('../../core/store/bodyText');
    const db = await TrafficStore.open(String(flags.db));
    try {
      const ex = db.exchange(id);
      if (!ex) throw new UsageError(`no exchange ${id} in ${flags.db}; 'chaos-testing list' shows the ids`);
      if (flags.json) {
        io.out(JSON.stringify(toJson(ex, bodyAsText), null, 2));
        return 0;
      }
      const body = (b: StoredBody | null): string[] => {
        if (!b) return ['(no body)'];
        const decoded = bodyAsText(b.data, b.contentType, b.truncated);
        const encoding = decoded.encoding;
        const text = wire && !b.truncated ? prettyJson(decoded.text) : decoded.text;
        const shown = maxBody && text.length > maxBody ? `${text.slice(0, maxBody)}\n… (${text.length - maxBody} more characters)` : text;
        const note = b.truncated ? ` — stored ${bytes(b.data.length)} of ${bytes(b.size)}` : '';
        return [`(${bytes(b.size)}${b.contentType ? `, ${b.contentType}` : ''}${encoding ? ', base64' : ''}${note})`, shown];
      };
      const wire = isWireProtocol(ex.protocol);
      const lines = [
        `Exchange ${ex.id} (session ${ex.sessionId}, ${ex.protocol}, connection ${ex.connectionId ?? '-'})`,
        `${isoTime(ex.startedAt)}  time to first byte ${ms(ex.ttfbMs) || '-'}  total ${ms(ex.durationMs) || '-'}${ex.redacted ? '  [secrets redacted]' : ''}`,
        ...(ex.error ? [`error: ${ex.error}`] : []),
        '',
        wire ? `> ${ex.url}${ex.host ? `  (${ex.host})` : ''}` : `> ${ex.method} ${ex.url}`,
        ...ex.requestHeaders.map(([k, v]) => `> ${k}: ${v}`),
        ...body(ex.requestBody),
        '',
        wire ? `< ${ex.responseBody || ex.error ? 'reply' : '(no reply)'}` : `< ${ex.status ?? '(no response)'}`,
        ...(ex.responseHeaders ?? []).map(([k, v]) => `< ${k}: ${v}`),
        ...body(ex.responseBody),
      ];
      if (ex.messages.length) {
        lines.push('', `Messages (${ex.messages.length})`);
        for (const m of ex.messages) {
          const payload = m.data ? bodyAsText(m.data, m.opcode === 1 ? 'text/plain' : null).text : '';
          lines.push(`${m.direction === 'client' ? '→' : '←'} ${isoTime(m.at)} ${OPCODES[m.opcode] ?? m.opcode} ${m.size} B  ${payload.slice(0, 200)}`);
        }
      }
      io.out(lines.join('\n'));
      return 0;
    } finally {
      db.close();
    }
  },
};

function toJson(ex: ExchangeDetail, bodyAsText: typeof import('../../core/store/bodyText').bodyAsText): unknown {
  const body = (b: StoredBody | null): unknown => (b ? { ...bodyAsText(b.data, b.contentType), size: b.size, truncated: b.truncated, contentType: b.contentType } : null);
  return {
    ...ex,
    requestBody: body(ex.requestBody),
    responseBody: body(ex.responseBody),
    messages: ex.messages.map((m) => ({ ...m, data: m.data ? bodyAsText(m.data, m.opcode === 1 ? 'text/plain' : null) : null })),
  };
}

/** A wire call's request and reply are small JSON documents: shown indented. */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
