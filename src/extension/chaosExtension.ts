import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient } from '../core/engine/engineClient';
import type { ExperimentResult } from '../core/chaos/types';
import type { EngineOp, EngineOps } from '../core/engine/protocol';
import type { StoredRun } from '../core/store/database';
import type { ExchangeRow, ExchangeView, PageQuery, PageResult, StatusClass, TrafficFilter, TrafficOverview } from '../core/store/queries';
import { VERSION } from '../core/version';
import { CaptureController } from './captureController';
import { ChaosFeatures, type ChaosFeaturesOptions } from './chaos/chaosFeatures';
import { ReplayTraffic } from './chaos/replayTraffic';
import { AuditFeatures } from './compliance/auditFeatures';
import type { AuditResult } from '../core/compliance/types';
import type { PropertiesResult } from '../core/properties/types';
import type { AuditPanelActions } from './panels/auditPanel';
import type { PropertiesPanelActions } from './panels/propertiesPanel';
import { PropertiesFeatures } from './properties/propertiesFeatures';
import { ReadinessFeatures, type ReadinessActions } from './readiness/readinessFeatures';
import type { ReadinessResult } from '../core/readiness/types';
import { experimentValidator } from './chaos/validator';
import { DisposableBase } from './disposable';
import type { TrafficBackend } from './panels/backend';
import { generatedTestTask } from './generatedTests';
import { LoadFeatures } from './load/loadFeatures';
import type { LoadView } from './load/types';
import { ResponseDocuments } from './responseDocuments';
import { startForwardCapture, terminalEnv } from './forwardCapture';
import { LAST_TARGET, captureSettings, defaultDatabase, validateTarget } from './settings';
import { trustCaptureCertificate } from './trustCertificate';
import { TrafficTreeProvider, describeFilter, type TrafficNode } from './trafficTree';
import type { VSCode, vscodeTypes } from './types';

/** Opens the webview panels; injected so fast tests need no webviews. */
export interface PanelOpeners {
  showExchange(backend: TrafficBackend, id: number): void;
  showBrowser(backend: TrafficBackend): void;
  showResults?(result: ExperimentResult, file?: string): void;
  /** The load test panels (live run, comparison). */
  load?: LoadView;
  showProperties?(result: PropertiesResult, actions: PropertiesPanelActions): void;
  showAudit?(result: AuditResult, actions: AuditPanelActions): void;
  showReadiness?(result: ReadinessResult, actions: ReadinessActions): void;
  showReadinessReport?(result: ReadinessResult): void;
}

/** Without panels (fast tests that do not look at them), load runs still run; their views go nowhere. */
const NO_LOAD_VIEW: LoadView = { start: () => undefined, tick: () => undefined, result: () => undefined, compare: () => undefined };

const DATABASE = 'chaosTesting.database';
const STATUS_CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', 'error'];

const COPY_ENV_ITEM = 'Copy Terminal Env (HTTPS_PROXY, HTTP_PROXY, NODE_EXTRA_CA_CERTS)';

/**
 * The root object of the extension: owns the engine child, the capture, the Traffic tree, the commands and the
 * panels' backend. Every registration is a disposable it owns; the `vscode` API is injected.
 */
export class ChaosExtension extends DisposableBase implements TrafficBackend {
  readonly engine: EngineClient;
  readonly capture: CaptureController;
  readonly tree: TrafficTreeProvider;
  readonly chaos: ChaosFeatures;
  readonly load: LoadFeatures;
  readonly properties: PropertiesFeatures;
  readonly audit: AuditFeatures;
  readonly readiness: ReadinessFeatures;
  private readonly _treeView: vscodeTypes.TreeView<TrafficNode>;
  private readonly _responses: ResponseDocuments;
  private readonly _changeListeners = new Set<() => void>();

