/**
 * The workbench as a person uses it: the command palette, notifications, views, trees, webviews and input boxes.
 * Selectors were verified on code-server 4.100.3 (VS Code 1.100.3) in Chromium 156; start an editor with harness.ts.
 */
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';

/** Per wait: the workbench on 2 busy cores can take seconds to react. */
export const WAIT = 20_000;

/** Selectors verified on code-server 4.100.3 (VS Code 1.100.3). */
export const SELECTORS = {
  workbench: '.monaco-workbench',
  quickInput: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-list .monaco-list-row',
  toast: '.notifications-toasts .notification-toast',
  toastMessage: '.notification-list-item-message',
  sidebarTreeItem: '#workbench\\.parts\\.sidebar .monaco-list-row[role="treeitem"]',
  editorTab: '.tabs-container .tab',
  /** Status-bar item shown only in Restricted Mode; aria-label "Restricted Mode: Some features are disabled…". */
  restrictedModeStatus: '#status\\.workspaceTrust',
  /** Outer webview element; its document holds the page in `iframe#active-frame` (`pending-frame` while loading).
   *  Verified on the built-in Markdown preview (smoke.test.ts); extension webviews use the same two frames. */
  webviewOuter: 'iframe.webview',
  webviewInner: 'iframe#active-frame',
} as const;
/** The trust dialog's button that opens the folder in Restricted Mode. */
export const DONT_TRUST_BUTTON = "No, I don't trust the authors";

export interface Editor {
  page: Page;
  /** http://127.0.0.1:PORT of code-server. */
  url: string;
  /** Runs a command from the palette by its full title ("Category: Title"). */
  runCommand(title: string): Promise<void>;
  /** Waits for a notification toast containing `match`; returns its message. */
  notification(match: string | RegExp): Promise<string>;
  /** Shows a view container by its activity-bar title ("Explorer", "Chaos Testing"). */
  openView(containerTitle: string): Promise<void>;
  /** A sidebar tree row containing `text`, once visible. */
  treeItem(text: string | RegExp): Promise<Locator>;
  /** The inner frame of the webview whose body text contains `match` (or for which the predicate holds). */
  webviewFrame(match: string | RegExp | ((frame: Frame) => Promise<boolean>)): Promise<Frame>;
  /** Answers the open input box (or quick pick): types `text` and presses Enter. */
  answer(text: string): Promise<void>;
  /** In the open quick pick, types `label` to filter, then clicks the first item containing it. */
  pick(label: string): Promise<void>;
  /** Opens a workspace file through Quick Open (Ctrl+P). */
  openFile(relativePath: string): Promise<void>;
  /** Text of a status-bar item by id ('status.editor.mode', 'status.editor.selection'), once it contains `match`. */
  statusItem(id: string, match?: string | RegExp): Promise<string>;
  /** True when the window shows the Restricted Mode status item. */
  isRestricted(): Promise<boolean>;
  /** Saves test-results/editor/NAME-<name>.png; returns the path. */
  screenshot(name: string): Promise<string>;
  /** Closes the browser, ends code-server's process group and removes the temporary folders; safe to call twice. */
  close(): Promise<void>;
}

