/**
 * A small stand-in for the `vscode` API: enough of it for the extension's logic to run in node:test, with
 * scripted answers for input boxes, quick picks and dialogs, and a record of every message shown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { VSCode, vscodeTypes } from '../../src/extension/types';

type Listener<T> = (e: T) => unknown;

class EventEmitter<T> {
  private _listeners = new Set<Listener<T>>();
  event = (l: Listener<T>): { dispose(): void } => {
    this._listeners.add(l);
    return { dispose: () => this._listeners.delete(l) };
  };
  fire(e: T): void {
    for (const l of [...this._listeners]) l(e);
  }
  dispose(): void {
    this._listeners.clear();
  }
}

class Uri {
  private constructor(readonly scheme: string, readonly path: string) {}
  static file(p: string): Uri {
    return new Uri('file', path.resolve(p));
  }
  static from(c: { scheme: string; path: string }): Uri {
    return new Uri(c.scheme, c.path);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}

class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  iconPath?: unknown;
  contextValue?: string;
  command?: { command: string; arguments?: unknown[] };
  constructor(readonly label: string, readonly collapsibleState: number) {}
}

class Position {
  constructor(readonly line: number, readonly character: number) {}
}
class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number) {
    this.start = new Position(startLine, startCharacter);
    this.end = new Position(endLine, endCharacter);
  }
}
class Diagnostic {
  source?: string;
  code?: string | number;
  constructor(readonly range: Range, readonly message: string, readonly severity: number) {}
}

/** Text edits by file; `workspace.applyEdit` writes them to the file on disk (and to its open document). */
class WorkspaceEdit {
  readonly edits: Array<{ uri: Uri; range: Range; text: string }> = [];
  insert(uri: Uri, at: Position, text: string): void {
    this.edits.push({ uri, range: new Range(at.line, at.character, at.line, at.character), text });
  }
  replace(uri: Uri, range: Range, text: string): void {
    this.edits.push({ uri, range, text });
  }
}
class CodeAction {
  edit?: WorkspaceEdit;
  diagnostics?: Diagnostic[];
  isPreferred?: boolean;
  constructor(readonly title: string, readonly kind?: string) {}
}

/** Offset of a position in text (lines split on \n). */
function offsetOf(text: string, p: Position): number {
  const lines = text.split('\n');
  let at = 0;
  for (let i = 0; i < Math.min(p.line, lines.length); i++) at += lines[i].length + 1;
  return Math.min(text.length, at + p.character);
}

