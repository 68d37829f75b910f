/**
 * Entry of the engine child process (dist/engine.js). The extension host forks it and talks over IPC; the
 * child exits when its parent goes away, stopping a running capture first so nothing captured is lost.
 */
import { Engine, errorReply } from './engine';
import type { FromEngine, ToEngine } from './protocol';

if (!process.send) {
  console.error('engine.js is started by the Chaos Testing extension (child_process.fork), not by hand');
  process.exit(2);
}

const send = (m: FromEngine): void => {
  if (process.connected) process.send!(m);
};
const engine = new Engine(send);

process.on('message', (m: ToEngine) => {
  if (m?.type !== 'request') return;
  engine.handle(m.op, m.params).then(
    (result) => send({ type: 'reply', id: m.id, ok: true, result: result ?? null }),
    (e: unknown) => send(errorReply(m.id, e)),
  );
});

let exiting = false;
async function shutdown(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  try {
    await engine.dispose();
  } finally {
    process.exit(code);
  }
}
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