/** The Editor API over a page showing the workbench; screenshots go to `shotPrefix`-NAME.png. */
export function makeEditor(page: Page, url: string, shotPrefix: string, close: () => Promise<void>): Editor {
  const input = page.locator(SELECTORS.quickInput);

  /** Opens the quick input with `key`; clicks into the editor area and retries if the page had no focus. */
  const openQuickInput = async (key: string): Promise<void> => {
    await page.keyboard.press(key);
    if (await input.waitFor({ timeout: 5_000 }).then(() => true, () => false)) return;
    await page.locator('#workbench\\.parts\\.editor').click({ position: { x: 10, y: 10 } });
    await page.keyboard.press(key);
    await input.waitFor();
  };

  /** Waits until the quick input closes or no longer holds `value` (it was accepted). */
  const inputLeaves = async (value: string, timeoutMs = WAIT): Promise<void> => {
    await until(async () => !(await input.isVisible()) || (await input.inputValue()) !== value, `the quick input to leave '${value}'`, undefined, timeoutMs);
  };

  const editor: Editor = {
    page,
    url,
    close,
    async runCommand(title) {
      // Commands contributed by an extension appear once its host has registered them: reopen until they do.
      const row = page.locator(SELECTORS.quickInputRow).filter({ has: page.locator('.label-name', { hasText: exactly(title) }) }).first();
      await until(async () => {
        await openQuickInput('F1');
        await input.fill(`>${title}`);
        if (await row.waitFor({ timeout: 5_000 }).then(() => true, () => false)) return true;
        await page.keyboard.press('Escape');
        return false;
      }, `the palette to list '${title}'`, undefined, WAIT * 2);
      await row.click();
      await inputLeaves(`>${title}`);
    },
    async notification(match) {
      const toast = page.locator(SELECTORS.toast).filter({ hasText: match }).first();
      await toast.waitFor();
      return (await toast.locator(SELECTORS.toastMessage).innerText()).trim();
    },
    async openView(containerTitle) {
      const tab = page.getByRole('tab', { name: containerTitle });
      if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
      await until(async () => (await tab.getAttribute('aria-selected')) === 'true', `view container '${containerTitle}' to show`);
    },
    async treeItem(text) {
      const item = page.locator(SELECTORS.sidebarTreeItem).filter({ hasText: text }).first();
      await item.waitFor();
      return item;
    },
    async webviewFrame(match) {
      const test = typeof match === 'function' ? match : async (f: Frame) => {
        const body = await f.locator('body').innerText({ timeout: 1_000 });
        return typeof match === 'string' ? body.includes(match) : match.test(body);
      };
      return until(async () => {
        for (const outer of await page.locator(SELECTORS.webviewOuter).elementHandles()) {
          // A webview that is (re)loading its frames throws "Cannot find context with specified id": not yet.
          const frame = await outer
            .contentFrame()
            .then((f) => f?.$(SELECTORS.webviewInner))
            .then((inner) => inner?.contentFrame())
            .catch(() => null);
          if (frame && (await test(frame).catch(() => false))) return frame;
        }
        return undefined;
      }, `a webview matching ${String(match)}`);
    },
    async answer(text) {
      await input.waitFor();
      await input.fill(text);
      // On busy cores a quick-access box can take Enter before it has caught up with the text: press it again then.
      await until(async () => {
        await input.press('Enter');
        return inputLeaves(text, 2_000).then(() => true, () => false);
      }, `the input box to accept '${text}'`);
    },
    async pick(label) {
      await input.waitFor();
      await input.fill(label);
      await page.locator(SELECTORS.quickInputRow).filter({ hasText: label }).first().click();
    },
    async openFile(relativePath) {
      await openQuickInput('Control+P');
      await input.fill(relativePath);
      await page.locator(SELECTORS.quickInputRow).filter({ hasText: path.basename(relativePath) }).first().click();
      await page.locator(`${SELECTORS.editorTab}.active`).filter({ hasText: path.basename(relativePath) }).waitFor();
    },
    async statusItem(id, match) {
      const item = page.locator(`#${id.replace(/\./g, '\\.')}`).filter(match === undefined ? {} : { hasText: match });
      await item.waitFor();
      return (await item.innerText()).trim();
    },
    async isRestricted() {
      const item = page.locator(SELECTORS.restrictedModeStatus);
      return (await item.count()) > 0 && /Restricted Mode/.test((await item.getAttribute('aria-label')) ?? '');
    },
    async screenshot(shot) {
      const file = `${shotPrefix}-${shot}.png`;
      await page.screenshot({ path: file });
      return file;
    },
  };
  return editor;
}

/** Polls `check` until it returns a truthy value; `guard` may throw to stop early. */
export async function until<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, what: string, guard?: () => void, timeoutMs = WAIT): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    guard?.();
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** `unref`: a timer that only bounds a race and must not keep the process alive. */
export function sleep(ms: number, unref = false): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    if (unref) timer.unref();
  });
}

function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}
