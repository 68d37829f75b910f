import { loadCa } from '../core/tls/ca';
import { proxyEnvLine } from '../core/tls/trust';
import type { CaptureInfo } from '../core/engine/protocol';
import type { CaptureController } from './captureController';
import { caDirectory, captureSettings } from './settings';
import { ensureCaptureCa, showTrustInstructions } from './trustCertificate';
import type { VSCode } from './types';

const COPY_ENV = 'Copy Terminal Env';
const TRUST = 'Trust Instructions…';

/** "all hosts" or the globs, for messages and the status bar's tooltip. */
export function interceptedHosts(hosts: string[]): string {
  return hosts.length ? hosts.join(', ') : 'all hosts';
}

/** The shell line that points a terminal's clients at this forward proxy (and, intercepting, trusts the CA). */
export function terminalEnv(info: CaptureInfo): string {
  return proxyEnvLine(`http://${info.listen}`, info.intercept?.caCert);
}

/**
 * Start Capture with chaosTesting.capture.mode = forward: no target to ask for. With interceptTls the workspace's
 * local CA is made first (after asking); once started, the message offers the terminal variables to copy and, when
 * intercepting, the trust instructions. Returns 'stop' when the user chose Stop.
 */
export async function startForwardCapture(vscode: VSCode, capture: CaptureController, db: string): Promise<'stop' | undefined> {
  const s = captureSettings(vscode);
  let created = false;
  if (s.interceptTls) {
    const dir = caDirectory(vscode, db)!;
    const made = await ensureCaptureCa(vscode, dir);
    if (!made) {
      void vscode.window.showInformationMessage('Chaos Testing: the capture was not started: HTTPS interception needs the local certificate authority (or turn off chaosTesting.capture.interceptTls).');
      return undefined;
    }
    created = made.created;
  }
  const info = await capture.start(db, '');
  const proxy = `http://${info.listen}`;
  const intercepting = info.intercept
    ? `, intercepting HTTPS for ${interceptedHosts(info.intercept.hosts)}${info.intercept.insecureUpstream ? ' (upstream certificates NOT verified)' : ''}`
    : '';
  const trust = info.intercept ? ' and trust the capture certificate' : '';
  const buttons = info.intercept ? (created ? [TRUST, COPY_ENV, 'Stop'] : [COPY_ENV, TRUST, 'Stop']) : [COPY_ENV, 'Stop'];
  const pick = await vscode.window.showInformationMessage(`Chaos Testing: forward proxy on ${proxy}${intercepting}. Point clients at it with HTTPS_PROXY/HTTP_PROXY${trust}.`, ...buttons);
  if (pick === COPY_ENV) await vscode.env.clipboard.writeText(terminalEnv(info));
  else if (pick === TRUST && info.intercept) {
    const ca = await loadCa(caDirectory(vscode, db)!);
    if (ca) await showTrustInstructions(vscode, ca);
  } else if (pick === 'Stop') return 'stop';
  return undefined;
}
