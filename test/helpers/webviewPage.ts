/**
 * Runs a webview panel's page in a real Chromium (Debian's `chromium`, driven by playwright-core) against the
 * host classes in this process: the page is the HTML the panel built (same CSP, same nonce), its files come
 * from dist/webview/ over a loopback server standing in for `asWebviewUri`, `acquireVsCodeApi` is a stub whose
 * `postMessage` reaches the fake panel's webview, and what the host posts is dispatched into the page as a
 * `message` event, as VS Code does. CSP violations, console errors and page errors are collected.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { fakeVscode, type FakePanel, type FakeVscode } from './fakeWebview';
import { ROOT, listen, requireTool } from './index';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Runs in the page before its scripts. Kept as source text: a function would be serialised after tsx compiled
 * it, with helper calls (__name) that do not exist in the page.
 */
const STUB = `function ({ theme, state }) {
  window.__ctViolations = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__ctViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')'));
  window.__ctState = state;
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return { postMessage: (m) => window.__ctToHost(m), getState: () => window.__ctState, setState: (s) => { window.__ctState = s; } };
  };
  // VS Code puts the theme's colours on <html> as custom properties (through the CSSOM, which the CSP allows),
  // before the page's scripts run. Init scripts may run before <html> exists.
  const apply = () => { for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v); };
  if (document.documentElement) apply();
  else {
    const watch = new MutationObserver(() => {
      if (!document.documentElement) return;
      watch.disconnect();
      apply();
    });
    watch.observe(document, { childList: true });
  }
}`;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.html': 'text/html' };

export interface WebviewHarness extends FakeVscode {
  origin: string;
  browser: Browser;
  /**
   * Loads `panel`'s HTML in a new page bridged to its fake webview. `theme`: --vscode-* colours on <html>;
   * `state`: what `getState()` returns at first (VS Code keeps it while it discards and reloads a hidden page).
   */
  open(panel: FakePanel, options?: OpenOptions): Promise<WebviewPage>;
}

export interface OpenOptions {
  theme?: Record<string, string>;
  state?: unknown;
}

export interface WebviewPage {
  page: Page;
  /** What the page last gave `setState()`. */
  state(): Promise<unknown>;
  /** CSP violations, console errors and uncaught page errors so far. */
  problems(): Promise<string[]>;
}

/** Starts the server and the browser (both closed when the test ends); undefined when chromium is missing (skipped). */
export async function webviewHarness(t: TestContext): Promise<WebviewHarness | undefined> {
  if (!requireTool(t, 'chromium', 'chromium')) return undefined;
  for (const f of ['trafficBrowser.js', 'exchangePanel.js', 'panels.css']) {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'webview', f))) throw new Error(`dist/webview/${f} is missing: run npm run build first`);
  }
  const made: { fv?: FakeVscode } = {}; // the fake vscode needs the server's origin, the server serves its panels
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end(); // browsers ask; VS Code's webviews do not
      return;
    }
    const panel = /^\/panel\/(\d+)$/.exec(url.pathname);
    const html = panel && made.fv?.panels[Number(panel[1])]?.webview.html;
    if (html) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    // asWebviewUri(file:///ext/dist/webview/x) → <origin>/ext/dist/webview/x; only that folder is served.
    const rel = url.pathname.replace(/^\/ext\//, '');
    const file = path.resolve(ROOT, rel);
    if (!url.pathname.startsWith('/ext/dist/webview/') || !file.startsWith(path.join(ROOT, 'dist', 'webview') + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  const running = await listen(t, server);
  const origin = running.url;
  const fv = (made.fv = fakeVscode('/ext', { cspSource: origin, asWebviewUri: (u) => `${origin}${u.path}` }));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });

  const open = async (panel: FakePanel, options: OpenOptions = {}): Promise<WebviewPage> => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.exposeFunction('__ctToHost', (message: unknown) => panel.webview.receive(message));
    panel.webview.onPost = (message) => {
      page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), message).catch(() => undefined);
    };
    await page.addInitScript(`(${STUB})(${JSON.stringify({ theme: options.theme ?? {}, state: options.state })})`);
    await page.goto(`${origin}/panel/${fv.panels.indexOf(panel)}`);
    return {
      page,
      state: () => page.evaluate(() => (window as unknown as { __ctState: unknown }).__ctState),
      problems: async () => [...problems, ...(await page.evaluate(() => (window as unknown as { __ctViolations: string[] }).__ctViolations))],
    };
  };
  return { ...fv, origin, browser, open };
}
