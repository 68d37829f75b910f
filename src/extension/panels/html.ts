import { randomBytes } from 'node:crypto';
import type * as vscodeTypes from 'vscode';

type VSCode = typeof vscodeTypes;

/** Where a panel's page comes from: the bundles esbuild writes to dist/webview/ (scripts/build.mjs). */
export const WEBVIEW_DIR = ['dist', 'webview'] as const;

export interface PanelPage {
  /** Bundle in dist/webview/, e.g. 'trafficBrowser.js'. */
  script: string;
  /** Title of the document (the tab title is the panel's). */
  title: string;
  /** More stylesheets in dist/webview/, after panels.css (e.g. a chart library's). */
  styles?: string[];
}

/** A fresh CSP nonce: 128 random bits, base64. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The Content-Security-Policy of every panel: only our own files, scripts only with this page's nonce. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `localResourceRoots` of a panel: the webview bundles and nothing else. */
export function panelResourceRoots(vscode: Pick<VSCode, 'Uri'>, extensionUri: vscodeTypes.Uri): vscodeTypes.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, ...WEBVIEW_DIR)];
}

/**
 * The HTML of a panel: its bundle and the shared stylesheet, both through `asWebviewUri`, under a CSP that
 * allows nothing inline: styles only from files, the one script only with a fresh nonce.
 */
export function panelHtml(
  vscode: Pick<VSCode, 'Uri'>,
  webview: Pick<vscodeTypes.Webview, 'asWebviewUri' | 'cspSource'>,
  extensionUri: vscodeTypes.Uri,
  page: PanelPage,
  nonce = makeNonce(),
): string {
  const uri = (file: string): string => escapeAttr(webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...WEBVIEW_DIR, file)).toString());
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(webview.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${['panels.css', ...(page.styles ?? [])].map((css) => `<link rel="stylesheet" href="${uri(css)}">`).join('\n')}
<title>${escapeAttr(page.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${escapeAttr(nonce)}" src="${uri(page.script)}"></script>
</body>
</html>`;
}
