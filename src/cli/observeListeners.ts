/** `observe --protocol NAME` and `observe --config capture.yaml`: several listeners, one database, one session. */
import type { CaptureRun } from '../core/capture/captureRun';
import type { ListenerSpec } from '../core/capture/listeners';
import type { StoreWriterOptions } from '../core/store/writer';
import type { HostPort } from '../core/faults/tcpProxy';
import { bytes } from '../core/textFormat';
import type { CliIO } from './io';
import { holdEarlyInterrupt, waitUntilStopped } from './observeWait';

export interface ListenersRunOptions {
  listeners: ListenerSpec[];
  output: string;
  bodyCap?: number;
  store: StoreWriterOptions;
  http: { include: string[]; exclude: string[]; headersTimeoutMs?: number; upstreamTimeoutMs?: number; insecure: boolean; caFile?: string };
  api?: HostPort;
  duration?: number;
  quiet: boolean;
}

export async function runListeners(o: ListenersRunOptions, io: CliIO): Promise<number> {
  const early = holdEarlyInterrupt();
  const { CaptureRun } = await import('../core/capture/captureRun');
  let run: CaptureRun;
  try {
    run = await CaptureRun.start({ output: o.output, listeners: o.listeners, store: o.store, bodyCap: o.bodyCap, http: o.http });
  } catch (e) {
    early.release();
    throw e;
  }
  let api: import('../core/faults/api').FaultApi | undefined;
  if (o.api) {
    const { FaultApi } = await import('../core/faults/api');
    api = new FaultApi();
    try {
      const bound = await api.listen(o.api);
      for (const l of run.listeners) api.register(l.faultTarget);
      io.err(`chaos-testing: fault API http://${bound.host}:${bound.port} (proxies ${run.listeners.map((l) => `'${l.spec.name}'`).join(', ')})`);
    } catch (e) {
      early.release();
      await api.close();
      await run.stop();
      throw e;
    }
  }
  for (const l of run.listeners) io.err(`chaos-testing: ${l.spec.name} (${l.spec.protocol}) listening on ${l.listen} → ${l.spec.target}`);
  io.err(`chaos-testing: recording to ${run.file} (session ${run.sessionId}); Ctrl-C stops every listener`);

  const last = new Map<string, { at: number; calls: number }>();
  const status = (): string => {
    const s = run.stats();
    const now = Date.now();
    const parts = s.listeners.map((l) => {
      const prev = last.get(l.name) ?? { at: now - 1000, calls: 0 };
      last.set(l.name, { at: now, calls: l.calls });
      const rate = ((l.calls - prev.calls) * 1000) / Math.max(1, now - prev.at);
      return `${l.name} ${l.calls} (${rate.toFixed(0)}/s, ${l.errors} err, ${l.openConnections} conn)`;
    });
    return `${parts.join('  |  ')}  |  stored ${s.stored}${s.dropped ? `  DROPPED ${s.dropped} (store behind)` : ''}`;
  };
  const code = await waitUntilStopped(io, { writer: run.writer, status: o.quiet ? undefined : status, duration: o.duration, ...early });
  try {
    await api?.close();
    const summary = await run.stop();
    const dropped = summary.dropped ? `, ${summary.dropped} dropped` : '';
    io.err(
      `chaos-testing: captured ${summary.stored} exchanges (${summary.requests} calls, ${summary.errors} errors${dropped}) from ${run.listeners.length} listener(s) in ${summary.seconds.toFixed(1)} s → ${summary.file} (${bytes(summary.fileBytes)}, session ${summary.sessionId})`,
    );
  } catch (e) {
    io.err(`chaos-testing: could not finish writing: ${(e as Error).message}`);
    return 1;
  }
  return code;
}
