/**
 * A raw TCP proxy with toxics (Toxiproxy's model): listen → upstream, each direction of each connection piped
 * through the chain of its toxics in the order they were added.
 *
 * Choice: an added toxic applies to connections opened afterwards; a connection keeps the chain it was built with.
 * An updated toxic reaches live connections (their stage takes the new attributes), as Toxiproxy's update does.
 * A removed toxic, though, leaves live connections too (as Toxiproxy's, which rebuilds their links): its stage
 * becomes a pass-through and lets go what it held, so `fault rm`, `reset` and a chaos rollback heal pooled
 * connections. `down` (enabled = false) closes the listener (new connections are refused, like Toxiproxy) and cuts
 * every live connection at once.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Transform } from 'node:stream';
import { InputError, ListenError } from '../errors';
import type { FaultTarget } from './target';
import { ToxicList, type ToxicEntry } from './toxicList';
import { copyToxic, createToxicTransform, type LinkControl, type Toxic } from './toxics';
import type { ToxicTransform } from './transforms';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Sees a copy of what one connection carries, as it is read from each socket (before the toxics), and hears when
 * the connection ends. Called synchronously after the chunk was handed to the forward path, which never waits on
 * it; the chunks are Node's own read buffers (never reused), so the tap must only read them.
 */
export interface ConnectionTap {
  client(chunk: Buffer): void;
  server(chunk: Buffer): void;
  end(): void;
  /** The upstream connection could not be made (refused, unreachable): called once, before end(). */
  upstreamFailed?(error: Error): void;
  /**
   * Transforms put first on each path (client → upstream, upstream → client): the tap's way to hold a side back
   * (back-pressure); the pipes then stop reading that side's socket, so the tap sees at most what is buffered.
   */
  upstreamGate?: Transform;
  downstreamGate?: Transform;
  /**
   * Handed the connection's flow control once, before any chunk: a cheaper hold than a gate (no stream stage per
   * chunk). Paused, neither socket is read (what was read is still forwarded), until resume().
   */
  flow?(control: FlowControl): void;
}

export interface FlowControl {
  pause(): void;
  resume(): void;
}

export interface TcpProxyOptions {
  name: string;
  listen: HostPort;
  upstream: HostPort;
  enabled?: boolean;
  /** Called per accepted connection; undefined (or no tap option) leaves the connection untapped, at no cost. */
  tap?: (connectionId: number) => ConnectionTap | undefined;
}

/** `127.0.0.1:6379` → {host, port}; the port may be 0 for a listen address when `allowZero`. */
export function parseHostPort(value: string, what: string, allowZero = false): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (port === 0 && !allowZero)) throw new InputError(`${what} '${value}' must be HOST:PORT, e.g. 127.0.0.1:6379`);
  return { host: m[1] ?? m[2], port };
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

class Connection {
  private readonly _transforms: Transform[] = [];
  /** Each toxic's stages on this connection, to remove them when the toxic goes. */
  private readonly _stages = new Map<Toxic, ToxicTransform>();
  private _done = false;

  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket,
    toxics: readonly { toxic: Toxic }[],
    private readonly _onDone: (c: Connection) => void,
    private readonly _tap?: ConnectionTap,
  ) {
    const link: LinkControl = { reset: () => this.destroy(true), close: () => this.destroy(false) };
    const chain = (stream: Toxic['stream'], from: net.Socket, to: net.Socket): void => {
      let src: NodeJS.ReadableStream = from;
      const gate = stream === 'upstream' ? _tap?.upstreamGate : _tap?.downstreamGate;
      if (gate) {
        // A gate that fails with `reset: true` means "reset this connection here" (the invariants' precise cuts).
        gate.on('error', (e: Error & { reset?: boolean }) => this.destroy(e.reset === true));
        this._transforms.push(gate);
        src = src.pipe(gate);
      }
      for (const { toxic } of toxics) {
        // Toxicity is drawn once per connection, as Toxiproxy does per link.
        if (toxic.stream !== stream || !(Math.random() < toxic.toxicity)) continue;
        const t = createToxicTransform(toxic, link);
        t.on('error', () => this.destroy(false));
        this._transforms.push(t);
        this._stages.set(toxic, t);
        src = src.pipe(t);
      }
      src.pipe(to);
    };
    let connected = false;
    upstream.once('connect', () => (connected = true));
    upstream.on('error', (e) => {
      if (!connected && !this._done) _tap?.upstreamFailed?.(e);
    });
    for (const s of [client, upstream]) {
      s.on('error', () => this.destroy(true));
      s.on('close', () => {
        if (client.destroyed && upstream.destroyed) this.destroy(false);
      });
    }
    chain('upstream', client, upstream);
    chain('downstream', upstream, client);
    // After the pipes: each chunk is forwarded (written on) before the tap sees it.
    if (_tap) {
      _tap.flow?.({
        pause: () => {
          client.pause();
          upstream.pause();
        },
        resume: () => {
          if (this._done) return;
          client.resume();
          upstream.resume();
        },
      });
      client.on('data', (chunk: Buffer) => _tap.client(chunk));
      upstream.on('data', (chunk: Buffer) => _tap.server(chunk));
    }
  }

  /** The toxic was changed in place: its stage on this connection (if the toxicity drew one) takes the new attributes. */
  toxicUpdated(before: Toxic, after: Toxic): void {
    const stage = this._stages.get(before);
    if (!stage) return;
    this._stages.delete(before);
    this._stages.set(after, stage);
    stage.update(after.attributes as Record<string, number>);
  }

  /** The toxic was removed from the proxy: its stage on this connection passes everything from now on. */
  toxicRemoved(toxic: Toxic): void {
    this._stages.get(toxic)?.remove();
  }

  /** Ends everything now; `reset` sends the client a TCP RST. Idempotent. */
  destroy(reset: boolean): void {
    if (this._done) return;
    this._done = true;
    for (const t of this._transforms) t.destroy();
    if (reset && !this.client.destroyed) this.client.resetAndDestroy();
    else this.client.destroy();
    if (reset && !this.upstream.destroyed && this.upstream.readyState === 'open') this.upstream.resetAndDestroy();
    else this.upstream.destroy();
    this._tap?.end();
    this._onDone(this);
  }
}