/** Applies edits to a text, last first, so earlier offsets stay right. */
export function applyEdits(text: string, edits: Array<{ range: Range; text: string }>): string {
  const sorted = [...edits].sort((a, b) => offsetOf(text, b.range.start) - offsetOf(text, a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offsetOf(out, e.range.start)) + e.text + out.slice(offsetOf(out, e.range.end));
  return out;
}
class RelativePattern {
  constructor(readonly base: { uri: Uri } | string, readonly pattern: string) {}
}
class CustomExecution {
  constructor(readonly callback: (definition: unknown) => Promise<vscodeTypes.Pseudoterminal>) {}
}

/** A text document over a file on disk (or given text); `setText` fires the change event like an edit. */
export interface FakeDocument {
  uri: Uri;
  languageId: string;
  isDirty: boolean;
  getText(): string;
  save(): Promise<boolean>;
  readonly lineCount: number;
  lineAt(line: number): { text: string };
}

/** A progress notification the extension showed; `cancel()` is the user clicking its Cancel button. */
export interface FakeProgress {
  title: string;
  cancellable: boolean;
  messages: string[];
  cancel(): void;
  done: boolean;
}

/** A task run with a CustomExecution: its pseudoterminal, opened, and everything it wrote. */
export interface FakeTerminal {
  name: string;
  definition: unknown;
  pty: vscodeTypes.Pseudoterminal;
  output(): string;
  exitCode: number | undefined;
}

class ThemeIcon {
  constructor(readonly id: string, readonly color?: ThemeColor) {}
}
class ThemeColor {
  constructor(readonly id: string) {}
}

export interface Shown {
  level: 'info' | 'warning' | 'error';
  message: string;
  items: string[];
}

export interface FakeVscode {
  api: VSCode;
  context: { workspaceState: { get<T>(k: string): T | undefined; update(k: string, v: unknown): Promise<void> }; subscriptions: Array<{ dispose(): unknown }>; extensionUri: Uri };
  shown: Shown[];
  /** Answers for the next input boxes, quick picks, open/save dialogs and message buttons, in order. */
  answers: { input: Array<string | undefined>; pick: unknown[]; open: Array<string[] | undefined>; save: Array<string | undefined>; button: Array<string | undefined> };
  inputValidations: Array<(v: string) => string | undefined>;
  /** Every input box shown: its title and the value it was pre-filled with. */
  inputBoxes: Array<{ title?: string; value?: string }>;
  clipboard: string;
  /** Contents of the untitled documents the extension opened. */
  documents: string[];
  /** The language of each of `documents`, in the same order. */
  documentLanguages: Array<string | undefined>;
  /** Files opened in an editor. */
  opened: string[];
  /** Tasks the extension ran. */
  tasks: Array<{ name: string; command: string; env: Record<string, string>; matcher: unknown }>;
  contextKeys: Map<string, unknown>;
  executed: Array<{ command: string; args: unknown[] }>;
  statusBar: { text: string; visible: boolean; tooltip?: string };
  settings: Map<string, unknown>;
  trusted: boolean;
  /** Diagnostics by file path, as the last `set` left them, per collection name. */
  diagnostics: Map<string, Map<string, Diagnostic[]>>;
  progress: FakeProgress[];
  terminals: FakeTerminal[];
  taskProviders: Map<string, vscodeTypes.TaskProvider>;
  codeActionProviders: vscodeTypes.CodeActionProvider[];
  treeViews: Map<string, { visible: boolean; setVisible(v: boolean): void }>;
  documents$: { open(file: string, text?: string): FakeDocument; change(doc: FakeDocument, text: string): void; list: FakeDocument[] };
  activeFile: string | undefined;
  grantTrust(): void;
  run(command: string, ...args: unknown[]): Promise<unknown>;
  /** Ids of the commands registered now. */
  commandIds(): string[];
  waitForMessage(re: RegExp, timeoutMs?: number): Promise<Shown>;
}

export function fakeVscode(options: { folder?: string; settings?: Record<string, unknown>; trusted?: boolean } = {}): FakeVscode {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const state = new Map<string, unknown>();
  const opened = new EventEmitter<FakeDocument>();
  const changed = new EventEmitter<{ document: FakeDocument }>();
  const saved = new EventEmitter<FakeDocument>();
  const closed = new EventEmitter<FakeDocument>();
  const trustGranted = new EventEmitter<void>();
  const documentList: FakeDocument[] = [];
  const folders = options.folder ? [{ uri: Uri.file(options.folder), name: path.basename(options.folder), index: 0 }] : undefined;
  const fake: FakeVscode = {
    api: undefined as unknown as VSCode,
    context: {
      workspaceState: { get: <T>(k: string) => state.get(k) as T | undefined, update: async (k, v) => void state.set(k, v) },
      subscriptions: [],
      extensionUri: Uri.file(path.resolve(__dirname, '..', '..')),
    },
    shown: [],
    answers: { input: [], pick: [], open: [], save: [], button: [] },
    inputValidations: [],
    inputBoxes: [],
    clipboard: '',
    documents: [],
    documentLanguages: [],
    opened: [],
    tasks: [],
    contextKeys: new Map(),
    executed: [],
    statusBar: { text: '', visible: false },
    settings: new Map(Object.entries(options.settings ?? {})),
    trusted: options.trusted ?? true,
    diagnostics: new Map(),
    progress: [],
    terminals: [],
    taskProviders: new Map(),
    codeActionProviders: [],
    treeViews: new Map(),
    documents$: {
      list: documentList,
      open: (file, text) => {
        let content = text ?? fs.readFileSync(file, 'utf8');
        const doc: FakeDocument = {
          uri: Uri.file(file), languageId: /\.ya?ml$/.test(file) ? 'yaml' : 'plaintext', isDirty: false, getText: () => content, save: async () => true,
          get lineCount() {
            return content.split('\n').length;
          },
          lineAt: (line: number) => ({ text: content.split('\n')[line] ?? '' }),
        };
        (doc as { _set?: (t: string) => void })._set = (t: string) => (content = t);
        documentList.push(doc);
        opened.fire(doc);
        return doc;
      },
      change: (doc, text) => {
        (doc as unknown as { _set: (t: string) => void })._set(text);
        changed.fire({ document: doc });
      },
    },
    activeFile: undefined,
    grantTrust: () => {
      fake.trusted = true;
      trustGranted.fire();
    },
    commandIds: () => [...commands.keys()],
    run: (command, ...args) => {
      const c = commands.get(command);
      if (!c) throw new Error(`command ${command} is not registered`);
      return Promise.resolve(c(...args));
    },
    waitForMessage: async (re, timeoutMs = 10_000) => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = fake.shown.find((s) => re.test(s.message));
        if (m) return m;
        if (Date.now() > end) throw new Error(`no message matching ${re}; shown: ${fake.shown.map((s) => s.message).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  const show = (level: Shown['level']) => async (message: string, ...rest: unknown[]) => {
    const items = rest.filter((r): r is string => typeof r === 'string');
    fake.shown.push({ level, message, items });
    return items.length ? fake.answers.button.shift() : undefined;
  };
  const api = {
    EventEmitter,
    Uri,
    Range,
    Position,
    Diagnostic,
    WorkspaceEdit,
    CodeAction,
    CodeActionKind: { QuickFix: 'quickfix' },
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    RelativePattern,
    CustomExecution,
    TaskRevealKind: { Always: 1, Silent: 2, Never: 3 },
    languages: {
      createDiagnosticCollection: (name: string) => {
        const byFile = new Map<string, Diagnostic[]>();
        fake.diagnostics.set(name, byFile);
        return {
          name,
          set: (uri: Uri, list: Diagnostic[]) => void byFile.set(uri.fsPath, [...list]),
          get: (uri: Uri) => byFile.get(uri.fsPath),
          delete: (uri: Uri) => void byFile.delete(uri.fsPath),
          clear: () => byFile.clear(),
          dispose: () => byFile.clear(),
        };
      },
      registerCodeActionsProvider: (_selector: unknown, provider: vscodeTypes.CodeActionProvider) => {
        fake.codeActionProviders.push(provider);
        return { dispose: () => fake.codeActionProviders.splice(fake.codeActionProviders.indexOf(provider), 1) };
      },
    },
    TreeItem,
    ThemeIcon,
    ThemeColor,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    window: {
      createStatusBarItem: () => {
        const item = {
          name: '',
          command: '',
          backgroundColor: undefined,
          get text() {
            return fake.statusBar.text;
          },
          set text(v: string) {
            fake.statusBar.text = v;
          },
          get tooltip() {
            return fake.statusBar.tooltip;
          },
          set tooltip(v: string | undefined) {
            fake.statusBar.tooltip = v;
          },
          show: () => void (fake.statusBar.visible = true),
          hide: () => void (fake.statusBar.visible = false),
          dispose: () => void (fake.statusBar.visible = false),
        };
        return item;
      },
      createTreeView: (id: string) => {
        const visibility = new EventEmitter<{ visible: boolean }>();
        const view = {
          selection: [],
          description: undefined as string | undefined,
          visible: false,
          onDidChangeVisibility: visibility.event,
          setVisible: (v: boolean) => {
            view.visible = v;
            visibility.fire({ visible: v });
          },
          dispose() {},
        };
        fake.treeViews.set(id, view);
        return view;
      },
      get activeTextEditor() {
        const doc = documentList.find((d) => d.uri.fsPath === fake.activeFile);
        return doc ? { document: doc } : undefined;
      },
      showInformationMessage: show('info'),
      showWarningMessage: show('warning'),
      showErrorMessage: show('error'),
      showInputBox: async (o: { title?: string; value?: string; validateInput?: (v: string) => string | undefined }) => {
        fake.inputBoxes.push({ title: o.title, value: o.value });
        if (o.validateInput) fake.inputValidations.push(o.validateInput);
        return fake.answers.input.shift();
      },
      showQuickPick: async () => fake.answers.pick.shift(),
      showOpenDialog: async () => fake.answers.open.shift()?.map((p) => Uri.file(p)),
      showSaveDialog: async () => {
        const p = fake.answers.save.shift();
        return p === undefined ? undefined : Uri.file(p);
      },
      withProgress: async (o: { title?: string; cancellable?: boolean }, task: (p: unknown, token: unknown) => Promise<unknown>) => {
        const cancelled = new EventEmitter<void>();
        const entry: FakeProgress = { title: o.title ?? '', cancellable: Boolean(o.cancellable), messages: [], done: false, cancel: () => cancelled.fire() };
        fake.progress.push(entry);
        try {
          return await task({ report: (v: { message?: string }) => v.message && entry.messages.push(v.message) }, { isCancellationRequested: false, onCancellationRequested: cancelled.event });
        } finally {
          entry.done = true;
        }
      },
      showTextDocument: async () => undefined,
    },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        commands.set(id, fn);
        return { dispose: () => commands.delete(id) };
      },
      executeCommand: async (id: string, ...args: unknown[]) => {
        fake.executed.push({ command: id, args });
        if (id === 'setContext') fake.contextKeys.set(args[0] as string, args[1]);
        else if (commands.has(id)) return commands.get(id)!(...args);
        return undefined;
      },
    },
    workspace: {
      get isTrusted() {
        return fake.trusted;
      },
      workspaceFolders: folders,
      getWorkspaceFolder: (uri: Uri) => folders?.find((f) => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(f.uri.fsPath + path.sep)),
      get textDocuments() {
        return [...documentList];
      },
      onDidOpenTextDocument: opened.event,
      onDidChangeTextDocument: changed.event,
      onDidSaveTextDocument: saved.event,
      onDidCloseTextDocument: closed.event,
      onDidGrantWorkspaceTrust: trustGranted.event,
      findFiles: async (pattern: RelativePattern) => {
        const base = typeof pattern.base === 'string' ? pattern.base : pattern.base.uri.fsPath;
        const match = picomatch(pattern.pattern, { dot: true });
        const out: Uri[] = [];
        const walk = (dir: string, depth: number): void => {
          if (depth > 6) return;
          for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, e.name);
            if (e.isDirectory()) walk(full, depth + 1);
            else if (match(path.relative(base, full).split(path.sep).join('/'))) out.push(Uri.file(full));
          }
        };
        if (fs.existsSync(base)) walk(base, 0);
        return out;
      },
      getConfiguration: (section: string) => ({
        get: <T>(key: string, def?: T) => (fake.settings.has(`${section}.${key}`) ? (fake.settings.get(`${section}.${key}`) as T) : def),
      }),
      onDidChangeConfiguration: () => ({ dispose() {} }),
      registerTextDocumentContentProvider: () => ({ dispose() {} }),
      applyEdit: async (edit: WorkspaceEdit) => {
        for (const file of new Set(edit.edits.map((e) => e.uri.fsPath))) {
          const text = applyEdits(fs.readFileSync(file, 'utf8'), edit.edits.filter((e) => e.uri.fsPath === file));
          fs.writeFileSync(file, text);
          const doc = documentList.find((d) => d.uri.fsPath === file);
          if (doc) {
            (doc as unknown as { _set: (t: string) => void })._set(text);
            changed.fire({ document: doc });
          }
        }
        return true;
      },
      openTextDocument: async (o?: { content?: string; language?: string } | Uri) => {
        if (o instanceof Uri) fake.opened.push(o.fsPath);
        else if (o && typeof o === 'object' && 'content' in o && o.content !== undefined) {
          fake.documents.push(o.content);
          fake.documentLanguages.push(o.language);
        }
        return {};
      },
    },
    Task: class {
      group: unknown;
      constructor(readonly definition: unknown, readonly scope: unknown, readonly name: string, readonly source: string, readonly execution: { commandLine: string; options: { env: Record<string, string> } }, readonly problemMatchers: unknown) {}
    },
    ShellExecution: class {
      constructor(readonly commandLine: string, readonly options: { env: Record<string, string> }) {}
    },
    TaskGroup: { Test: 'test' },
    tasks: {
      registerTaskProvider: (type: string, provider: vscodeTypes.TaskProvider) => {
        fake.taskProviders.set(type, provider);
        return { dispose: () => fake.taskProviders.delete(type) };
      },
      // A CustomExecution task runs as VS Code runs it: its pseudoterminal is made, opened and listened to.
      executeTask: async (task: { name: string; definition: unknown; execution: CustomExecution | { commandLine: string; options: { env: Record<string, string> } }; problemMatchers: unknown }) => {
        const execution = task.execution;
        if (execution instanceof CustomExecution) {
          const pty = await execution.callback(task.definition);
          let text = '';
          const terminal: FakeTerminal = { name: task.name, definition: task.definition, pty, output: () => text, exitCode: undefined };
          pty.onDidWrite((d) => (text += d));
          pty.onDidClose?.((code) => (terminal.exitCode = typeof code === 'number' ? code : 0));
          fake.terminals.push(terminal);
          pty.open(undefined);
          return { task };
        }
        fake.tasks.push({ name: task.name, command: execution.commandLine, env: execution.options.env, matcher: task.problemMatchers });
        return {};
      },
    },
    env: {
      clipboard: {
        writeText: async (t: string) => void (fake.clipboard = t),
        readText: async () => fake.clipboard,
      },
    },
  };
  fake.api = api as unknown as VSCode;
  return fake;
}
