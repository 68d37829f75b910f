import * as path from 'node:path';
import type { VSCode } from './types';

/** Workspace state: the last target a capture was started against (Start Capture's and Replay Traffic's default). */
export const LAST_TARGET = 'chaosTesting.lastTarget';

export interface CaptureSettings {
  port: number;
  target: string;
  host: string;
  redact: boolean;
  redactFields: string[];
  bodyLimit: number;
  exclude: string[];
  /** 'localCa': the proxy serves HTTPS with a certificate from the workspace's local CA (reverse mode over TLS). */
  tls: 'off' | 'localCa';
  /** 'forward': clients use the proxy as HTTP_PROXY/HTTPS_PROXY (no target). */
  mode: 'reverse' | 'forward';
  /** Forward mode: decrypt and record HTTPS with certificates from the workspace's local CA. */
  interceptTls: boolean;
  /** Host globs whose HTTPS is intercepted (none: all); the others stay opaque tunnels. */
  intercept: string[];
  /** Do not verify upstream certificates of intercepted HTTPS (noted on the session). */
  insecureUpstream: boolean;
}

/** `chaosTesting.capture.*`, with the CLI's defaults. */
export function captureSettings(vscode: VSCode): CaptureSettings {
  const c = vscode.workspace.getConfiguration('chaosTesting.capture');
  return {
    port: c.get<number>('port', 8080),
    target: c.get<string>('target', ''),
    host: c.get<string>('host', '127.0.0.1'),
    redact: c.get<boolean>('redact', true),
    redactFields: c.get<string[]>('redactFields', []),
    bodyLimit: c.get<number>('bodyLimit', 1024 * 1024),
    exclude: c.get<string[]>('exclude', []),
    tls: c.get<string>('tls', 'off') === 'localCa' ? 'localCa' : 'off',
    mode: c.get<string>('mode', 'reverse') === 'forward' ? 'forward' : 'reverse',
    interceptTls: c.get<boolean>('interceptTls', false),
    intercept: c.get<string[]>('intercept', []).map((h) => h.trim()).filter(Boolean),
    insecureUpstream: c.get<boolean>('insecureUpstream', false),
  };
}

/** The workspace's traffic database (`chaosTesting.database`, relative to the first folder), or undefined with no folder. */
export function defaultDatabase(vscode: VSCode): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file') return undefined;
  const configured = vscode.workspace.getConfiguration('chaosTesting').get<string>('database', '.chaos/traffic.db');
  return path.resolve(folder.uri.fsPath, configured || '.chaos/traffic.db');
}

/** The workspace's local CA directory (`.chaos/ca` of the first folder), or beside the database without a folder. */
export function caDirectory(vscode: VSCode, db?: string): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder && folder.uri.scheme === 'file') return path.join(folder.uri.fsPath, '.chaos', 'ca');
  return db ? path.join(path.dirname(db), 'ca') : undefined;
}

/** A target URL typed by the user: an error message, or undefined when it is fine. */
export function validateTarget(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return 'Enter the backend URL, e.g. http://localhost:9000';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'The target must be an http:// or https:// URL';
  return undefined;
}

/** `chaosTesting.faults.api`: HOST:PORT of the fault API the Faults view shows. */
export function faultsApi(vscode: VSCode): string {
  const value = vscode.workspace.getConfiguration('chaosTesting.faults').get<string>('api', '127.0.0.1:8474');
  return value.trim() || '127.0.0.1:8474';
}