/** Emits 'connection' and 'close' (of a client connection); 'error' is never emitted after start. */
export class TcpProxy extends EventEmitter implements FaultTarget {
  readonly name: string;
  readonly upstream: HostPort;
  private _listen: HostPort;
  private _enabled: boolean;
  private readonly _toxics = new ToxicList('tcp');
  private readonly _connections = new Set<Connection>();
  private readonly _tap: TcpProxyOptions['tap'];
  private _nextConnectionId = 1;
  private _server: net.Server | undefined;
  private _closed = false;

  constructor(options: TcpProxyOptions) {
    super();
    this.name = options.name;
    this._listen = { ...options.listen };
    this.upstream = { ...options.upstream };
    this._enabled = options.enabled ?? true;
    this._tap = options.tap;
  }

  /** Starts listening (when enabled); resolves with the bound address (the real port when 0 was asked). */
  async start(): Promise<HostPort> {
    if (this._enabled) await this._startListening();
    return this.listen;
  }

  get listen(): HostPort {
    return { ...this._listen };
  }

  get enabled(): boolean {
    return this._enabled;
  }

  get connectionCount(): number {
    return this._connections.size;
  }

  get toxics(): Toxic[] {
    return this._toxics.list();
  }

  addresses(): { listen: string; upstream: string } {
    return { listen: formatHostPort(this._listen), upstream: formatHostPort(this.upstream) };
  }

  /** Validates and adds a toxic (applies to new connections); a name already in use is an InputError. */
  addToxic(input: unknown): Toxic {
    return this._toxics.add(input, this.name);
  }

  /**
   * Changes a toxic in place: new connections get the new one, and live ones that drew it take its new attributes
   * for what they carry next (as Toxiproxy's update reaches live links). Its toxicity was drawn per connection when
   * it opened; a new toxicity applies to connections opened afterwards.
   */
  updateToxic(name: string, input: unknown): Toxic | undefined {
    const changed = this._toxics.update(name, input, this.name);
    if (!changed) return undefined;
    for (const c of this._connections) c.toxicUpdated(changed.before.toxic, changed.after.toxic);
    return copyToxic(changed.after.toxic);
  }

  removeToxic(name: string): boolean {
    const before = this._toxics.entries;
    const removed = this._toxics.remove(name);
    this._healLiveConnections(before);
    return removed;
  }

  removeAllToxics(): void {
    const before = this._toxics.entries;
    this._toxics.clear();
    this._healLiveConnections(before);
  }

  /** Live connections drop the stages of every toxic that was in `before` and is gone now. */
  private _healLiveConnections(before: readonly ToxicEntry[]): void {
    const gone = before.filter((e) => !this._toxics.entries.includes(e));
    for (const c of this._connections) for (const { toxic } of gone) c.toxicRemoved(toxic);
  }

  /** false = `down`: refuse new connections and cut live ones. true: listen again on the same address. */
  async setEnabled(enabled: boolean): Promise<void> {
    if (this._closed || enabled === this._enabled) return;
    this._enabled = enabled;
    if (enabled) await this._startListening();
    else await this._stopListening();
  }

  /** Stops listening and destroys every connection, its sockets and its toxics' timers. */
  async close(): Promise<void> {
    this._closed = true;
    await this._stopListening();
  }

  private async _startListening(): Promise<void> {
    // No Nagle on either side (Go's default, so Toxiproxy's too): a small write is not held back waiting for an ACK.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, (client) => this._accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        reject(new ListenError(`proxy '${this.name}' cannot listen on ${this._listen.host}:${this._listen.port}: ${e.code ?? e.message}`));
      });
      server.listen(this._listen.port, this._listen.host, () => resolve());
    });
    server.on('error', () => undefined);
    this._server = server;
    this._listen = { host: this._listen.host, port: (server.address() as net.AddressInfo).port };
  }

  private async _stopListening(): Promise<void> {
    const server = this._server;
    this._server = undefined;
    for (const c of [...this._connections]) c.destroy(false);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private _accept(client: net.Socket): void {
    if (!this._enabled || this._closed) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: this.upstream.host, port: this.upstream.port, allowHalfOpen: true, noDelay: true });
    const tap = this._tap?.(this._nextConnectionId++);
    const conn = new Connection(
      client,
      upstream,
      this._toxics.entries,
      (c) => {
        if (this._connections.delete(c)) this.emit('close');
      },
      tap,
    );
    this._connections.add(conn);
    this.emit('connection');
  }
}
