/**
 * Wraps a wire protocol definition to record, per connection, every chunk its parser is fed (both directions, in
 * order), so fuzz tests can replay a real session into fresh parsers: split differently, truncated or corrupted.
 */
import type { WireCall, WireParserContext, WireProtocolDefinition } from '../../src/core/protocols/types';

export type Chunk = { side: 'client' | 'server'; bytes: Buffer };

export function recording(definition: WireProtocolDefinition): { definition: WireProtocolDefinition; sessions: Chunk[][] } {
  const sessions: Chunk[][] = [];
  return {
    sessions,
    definition: {
      ...definition,
      createParser(context: WireParserContext) {
        const session: Chunk[] = [];
        sessions.push(session);
        const parser = definition.createParser(context);
        return {
          client: (chunk) => (session.push({ side: 'client', bytes: Buffer.from(chunk) }), parser.client(chunk)),
          server: (chunk) => (session.push({ side: 'server', bytes: Buffer.from(chunk) }), parser.server(chunk)),
          end: () => parser.end(),
        };
      },
    },
  };
}

/** Feeds a session to a fresh parser, each direction's bytes re-cut at `cuts` (chunk sizes, cycled); returns the calls. */
export function replay(definition: WireProtocolDefinition, session: Chunk[], options: { cuts?: number[]; protoFiles?: string[] } = {}): { calls: WireCall[]; parser: ReturnType<WireProtocolDefinition['createParser']> } {
  const calls: WireCall[] = [];
  let clock = 1_000;
  const parser = definition.createParser({ now: () => clock++, emit: (c) => calls.push(c), options: options.protoFiles ? { protoFiles: options.protoFiles } : undefined });
  // Merge runs of the same side, then re-split them, so chunk boundaries move but the interleaving stays.
  const runs: Chunk[] = [];
  for (const c of session) {
    const last = runs[runs.length - 1];
    if (last && last.side === c.side) last.bytes = Buffer.concat([last.bytes, c.bytes]);
    else runs.push({ side: c.side, bytes: c.bytes });
  }
  let k = 0;
  for (const run of runs) {
    for (let at = 0; at < run.bytes.length; ) {
      const size = options.cuts?.length ? Math.max(1, options.cuts[k++ % options.cuts.length]) : run.bytes.length;
      parser[run.side](run.bytes.subarray(at, at + size));
      at += size;
    }
  }
  parser.end();
  return { calls, parser };
}
