import type { CliIO } from './io';

/**
 * Keeps an observe run going until Ctrl-C (or SIGTERM), `duration` seconds, or a failed store; prints `status()`
 * every second unless quiet. Resolves with the exit code. A second interrupt exits at once.
 */
export function waitUntilStopped(io: CliIO, options: { capture: { on(event: 'storeError', listener: (e: Error) => void): unknown }; status?: () => string; duration?: number; interrupted: () => boolean; release: () => void }): Promise<number> {
  const ticker = options.status
    ? setInterval(() => {
        const line = options.status!();
        if (io.statusInPlace) process.stderr.write(`\r\x1b[K${line}`);
        else io.err(line);
      }, 1000)
    : undefined;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (code: number): void => {
      if (stopping) return;
      stopping = true;
      if (ticker) clearInterval(ticker);
      if (io.statusInPlace && ticker) process.stderr.write('\n');
      resolve(code);
    };
    const onSignal = (): void => {
      if (stopping) {
        io.err('chaos-testing: second interrupt: exiting without waiting (the journal keeps what was captured)');
        process.exit(130);
      }
      stop(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    options.release();
    if (options.interrupted()) stop(0);
    options.capture.on('storeError', (e: Error) => {
      io.err(`chaos-testing: recording failed: ${e.message}; stopping`);
      stop(1);
    });
    if (options.duration) setTimeout(() => stop(0), options.duration * 1000);
  });
}

/** An interrupt while the proxy starts is kept and honoured once it runs (the default action would kill the
 * process with the lock file and a half-initialised journal left behind). */
export function holdEarlyInterrupt(): { interrupted: () => boolean; release: () => void } {
  let early = false;
  const onEarly = (): void => void (early = true);
  process.on('SIGINT', onEarly);
  process.on('SIGTERM', onEarly);
  return {
    interrupted: () => early,
    release: () => {
      process.off('SIGINT', onEarly);
      process.off('SIGTERM', onEarly);
    },
  };
}
