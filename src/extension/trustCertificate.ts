import * as path from 'node:path';
import { initCa, loadCa, type LocalCa } from '../core/tls/ca';
import { certifiBundle, trustSteps, trustText } from '../core/tls/trust';
import { caDirectory } from './settings';
import type { VSCode } from './types';

/**
 * "Trust Capture Certificate…": makes the workspace's local CA when there is none (after asking), then shows the
 * certificate and how each kind of client trusts it, with the two things most people want next as buttons.
 */
export async function trustCaptureCertificate(vscode: VSCode): Promise<void> {
  const dir = caDirectory(vscode);
  if (!dir) {
    void vscode.window.showWarningMessage('Chaos Testing: open a folder first; the capture certificate is made per workspace (in .chaos/ca).');
    return;
  }
  const made = await ensureCaptureCa(vscode, dir);
  if (made) await showTrustInstructions(vscode, made.ca);
}

/** The local CA in `dir`, made after asking when there is none; undefined when the user said no. */
export async function ensureCaptureCa(vscode: VSCode, dir: string): Promise<{ ca: LocalCa; created: boolean } | undefined> {
  const ca = await loadCa(dir);
  if (ca) return { ca, created: false };
  const create = 'Create Certificate';
  const pick = await vscode.window.showInformationMessage(
    'Chaos Testing: make a local certificate authority for HTTPS capture? Its key stays in .chaos/ca (mode 0600, added to .gitignore) and is used only by the capture proxy.',
    { modal: true },
    create,
  );
  if (pick !== create) return undefined;
  return { ca: (await initCa(dir)).ca, created: true };
}

/** The certificate and the per-client instructions as a Markdown document, with Copy and Open Folder buttons. */
export async function showTrustInstructions(vscode: VSCode, ca: LocalCa): Promise<void> {
  const markdown = trustText(ca, trustSteps(ca, { certifi: certifiBundle() }), true);
  const doc = await vscode.workspace.openTextDocument({ content: markdown, language: 'markdown' });
  await vscode.window.showTextDocument(doc, { preview: true });
  const copy = 'Copy NODE_EXTRA_CA_CERTS Line';
  const reveal = 'Open Folder';
  const pick = await vscode.window.showInformationMessage(
    `Chaos Testing: capture certificate ${path.basename(ca.certPath)} (SHA-256 ${ca.fingerprint256.slice(0, 23)}…, expires ${ca.notAfter.toISOString().slice(0, 10)}).`,
    copy,
    reveal,
  );
  if (pick === copy) await vscode.env.clipboard.writeText(`NODE_EXTRA_CA_CERTS=${ca.certPath}`);
  else if (pick === reveal) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(ca.certPath));
}
