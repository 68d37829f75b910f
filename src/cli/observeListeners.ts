/** `observe --protocol NAME` and `observe --config capture.yaml`: several listeners, one database, one session. */
import type { CaptureStartOptions, RunningCapture } from '../api/capture';
import { bytes } from '../core/textFormat';
import type { CliIO } from './io';
import { holdEarlyInterrupt, waitUntilStopped } from './observeWait';

export async function runListeners(options: CaptureStartOptions, o: { duration?: number; quiet: boolean }, io: CliIO): Promise<number> {
  const early = holdEarlyInterrupt();
  const { Capture } = await import('../api/capture');
  let capture: RunningCapture;
  try {
    capture = await Capture.start(options);
  } catch (e) {
    early.release();
    throw e;
  }
  if (capture.faultApi) io.err(`chaos-testing: fault API http://${capture.faultApi.host}:${capture.faultApi.port} (proxies ${capture.listeners.map((l) => `'${l.name}'`).join(', ')})`);
  for (const l of capture.listeners) io.err(`chaos-testing: ${l.name} (${l.protocol}) listening on ${l.listen} → ${l.target}`);
  io.err(`chaos-testing: recording to ${capture.file} (session ${capture.sessionId}); Ctrl-C stops every listener`);

  const last = new Map<string, { at: number; calls: number }>();
  const status = (): string => {
    const s = capture.stats();
    const now = Date.now();
    const parts = s.listeners.map((l) => {
      const prev = last.get(l.name) ?? { at: now - 1000, calls: 0 };
      last.set(l.name, { at: now, calls: l.calls });
      const rate = ((l.calls - prev.calls) * 1000) / Math.max(1, now - prev.at);
      return `${l.name} ${l.calls} (${rate.toFixed(0)}/s, ${l.errors} err, ${l.openConnections} conn)`;
    });
    return `${parts.join('  |  ')}  |  stored ${s.stored}${s.dropped ? `  DROPPED ${s.dropped} (store behind)` : ''}`;
  };
  const code = await waitUntilStopped(io, { capture, status: o.quiet ? undefined : status, duration: o.duration, ...early });
  try {
    const summary = await capture.stop();
    const dropped = summary.dropped ? `, ${summary.dropped} dropped` : '';
    io.err(
      `chaos-testing: captured ${summary.stored} exchanges (${summary.requests} calls, ${summary.errors} errors${dropped}) from ${capture.listeners.length} listener(s) in ${summary.seconds.toFixed(1)} s → ${summary.file} (${bytes(summary.fileBytes)}, session ${summary.sessionId})`,
    );
  } catch (e) {
    io.err(`chaos-testing: could not finish writing: ${(e as Error).message}`);
    return 1;
  }
  return code;
}
