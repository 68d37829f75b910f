/**
 * A small stand-in for the `vscode` API: enough of it for the extension's logic to run in node:test, with
 * scripted answers for input boxes, quick picks and dialogs, and a record of every message shown.
 */
import * as path from 'node:path';
import type { VSCode } from '../../src/extension/types';

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
  clipboard: string;
  /** Contents of the untitled documents the extension opened. */
  documents: string[];
  /** Files opened in an editor. */
  opened: string[];
  /** Tasks the extension ran. */
  tasks: Array<{ name: string; command: string; env: Record<string, string>; matcher: unknown }>;
  contextKeys: Map<string, unknown>;
  executed: Array<{ command: string; args: unknown[] }>;
  statusBar: { text: string; visible: boolean; tooltip?: string };
  settings: Map<string, unknown>;
  trusted: boolean;
  run(command: string, ...args: unknown[]): Promise<unknown>;
  waitForMessage(re: RegExp, timeoutMs?: number): Promise<Shown>;
}

export function fakeVscode(options: { folder?: string; settings?: Record<string, unknown>; trusted?: boolean } = {}): FakeVscode {
  const commands = new Map<string, (...args: unknown[]) => unknown>();
  const state = new Map<string, unknown>();
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
    clipboard: '',
    documents: [],
    opened: [],
    tasks: [],
    contextKeys: new Map(),
    executed: [],
    statusBar: { text: '', visible: false },
    settings: new Map(Object.entries(options.settings ?? {})),
    trusted: options.trusted ?? true,
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
      createTreeView: () => ({ selection: [], description: undefined as string | undefined, dispose() {} }),
      showInformationMessage: show('info'),
      showWarningMessage: show('warning'),
      showErrorMessage: show('error'),
      showInputBox: async (o: { validateInput?: (v: string) => string | undefined }) => {
        if (o.validateInput) fake.inputValidations.push(o.validateInput);
        return fake.answers.input.shift();
      },
      showQuickPick: async () => fake.answers.pick.shift(),
      showOpenDialog: async () => fake.answers.open.shift()?.map((p) => Uri.file(p)),
      showSaveDialog: async () => {
        const p = fake.answers.save.shift();
        return p === undefined ? undefined : Uri.file(p);
      },
      withProgress: (_o: unknown, task: () => Promise<unknown>) => task(),
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
      workspaceFolders: options.folder ? [{ uri: Uri.file(options.folder), name: path.basename(options.folder), index: 0 }] : undefined,
      getConfiguration: (section: string) => ({
        get: <T>(key: string, def?: T) => (fake.settings.has(`${section}.${key}`) ? (fake.settings.get(`${section}.${key}`) as T) : def),
      }),
      onDidChangeConfiguration: () => ({ dispose() {} }),
      registerTextDocumentContentProvider: () => ({ dispose() {} }),
      openTextDocument: async (o?: { content?: string } | Uri) => {
        if (o instanceof Uri) fake.opened.push(o.fsPath);
        else if (o && typeof o === 'object' && 'content' in o && o.content !== undefined) fake.documents.push(o.content);
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
      executeTask: async (task: { name: string; execution: { commandLine: string; options: { env: Record<string, string> } }; problemMatchers: unknown }) => {
        fake.tasks.push({ name: task.name, command: task.execution.commandLine, env: task.execution.options.env, matcher: task.problemMatchers });
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
