import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChaosError } from '../errors';
import type { EngineOp, EngineOps, FromEngine, ToEngine } from './protocol';

export type EngineEvent = Exclude<FromEngine, { type: 'reply' }> | { type: 'exit'; code: number | null; signal: string | null; expected: boolean };

/** An error the engine reported, with its ChaosError code kept so callers can tell user errors from bugs. */
export class EngineError extends ChaosError {
  constructor(message: string, code = 'CT_ENGINE') {
    super(code, message);
  }
}

/** dist/engine.js beside the bundle, or engineMain.ts under tsx (tests run from source). */
function engineEntry(): { file: string; execArgv: string[] } {
  const js = path.join(__dirname, 'engine.js');
  if (fs.existsSync(js)) return { file: js, execArgv: [] };
  return { file: path.join(__dirname, 'engineMain.ts'), execArgv: ['--import', 'tsx'] };
}

/**
 * The extension host's handle on the engine child process. Started on first use, restarted on the next use after
 * a crash; every request is answered or rejected (never left hanging when the child dies).
 */
export class EngineClient {
  private _child: ChildProcess | undefined;
  private _nextId = 1;
  private _pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private _listeners = new Set<(e: EngineEvent) => void>();
  private _disposed = false;
  private _stopping = false;

  constructor(private readonly _options: { entry?: string; execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}) {}

  get pid(): number | undefined {
    return this._child?.pid;
  }

  onEvent(listener: (e: EngineEvent) => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  request<K extends EngineOp>(op: K, params: EngineOps[K]['params']): Promise<EngineOps[K]['result']> {
    if (this._disposed) return Promise.reject(new EngineError('the Chaos Testing engine has been shut down'));
    const child = this._start();
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ type: 'request', id, op, params } as ToEngine, (e) => {
        if (e && this._pending.delete(id)) reject(new EngineError(`cannot reach the Chaos Testing engine: ${e.message}`));
      });
    });
  }

  private _start(): ChildProcess {
    if (this._child) return this._child;
    const entry = this._options.entry ? { file: this._options.entry, execArgv: this._options.execArgv ?? [] } : engineEntry();
    // In the desktop editor process.execPath is Electron; ELECTRON_RUN_AS_NODE makes it a plain Node.
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      env: { ...process.env, ...this._options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    child.on('message', (m: FromEngine) => this._onMessage(m));
    child.on('exit', (code, signal) => {
      if (this._child === child) this._child = undefined;
      const expected = this._stopping || this._disposed;
      const why = expected ? 'the engine was stopped' : `the Chaos Testing engine exited (${signal ?? `code ${code}`})${stderr ? `: ${lastLine(stderr)}` : ''}`;
      for (const p of this._pending.values()) p.reject(new EngineError(why));
      this._pending.clear();
      this._emit({ type: 'exit', code, signal, expected });
    });
    this._child = child;
    return child;
  }

  private _onMessage(m: FromEngine): void {
    if (m.type !== 'reply') {
      this._emit(m);
      return;
    }
    const p = this._pending.get(m.id);
    if (!p) return;
    this._pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new EngineError(m.error, m.code));
  }

  private _emit(e: EngineEvent): void {
    for (const l of this._listeners) {
      try {
        l(e);
      } catch {
        // a listener's bug must not break the channel
      }
    }
  }

  /** Asks the child to stop (it flushes a running capture), and kills it if it has not exited within `graceMs`. */
  async dispose(graceMs = 5_000): Promise<void> {
    this._disposed = true;
    const child = this._child;
    if (!child) return;
    this._stopping = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
    });
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop() ?? '';
}