  constructor(
    private readonly _vscode: VSCode,
    private readonly _context: vscodeTypes.ExtensionContext,
    private readonly _panels: PanelOpeners,
    engine?: EngineClient,
    chaosOptions: Partial<ChaosFeaturesOptions> = {},
  ) {
    super();
    this.engine = engine ?? new EngineClient();
    this._register({ dispose: () => void this.engine.dispose() });
    this.capture = this._register(new CaptureController(_vscode, this.engine));
    this.tree = this._register(new TrafficTreeProvider(_vscode, this));
    this._treeView = this._register(_vscode.window.createTreeView('chaosTesting.traffic', { treeDataProvider: this.tree, canSelectMany: true, showCollapseAll: true }));
    this.tree.onDidLoad = (o) => this._onOverview(o);
    this._responses = this._register(new ResponseDocuments(_vscode));
    this._register({
      dispose: this.engine.onEvent((e) => {
        if (e.type === 'changed' && this.database && path.resolve(e.db) === path.resolve(this.database)) this._changed();
        // The tree may be hidden (and never asked): the walkthrough still sees the first exchange arrive.
        else if (e.type === 'stats' && e.stats.stored > 0) this._setHasTraffic(true);
      }),
    });
    this._register(this.capture.onDidChange(() => this._changed(true)));
    this._register(_vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('chaosTesting.database') && this._changed(true)));
    this._registerCommands();
    this.chaos = this._register(new ChaosFeatures(_vscode, {
      showResults: (r, file) => _panels.showResults?.(r, file),
      validate: experimentValidator,
      ...chaosOptions,
    }, (id, run) => this._command(id, run)));
    const replay = new ReplayTraffic(_vscode, { database: () => this.database, state: _context.workspaceState, showReport: (name, text) => this._showReadOnly(name, text), cli: chaosOptions.cli });
    this._command('chaosTesting.replayTraffic', () => replay.run());
    this.load = this._register(new LoadFeatures(_vscode, {
      view: _panels.load ?? NO_LOAD_VIEW,
      database: () => this.database,
      storedRuns: () => this.storedRuns('load'),
      state: _context.workspaceState,
      cli: chaosOptions.cli,
    }, (id, run) => this._command(id, run)));
    this.properties = this._register(new PropertiesFeatures(_vscode, {
      database: () => this.database,
      state: _context.workspaceState,
      cli: chaosOptions.cli,
      showResults: (r) => _panels.showProperties?.(r, {
        createRegressionTest: (result, index) => this.properties.createRegressionTest(result, index),
        copyText: async (text) => _vscode.env.clipboard.writeText(text),
      }),
    }, (id, run) => this._command(id, run)));
    this.audit = this._register(new AuditFeatures(_vscode, {
      database: () => this.database,
      cli: chaosOptions.cli,
      showResults: (r) => _panels.showAudit?.(r, {
        openExchange: (id) => _panels.showExchange(this, id),
        openLocation: (file, line, column) => this.audit.openLocation(file, line, column),
      }),
    }, (id, run) => this._command(id, run)));
    this.readiness = this._register(new ReadinessFeatures(_vscode, {
      cli: chaosOptions.cli,
      showResults: (r, actions) => _panels.showReadiness?.(r, actions),
      showReport: (r) => _panels.showReadinessReport?.(r),
    }, (id, run) => this._command(id, run)));
    this._updateDescription();
  }

  /** The traffic database the views show: one the user opened, else the workspace's `.chaos/traffic.db`. */
  get database(): string | undefined {
    return this._context.workspaceState.get<string>(DATABASE) ?? defaultDatabase(this._vscode);
  }

  private _changed(now = false): void {
    this.tree.refresh(now);
    for (const l of this._changeListeners) l();
  }

  private _hasTraffic: boolean | undefined;

  private _onOverview(o: TrafficOverview): void {
    if (!this.tree.filter.text && !this.tree.filter.statuses?.length) this._setHasTraffic(o.total > 0);
  }

  private _setHasTraffic(value: boolean): void {
    if (this._hasTraffic === value) return;
    this._hasTraffic = value;
    void this._vscode.commands.executeCommand('setContext', 'chaosTesting.hasTraffic', value);
  }

  private _updateDescription(): void {
    const db = this.database;
    const def = defaultDatabase(this._vscode);
    const parts = [describeFilter(this.tree.filter), db && def && path.resolve(db) !== path.resolve(def) ? path.basename(db) : undefined].filter(Boolean);
    this._treeView.description = parts.join(' · ') || undefined;
    void this._vscode.commands.executeCommand('setContext', 'chaosTesting.filtered', Boolean(describeFilter(this.tree.filter)));
  }

  // ---- the engine, for the tree and the panels ----

  private async _ask<K extends EngineOp>(op: K, params: EngineOps[K]['params']): Promise<EngineOps[K]['result']> {
    return this.engine.request(op, params);
  }

  private _db(): string {
    const db = this.database;
    if (!db) throw new Error('open a folder first: the traffic database lives in the workspace (.chaos/traffic.db)');
    return db;
  }

  async overview(filter: TrafficFilter): Promise<TrafficOverview> {
    const db = this.database;
    if (!db) return { total: 0, sessions: 0, hosts: [] };
    return (await this._ask('query', { db, query: { kind: 'overview', filter } })) as TrafficOverview;
  }

  async endpoint(host: string, e: { method: string; template: string }, filter: TrafficFilter, limit: number): Promise<{ total: number; rows: ExchangeRow[] }> {
    return (await this._ask('query', { db: this._db(), query: { kind: 'endpoint', host, method: e.method, template: e.template, filter, limit } })) as { total: number; rows: ExchangeRow[] };
  }

  async calls(id: number): Promise<ExchangeRow[]> {
    return (await this._ask('query', { db: this._db(), query: { kind: 'calls', id } })) as ExchangeRow[];
  }

  /** Runs stored in the traffic database, newest first ([] when there is no database yet). */
  async storedRuns(kind: string): Promise<StoredRun[]> {
    const db = this.database;
    if (!db || !fs.existsSync(db)) return [];
    return (await this._ask('query', { db, query: { kind: 'runs', runKind: kind, limit: 200 } })) as StoredRun[];
  }

  async page(query: PageQuery): Promise<PageResult> {
    const db = this.database;
    if (!db) return { total: 0, offset: 0, rows: [] };
    return (await this._ask('query', { db, query: { kind: 'page', query } })) as PageResult;
  }

  async exchange(id: number): Promise<ExchangeView | null> {
    return (await this._ask('query', { db: this._db(), query: { kind: 'exchange', id } })) as ExchangeView | null;
  }

  async copyCurl(id: number): Promise<void> {
    const { command, redacted } = await this._ask('curl', { db: this._db(), id });
    await this._vscode.env.clipboard.writeText(command);
    void this._vscode.window.showInformationMessage(
      redacted ? 'Copied the request as curl. Secrets were redacted at capture: replace the [REDACTED:…] markers before running it.' : 'Copied the request as curl.',
    );
  }

  async resend(id: number): Promise<void> {
    if (!this._trusted('resend a request')) return;
    const r = await this._vscode.window.withProgress(
      { location: this._vscode.ProgressLocation.Notification, title: `Chaos Testing: resending exchange #${id}…` },
      () => this._ask('resend', { db: this._db(), id }),
    );
    const left = this._responses.put(`recorded-${id}.http`, r.recorded);
    const right = this._responses.put(`resent-${id}-${Date.now()}.http`, r.fresh);
    await this._vscode.commands.executeCommand('vscode.diff', left, right, `#${id} recorded ↔ now (${r.status}, ${Math.round(r.durationMs)} ms)`);
    if (r.redacted) void this._vscode.window.showWarningMessage('Chaos Testing: this request had secrets redacted at capture; they were resent as markers, so an authentication failure is expected.');
  }

  private async _showReadOnly(name: string, text: string): Promise<void> {
    await this._vscode.window.showTextDocument(await this._vscode.workspace.openTextDocument(this._responses.put(name, text)), { preview: true });
  }

  onDidChange(listener: () => void): () => void {
    this._changeListeners.add(listener);
    return () => this._changeListeners.delete(listener);
  }

  // ---- commands ----

  private _trusted(what: string): boolean {
    if (this._vscode.workspace.isTrusted) return true;
    void this._vscode.window.showWarningMessage(
      `Chaos Testing cannot ${what} in Restricted Mode: an untrusted workspace gets no proxy, chaos, load or network requests. Trust the workspace to enable it; browsing captured traffic still works.`,
    );
    return false;
  }

  private _command(id: string, run: (...args: never[]) => unknown): void {
    this._register(
      this._vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          await run(...args);
        } catch (e) {
          void this._vscode.window.showErrorMessage(`Chaos Testing: ${(e as Error).message}`);
        }
      }),
    );
  }

  private _registerCommands(): void {
    const vscode = this._vscode;
    this._command('chaosTesting.showVersion', () => vscode.window.showInformationMessage(`Chaos Testing ${VERSION}`));
    this._command('chaosTesting.startCapture', () => this.startCapture());
    this._command('chaosTesting.stopCapture', () => this.stopCapture());
    this._command('chaosTesting.captureMenu', () => this._captureMenu());
    this._command('chaosTesting.openDatabase', () => this._openDatabase());
    this._command('chaosTesting.clearTraffic', () => this._clearTraffic());
    this._command('chaosTesting.importHar', () => this._importHar());
    this._command('chaosTesting.exportHar', () => this._exportHar());
    this._command('chaosTesting.refreshTraffic', () => this.tree.refresh(true));
    this._command('chaosTesting.filterTraffic', () => this._filterText());
    this._command('chaosTesting.filterStatus', () => this._filterStatus());
    this._command('chaosTesting.clearFilter', () => this._setFilter({}));
    this._command('chaosTesting.openTrafficBrowser', () => this._panels.showBrowser(this));
    this._command('chaosTesting.showExchange', (arg?: TrafficNode | number) => this._withExchange(arg, (id) => this._panels.showExchange(this, id)));
    this._command('chaosTesting.copyAsCurl', (arg?: TrafficNode | number) => this._withExchange(arg, (id) => this.copyCurl(id)));
    this._command('chaosTesting.resend', (arg?: TrafficNode | number) => this._withExchange(arg, (id) => this.resend(id)));
    this._command('chaosTesting.learn', () => this._learn());
    this._command('chaosTesting.exportOpenApi', () => this._exportOpenApi());
    this._command('chaosTesting.generateTests', () => this.generateTests());
    this._command('chaosTesting.runGeneratedTests', () => this.runGeneratedTests());
    this._command('chaosTesting.trustCaptureCertificate', () => this._trusted('make or show a capture certificate') && trustCaptureCertificate(vscode));
    this._command('chaosTesting.deleteExchange', (arg?: TrafficNode | number, selected?: TrafficNode[]) => this._delete(arg, selected));
  }

  async startCapture(): Promise<void> {
    const vscode = this._vscode;
    if (!this._trusted('start a capture')) return;
    if (this.capture.info) {
      const running = this.capture.info;
      void vscode.window.showInformationMessage(`Chaos Testing is already capturing ${running.mode === 'forward' ? `as a forward proxy on http://${running.listen}` : `http://${running.listen} → ${running.target}`}.`);
      return;
    }
    const db = this._db();
    if (await this._startFromConfig(db)) return;
    if (captureSettings(vscode).mode === 'forward') {
      if ((await startForwardCapture(vscode, this.capture, db)) === 'stop') await this.stopCapture();
      return;
    }
    const remembered = this._context.workspaceState.get<string>(LAST_TARGET) || vscode.workspace.getConfiguration('chaosTesting.capture').get<string>('target', '');
    const target = await vscode.window.showInputBox({
      title: 'Chaos Testing: Start Capture',
      prompt: 'URL of the backend to capture (requests to the proxy are forwarded there)',
      placeHolder: 'http://localhost:9000',
      value: remembered || 'http://localhost:9000',
      ignoreFocusOut: true,
      validateInput: validateTarget,
    });
    if (target === undefined) return;
    await this._context.workspaceState.update(LAST_TARGET, target.trim());
    const info = await this.capture.start(db, target.trim());
    const proxy = `${info.tls === 'reverse' ? 'https' : 'http'}://${info.listen}`;
    const action = await vscode.window.showInformationMessage(`Chaos Testing: capturing ${proxy} → ${info.target}. Send your requests to ${proxy}.`, 'Copy Proxy URL', 'Stop');
    if (action === 'Copy Proxy URL') await vscode.env.clipboard.writeText(proxy);
    else if (action === 'Stop') await this.stopCapture();
  }

  /**
   * With a .chaos/capture.yaml in the workspace, Start Capture offers its listeners (databases and caches too) or
   * the single HTTP target. True when it started from the file, or the user dismissed the choice.
   */
  private async _startFromConfig(db: string): Promise<boolean> {
    const vscode = this._vscode;
    const folder = vscode.workspace.workspaceFolders?.[0];
    const config = folder && path.join(folder.uri.fsPath, '.chaos', 'capture.yaml');
    if (!config || !fs.existsSync(config)) return false;
    const listeners = await this._ask('captureConfig', { file: config });
    const useFile = `Use .chaos/capture.yaml (${listeners.length} listener${listeners.length === 1 ? '' : 's'})`;
    const pick = await vscode.window.showQuickPick([useFile, 'Capture one HTTP backend…'], {
      title: 'Chaos Testing: Start Capture',
      placeHolder: listeners.map((l) => `${l.name} (${l.protocol}) → ${l.target}`).join(', '),
    });
    if (pick === undefined) return true;
    if (pick !== useFile) return false;
    const info = await this.capture.startConfig(db, config);
    const where = (info.listeners ?? []).map((l) => `${l.name} ${l.listen}`).join(', ');
    void vscode.window.showInformationMessage(`Chaos Testing: capturing from .chaos/capture.yaml: ${where}. Point your clients (or your backend's database and cache settings) at these.`);
    return true;
  }

  async stopCapture(): Promise<void> {
    const summary = await this.capture.stop();
    if (!summary) {
      void this._vscode.window.showInformationMessage('Chaos Testing: no capture is running.');
      return;
    }
    const dropped = summary.dropped ? `, ${summary.dropped} dropped` : '';
    void this._vscode.window.showInformationMessage(`Chaos Testing: captured ${summary.stored} exchanges (${summary.errors} errors${dropped}) into ${path.basename(summary.file)}.`);
  }

  private async _captureMenu(): Promise<void> {
    const info = this.capture.info;
    const items = info ? ['Stop Capture', 'Show Traffic', 'Open Traffic Browser', ...(info.mode === 'forward' ? [COPY_ENV_ITEM] : [])] : ['Start Capture', 'Show Traffic'];
    const pick = await this._vscode.window.showQuickPick(items, { title: 'Chaos Testing' });
    if (pick === COPY_ENV_ITEM && info) await this._vscode.env.clipboard.writeText(terminalEnv(info));
    else if (pick === 'Stop Capture') await this.stopCapture();
    else if (pick === 'Start Capture') await this.startCapture();
    else if (pick === 'Show Traffic') await this._vscode.commands.executeCommand('chaosTesting.traffic.focus');
    else if (pick === 'Open Traffic Browser') this._panels.showBrowser(this);
  }

  private async _openDatabase(): Promise<void> {
    const vscode = this._vscode;
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Open Traffic Database', filters: { 'Traffic database': ['db', 'sqlite'], 'All files': ['*'] } });
    if (!picked?.length) return;
    const file = picked[0].fsPath;
    // Refused here (foreign or corrupt file) before it becomes the views' database.
    await this._ask('query', { db: file, query: { kind: 'page', query: { offset: 0, limit: 0 } } });
    await this._context.workspaceState.update(DATABASE, file);
    this._updateDescription();
    this._changed(true);
    await vscode.commands.executeCommand('chaosTesting.traffic.focus');
  }

  private async _clearTraffic(): Promise<void> {
    const db = this._db();
    if (this.capture.info && path.resolve(this.capture.info.db) === path.resolve(db)) throw new Error('stop the capture before clearing its traffic');
    const answer = await this._vscode.window.showWarningMessage(`Delete all captured traffic in ${db}? This cannot be undone.`, { modal: true }, 'Delete');
    if (answer !== 'Delete') return;
    const removed = await this._ask('clear', { db });
    void this._vscode.window.showInformationMessage(removed ? 'Chaos Testing: traffic cleared.' : 'Chaos Testing: there was no traffic to clear.');
    this._changed(true);
  }

  private async _importHar(): Promise<void> {
    const vscode = this._vscode;
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Import HAR', filters: { HAR: ['har', 'json'] } });
    if (!picked?.length) return;
    const redact = vscode.workspace.getConfiguration('chaosTesting.capture').get<boolean>('redact', true);
    const r = await this._ask('importHar', { db: this._db(), file: picked[0].fsPath, redact });
    void vscode.window.showInformationMessage(`Chaos Testing: imported ${r.exchanges} exchanges from ${path.basename(picked[0].fsPath)} (session ${r.sessionId}).`);
    this._changed(true);
  }

  private async _exportHar(): Promise<void> {
    const vscode = this._vscode;
    const db = this._db();
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(path.dirname(db), 'traffic.har')), filters: { HAR: ['har'] }, saveLabel: 'Export HAR' });
    if (!target) return;
    const r = await this._ask('exportHar', { db, file: target.fsPath });
    void vscode.window.showInformationMessage(`Chaos Testing: exported ${r.entries} entries to ${target.fsPath}.`);
  }

  private async _learn(): Promise<void> {
    const vscode = this._vscode;
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Chaos Testing: learning the behaviour…' }, () =>
      this._ask('learn', { db: this._db() }),
    );
    const doc = await vscode.workspace.openTextDocument({ content: r.text, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  private async _exportOpenApi(): Promise<void> {
    const vscode = this._vscode;
    const db = this._db();
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(path.dirname(db), 'openapi.json')), filters: { OpenAPI: ['json'] }, saveLabel: 'Export OpenAPI' });
    if (!target) return;
    const r = await this._ask('exportOpenApi', { db, file: target.fsPath });
    const open = await vscode.window.showInformationMessage(`Chaos Testing: wrote OpenAPI 3.1 with ${r.paths} paths to ${target.fsPath}.`, 'Open');
    if (open === 'Open') await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
  }

  /** Generate Tests…: language and framework picked (the workspace's own first), written into the workspace, opened. */
  async generateTests(): Promise<void> {
    const vscode = this._vscode;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error('open a folder first: generated tests are written into the workspace');
    const db = this._db();
    const dialects = await this._ask('dialects', { folder: folder.uri.fsPath });
    const pick = await vscode.window.showQuickPick(
      dialects.map((d, i) => ({ label: `${d.language} · ${d.framework}`, description: d.file, detail: i === 0 ? 'suggested by this workspace' : undefined, id: d.id })),
      { title: 'Chaos Testing: Generate Tests', placeHolder: 'Language and test framework' },
    );
    if (!pick) return;
    const out = folder.uri.fsPath;
    let r = await this._ask('generate', { db, dialect: pick.id, out, onEdited: 'ask' });
    if (!r.written && !r.beside) {
      const why = r.state === 'edited' ? 'was edited since it was generated' : 'was not generated by Chaos Testing';
      const choice = await vscode.window.showWarningMessage(`${path.relative(out, r.file)} ${why}. Replace it?`, { modal: true }, 'Overwrite', 'Write Beside');
      if (!choice) return;
      r = await this._ask('generate', { db, dialect: pick.id, out, onEdited: choice === 'Overwrite' ? 'overwrite' : 'beside' });
    }
    const written = r.beside ?? r.file;
    await this._context.workspaceState.update('chaosTesting.lastGenerated', { dialect: pick.id, file: r.file });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(written)));
    const needs = r.env.length ? ` They read ${r.env.join(', ')} from the environment.` : '';
    const action = await vscode.window.showInformationMessage(`Chaos Testing: ${r.tests} tests written to ${path.relative(out, written)}.${needs}`, 'Run Them');
    if (action === 'Run Them') await this.runGeneratedTests();
  }

  /** Run Generated Tests: the last generated suite as a task against the captured target; failures go to Problems. */
  async runGeneratedTests(): Promise<void> {
    const vscode = this._vscode;
    if (!this._trusted('run tests')) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    const last = this._context.workspaceState.get<{ dialect: string; file: string }>('chaosTesting.lastGenerated');
    if (!folder || !last) throw new Error('generate tests first (Chaos Testing: Generate Tests…)');
    const baseUrl = this.capture.info?.target || this._context.workspaceState.get<string>(LAST_TARGET);
    const task = generatedTestTask(vscode, folder, last.dialect, last.file, baseUrl);
    if (!task) throw new Error(`running ${last.dialect} suites from the editor is not supported yet; run them with their own runner`);
    await vscode.tasks.executeTask(task);
  }

  private async _filterText(): Promise<void> {
    const text = await this._vscode.window.showInputBox({ title: 'Filter Traffic', prompt: 'Show exchanges whose URL contains this text, or whose method is it (empty clears)', value: this.tree.filter.text ?? '' });
    if (text === undefined) return;
    this._setFilter({ ...this.tree.filter, text: text.trim() || undefined });
  }

  private async _filterStatus(): Promise<void> {
    const current = new Set(this.tree.filter.statuses ?? []);
    const picks = await this._vscode.window.showQuickPick(
      STATUS_CLASSES.map((c) => ({ label: c, description: c === 'error' ? 'no response (target down, timeout)' : undefined, picked: current.has(c) })),
      { title: 'Filter Traffic by Status', canPickMany: true, placeHolder: 'Status classes to show (none = all)' },
    );
    if (!picks) return;
    this._setFilter({ ...this.tree.filter, statuses: picks.map((p) => p.label as StatusClass) });
  }

  private _setFilter(filter: TrafficFilter): void {
    this.tree.setFilter(filter);
    this._updateDescription();
  }

  private async _withExchange(arg: TrafficNode | number | undefined, run: (id: number) => unknown): Promise<void> {
    let id = typeof arg === 'number' ? arg : arg?.kind === 'exchange' ? arg.row.id : undefined;
    if (id === undefined) {
      const selected = this._treeView.selection.find((n) => n.kind === 'exchange');
      id = selected?.kind === 'exchange' ? selected.row.id : undefined;
    }
    if (id === undefined) {
      const typed = await this._vscode.window.showInputBox({ title: 'Exchange number', prompt: 'The #id of the exchange', validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'a number') });
      if (typed === undefined) return;
      id = Number(typed.trim());
    }
    await run(id);
  }

  private async _delete(arg: TrafficNode | number | undefined, selected: TrafficNode[] | undefined): Promise<void> {
    const nodes = selected?.length ? selected : arg !== undefined && typeof arg !== 'number' ? [arg] : [];
    const ids = nodes.flatMap((n) => (n.kind === 'exchange' ? [n.row.id] : []));
    if (typeof arg === 'number') ids.push(arg);
    if (!ids.length) return;
    await this._ask('deleteExchanges', { db: this._db(), ids });
    this._changed(true);
  }
}
