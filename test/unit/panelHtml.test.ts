import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy, makeNonce, panelHtml, panelResourceRoots } from '../../src/extension/panels/html';
import { FakeWebview, fakeVscode } from '../helpers/fakeWebview';

function build(title = 'Traffic'): { html: string; webview: FakeWebview } {
  const { vscode, extensionUri } = fakeVscode('/ext');
  const webview = new FakeWebview({ cspSource: 'https://csp.test', asWebviewUri: (u) => `https://res.test${u.path}` });
  const html = panelHtml(vscode, webview as never, extensionUri, { script: 'trafficBrowser.js', title });
  return { html, webview };
}

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(m, 'the page has a CSP meta tag');
  return m[1].replace(/&#39;|&apos;/g, "'");
}

test('CSP: nothing by default, styles and fonts only from the webview source, scripts only with the nonce', () => {
  const { html } = build();
  const csp = cspOf(html);
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives['default-src'], ["'none'"]);
  assert.deepEqual(directives['style-src'], ['https://csp.test']);
  assert.deepEqual(directives['font-src'], ['https://csp.test']);
  assert.deepEqual(directives['img-src'], ['https://csp.test', 'data:']);
  assert.equal(directives['script-src'].length, 1);
  assert.match(directives['script-src'][0], /^'nonce-[A-Za-z0-9+/]{22}=='$/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
});

test('every script tag carries the nonce of the CSP and loads a file; nothing inline', () => {
  const { html } = build();
  const nonce = /'nonce-([^']+)'/.exec(cspOf(html))![1];
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, new RegExp(`nonce="${nonce.replace(/[+/]/g, (c) => `\\${c}`)}"`));
    assert.match(attrs, /src="[^"]+"/);
    assert.equal(body.trim(), '', 'no inline script');
  }
  assert.doesNotMatch(html, /<style\b/);
  assert.doesNotMatch(html, /\sstyle="/);
  assert.doesNotMatch(html, /\son[a-z]+="/, 'no inline event handlers');
});

test('script and stylesheet URIs go through asWebviewUri, from dist/webview/', () => {
  const { html, webview } = build();
  assert.deepEqual(webview.asWebviewUriCalls.sort(), ['/ext/dist/webview/panels.css', '/ext/dist/webview/trafficBrowser.js']);
  assert.match(html, /<script nonce="[^"]+" src="https:\/\/res\.test\/ext\/dist\/webview\/trafficBrowser\.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/res\.test\/ext\/dist\/webview\/panels\.css">/);
  assert.doesNotMatch(html, /file:|\/ext\/(?!dist\/webview)/);
});

test('a fresh nonce per page; attribute values are escaped', () => {
  const nonces = new Set(Array.from({ length: 50 }, () => makeNonce()));
  assert.equal(nonces.size, 50);
  const a = /'nonce-([^']+)'/.exec(cspOf(build().html))![1];
  const b = /'nonce-([^']+)'/.exec(cspOf(build().html))![1];
  assert.notEqual(a, b);
  const { html } = build('"><script>alert(1)</script>');
  assert.equal(html.match(/<script\b/g)!.length, 1);
  assert.match(html, /<title>&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
});

test('contentSecurityPolicy and resource roots', () => {
  assert.equal(contentSecurityPolicy('vscode-src', 'N'), "default-src 'none'; img-src vscode-src data:; style-src vscode-src; font-src vscode-src; script-src 'nonce-N'");
  const { vscode, extensionUri } = fakeVscode('/ext');
  assert.deepEqual(panelResourceRoots(vscode, extensionUri).map((u) => u.path), ['/ext/dist/webview']);
});
