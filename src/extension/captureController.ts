import type { CaptureSummary } from '../api/capture';
import type { EngineClient, EngineEvent } from '../core/engine/engineClient';
import type { CaptureInfo } from '../core/engine/protocol';
import { DisposableBase } from './disposable';
import { interceptMatcher } from '../core/capture/tlsIntercept';
import { interceptedHosts } from './forwardCapture';
import { caDirectory, captureSettings } from './settings';
import type { VSCode, vscodeTypes } from './types';

const SHORT: Record<string, string> = { postgres: 'pg' };

/**
 * Starts and stops the capture in the engine child, and shows it in the status bar while it runs:
 * `port → target · exchanges`; a click offers stop and the traffic views.
 */
export class CaptureController extends DisposableBase {
  private _info: CaptureInfo | undefined;
  private readonly _status: vscodeTypes.StatusBarItem;
  private readonly _onDidChange: vscodeTypes.EventEmitter<CaptureInfo | undefined>;
  readonly onDidChange: vscodeTypes.Event<CaptureInfo | undefined>;

  constructor(private readonly _vscode: VSCode, private readonly _engine: EngineClient) {
    super();
    this._status = this._register(_vscode.window.createStatusBarItem('chaosTesting.capture', _vscode.StatusBarAlignment.Left, 100));
    this._status.name = 'Chaos Testing Capture';
    this._status.command = 'chaosTesting.captureMenu';
    this._onDidChange = this._register(new _vscode.EventEmitter<CaptureInfo | undefined>());
    this.onDidChange = this._onDidChange.event;
    const off = _engine.onEvent((e) => this._onEngineEvent(e));
    this._register({ dispose: off });
  }

  get info(): CaptureInfo | undefined {
    return this._info;
  }

  /** Starts capturing `target` into `db` with the workspace's settings. Rejects with the engine's one-line error. */
  start(db: string, target: string): Promise<CaptureInfo> {
    return this._start(db, target);
  }

  /** Starts the listeners of a capture.yaml (HTTP and wire protocols) into `db`, with the workspace's redaction settings. */
  startConfig(db: string, config: string): Promise<CaptureInfo> {
    return this._start(db, '', config);
  }

  private async _start(db: string, target: string, config?: string): Promise<CaptureInfo> {
    const s = captureSettings(this._vscode);
    const forward = s.mode === 'forward' && !config;
    const intercept = forward && s.interceptTls;
    if (intercept) checkInterceptGlobs(s.intercept);
    const info = await this._engine.request('startCapture', {
      config,
      db,
      target,
      port: s.port,
      host: s.host,
      redact: s.redact,
      extraRedactFields: s.redactFields,
      bodyLimit: s.bodyLimit,
      include: [],
      exclude: s.exclude,
      ...(s.tls === 'localCa' && !config && !forward ? { tls: { caDir: caDirectory(this._vscode, db)! } } : {}),
      ...(forward ? { mode: 'forward' as const } : {}),
      ...(intercept ? { intercept: { caDir: caDirectory(this._vscode, db)!, hosts: s.intercept, insecureUpstream: s.insecureUpstream } } : {}),
    });
    this._setInfo(info);
    this._render(0);
    return info;
  }

  async stop(): Promise<CaptureSummary | null> {
    if (!this._info) return null;
    const summary = await this._engine.request('stopCapture', {});
    this._setInfo(undefined);
    return summary;
  }

  private _setInfo(info: CaptureInfo | undefined): void {
    this._info = info;
    void this._vscode.commands.executeCommand('setContext', 'chaosTesting.capturing', Boolean(info));
    if (info) this._status.show();
    else this._status.hide();
    this._onDidChange.fire(info);
  }

  private _render(exchanges: number, rps?: number, dropped = 0): void {
    const info = this._info;
    if (!info) return;
    const port = (listen: string): string => listen.slice(listen.lastIndexOf(':'));
    const target = info.target.replace(/^https?:\/\//, '').replace(/\/$/, '');
    const http = info.listeners?.find((l) => l.protocol === 'http');
    // `:8080 → localhost:3000 · pg :6543 · 12`: the HTTP listener and its backend, then each database or cache listener;
    // a forward proxy shows its address, which is what clients are given (HTTP_PROXY).
    const wire = (info.listeners ?? []).filter((l) => l.protocol !== 'http').map((l) => `${SHORT[l.protocol] ?? l.protocol} ${port(l.listen)}`);
    const head = info.mode === 'forward' ? `proxy ${info.listen}` : !info.listeners || http ? `${port(info.listen)} → ${target}` : undefined;
    // A lock when clients speak TLS to the proxy (an HTTPS listener, or forward-mode interception).
    const lock = info.tls ? ' $(lock)' : '';
    this._status.text = `$(record)${lock} ${[head, ...wire].filter(Boolean).join(' · ')} · ${exchanges}`;
    const tlsLine = info.intercept
      ? `\nHTTPS is intercepted with the local CA for ${interceptedHosts(info.intercept.hosts)}${info.intercept.insecureUpstream ? '; upstream certificates are NOT verified' : ''}.`
      : info.tls === 'reverse' ? '\nClients connect over HTTPS (local CA).' : '';
    const where = info.mode === 'forward'
      ? ` as a forward proxy: http://${info.listen} (HTTPS_PROXY / HTTP_PROXY)`
      : info.listeners ? `: ${info.listeners.map((l) => `${l.name} (${l.protocol}) ${l.listen} → ${l.target}`).join('\n')}` : ` ${info.tls === 'reverse' ? 'https' : 'http'}://${info.listen} → ${info.target}`;
    this._status.tooltip = `Chaos Testing is capturing${where}${tlsLine}\n${exchanges} exchanges stored${rps === undefined ? '' : `, ${rps.toFixed(0)} req/s`}${dropped ? `, ${dropped} dropped (store behind)` : ''}\n${info.db}\nClick to stop or show the traffic.`;
    this._status.backgroundColor = dropped ? new this._vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  private _onEngineEvent(e: EngineEvent): void {
    if (e.type === 'stats') this._render(e.stats.stored, e.stats.rps, e.stats.dropped);
    else if (e.type === 'captureEnded' && this._info) {
      this._setInfo(undefined);
      if (e.error) void this._vscode.window.showErrorMessage(`Chaos Testing: the capture stopped: ${e.error}`);
    } else if (e.type === 'exit' && this._info) {
      this._setInfo(undefined);
      if (!e.expected) void this._vscode.window.showErrorMessage('Chaos Testing: the capture engine stopped unexpectedly; what reached the journal is kept. Start the capture again.');
    }
  }
}

/** chaosTesting.capture.intercept checked before the engine starts, with the setting named. */
function checkInterceptGlobs(hosts: string[]): void {
  try {
    interceptMatcher(hosts);
  } catch {
    throw new Error(`chaosTesting.capture.intercept: ${hosts.join(', ')} is not a list of host globs; give ones like '*.example.com'`);
  }
}
