import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeError } from '../../core/errors';
import { runChaosExport } from '../../core/chaos/chaosMesh';
import { parseExperimentText } from '../../core/chaos/parse';
import { atomicWriteFileSync } from '../../core/store/atomicWrite';
import type { VSCode, vscodeTypes } from '../types';
import { experimentFile } from './workspaceFiles';

/** Where an export goes: an untitled YAML editor, or `<name>.chaos-mesh.yaml` beside the experiment. */
export interface ExportChoice extends vscodeTypes.QuickPickItem {
  action: 'open' | 'save';
}

/** `<dir>/<name>.chaos-mesh.yaml` for `<dir>/<name>.yaml` */
export function chaosMeshFileFor(experiment: string): string {
  return path.join(path.dirname(experiment), `${path.basename(experiment).replace(/\.ya?ml$/i, '')}.chaos-mesh.yaml`);
}

/**
 * The experiment's Chaos Mesh resources as `chaos export --to chaos-mesh` prints them (the Workflow form). Pure
 * computation, so it runs here in the extension host. Reads the editor's text when the file is open (unsaved edits
 * included); a problem in the file or a target without a kubernetes block is a one-line error.
 */
export function chaosMeshYaml(vscode: VSCode, file: string): { yaml: string; kinds: string[] } {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  let text: string;
  try {
    text = open ? open.getText() : fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path.basename(file)} (${describeError(e)})`);
  }
  const { experiment, problems } = parseExperimentText(text, file);
  if (!experiment || problems.length) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more, in the Problems view)` : '';
    throw new Error(`${path.basename(file)} is not a valid experiment: ${first ? `line ${first.line ?? 1}: ${first.message}` : 'it could not be read'}${more}`);
  }
  const yaml = runChaosExport({ experiment, to: 'chaos-mesh' });
  const kinds = [...new Set([...yaml.matchAll(/^kind: (\S+)$/gm)].map((m) => m[1]))];
  return { yaml, kinds };
}

/** Export Experiment to Chaos Mesh: the experiment given, active or picked → an untitled YAML editor, or a file beside it. */
export async function exportExperimentToChaosMesh(vscode: VSCode, uri?: vscodeTypes.Uri): Promise<void> {
  const file = await experimentFile(vscode, uri, 'Experiment to export to Chaos Mesh');
  if (!file) return;
  const { yaml, kinds } = chaosMeshYaml(vscode, file);
  const beside = chaosMeshFileFor(file);
  const choices: ExportChoice[] = [
    { label: 'Open', description: 'in a new editor (untitled)', action: 'open' },
    { label: 'Save', description: `as ${path.basename(beside)} beside the experiment`, action: 'save' },
  ];
  const choice = await vscode.window.showQuickPick(choices, { title: `Chaos Testing: Export ${path.basename(file)} to Chaos Mesh (${kinds.join(', ')})`, placeHolder: 'Open the YAML, or save it beside the experiment' });
  if (!choice) return;
  if (choice.action === 'open') {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: yaml, language: 'yaml' }));
    return;
  }
  if (fs.existsSync(beside)) {
    const replace = await vscode.window.showWarningMessage(`${path.basename(beside)} exists. Replace it?`, { modal: true }, 'Replace');
    if (replace !== 'Replace') return;
  }
  try {
    atomicWriteFileSync(beside, Buffer.from(yaml));
  } catch (e) {
    throw new Error(`cannot write ${beside}: ${(e as Error).message}`);
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(beside)));
  void vscode.window.showInformationMessage(`Chaos Testing: wrote ${kinds.join(', ')} to ${path.basename(beside)}; apply it with kubectl apply -f ${path.basename(beside)}.`);
}
