import * as fs from 'node:fs';
import * as path from 'node:path';
import { replayReport } from '../../core/replay/report';
import type { ReplayResult } from '../../core/replay/types';
import { LAST_TARGET, captureSettings, validateTarget } from '../settings';
import type { VSCode, vscodeTypes } from '../types';
import type { CliEntry } from './cliEntry';
import { parseJsonResult, startCli } from './cliProcess';
import { findWorkspaceFiles } from './workspaceFiles';

const LAST_REPLAY_TARGET = 'chaosTesting.lastReplayTarget';
/** Faults files offered for a replay, relative to each workspace folder. */
export const FAULTS_GLOB = '.chaos/*.{yaml,yml}';
/** `replay 3/7  matched 3  diverged 0  errors 0`, as `chaos-testing replay --progress` writes it. */
const PROGRESS_LINE = /^replay (\d+)\/(\d+)\s+matched (\d+)\s+diverged (\d+)\s+errors (\d+)/;

export interface ReplayTrafficOptions {
  /** The traffic database to replay (the views' one). */
  database(): string | undefined;
  state: vscodeTypes.Memento;
  /** Shows the text report read-only. */
  showReport(name: string, text: string): Promise<void>;
  cli?: CliEntry;
  /** After Cancel (SIGTERM), how long the CLI may take to print its partial result. */
  graceMs?: number;
}

/** How a replay from the editor ended: the CLI's result, or why there is none. */
export interface ReplayOutcome {
  result?: ReplayResult;
  error?: string;
  cancelled: boolean;
}

/**
 * Replay Traffic…: `chaos-testing replay --json --progress` as a child process (never on the extension host's event
 * loop), with the engine's progress in a cancellable notification; Cancel is SIGTERM, after which the CLI prints
 * the partial result. The engine child's protocol has no per-request progress or cancel, so the CLI is the route.
 */
export class ReplayTraffic {
  constructor(private readonly _vscode: VSCode, private readonly _options: ReplayTrafficOptions) {}

  async run(): Promise<ReplayOutcome | undefined> {
    const vscode = this._vscode;
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Chaos Testing cannot replay traffic in Restricted Mode: a replay sends requests to a backend. Trust the workspace to enable it.');
      return undefined;
    }
    const db = this._options.database();
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!db || !folder) throw new Error('open a folder first: the traffic database lives in the workspace (.chaos/traffic.db)');
    if (!fs.existsSync(db)) throw new Error(`no traffic database at ${db}: capture some traffic first (Start Capture)`);
    const target = await this._askTarget();
    if (target === undefined) return undefined;
    const faults = await this._askFaults();
    if (faults === null) return undefined;
    const outcome = await this._replay(db, target, faults, folder.uri.fsPath);
    await this._show(outcome, target);
    return outcome;
  }

  private async _askTarget(): Promise<string | undefined> {
    const state = this._options.state;
    const remembered = state.get<string>(LAST_REPLAY_TARGET) || state.get<string>(LAST_TARGET) || captureSettings(this._vscode).target;
    const target = await this._vscode.window.showInputBox({
      title: 'Chaos Testing: Replay Traffic',
      prompt: 'URL of the backend to replay the captured traffic against',
      placeHolder: 'http://localhost:9000',
      value: remembered || 'http://localhost:9000',
      ignoreFocusOut: true,
      validateInput: validateTarget,
    });
    if (target === undefined) return undefined;
    await state.update(LAST_REPLAY_TARGET, target.trim());
    return target.trim();
  }

  /** A faults file from `.chaos/*.yaml`, undefined for none, null when the pick was dismissed. */
  private async _askFaults(): Promise<string | undefined | null> {
    const vscode = this._vscode;
    const files = await findWorkspaceFiles(vscode, FAULTS_GLOB);
    if (!files.length) return undefined;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    const items = [
      { label: 'No faults', description: 'replay straight to the backend', file: undefined as string | undefined },
      ...files.map((f) => ({ label: path.basename(f), description: path.relative(root, path.dirname(f)), file: f as string | undefined })),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Chaos Testing: Replay Traffic', placeHolder: 'Replay through faults? ({ toxics: [...] } files in .chaos/)' });
    return pick ? pick.file : null;
  }

  private async _replay(db: string, target: string, faults: string | undefined, cwd: string): Promise<ReplayOutcome> {
    const vscode = this._vscode;
    const args = ['replay', '--input', db, '--target', target, '--json', '--progress', ...(faults ? ['--faults', faults] : [])];
    const title = `Chaos Testing: replaying ${path.basename(db)} against ${target}${faults ? ` with ${path.basename(faults)}` : ''}`;
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      let done = 0;
      const run = startCli({
        args,
        cwd,
        cli: this._options.cli,
        graceMs: this._options.graceMs ?? 10_000,
        onLine: (line) => {
          const m = PROGRESS_LINE.exec(line);
          if (!m) return;
          const [now, total] = [Number(m[1]), Number(m[2])];
          progress.report({ message: `${now}/${total} · ${m[3]} matched, ${m[4]} diverged, ${m[5]} errors`, increment: total ? ((now - done) * 100) / total : undefined });
          done = now;
        },
      });
      const cancel = token.onCancellationRequested(() => void run.cancel());
      try {
        const exit = await run.done;
        const result = parseJsonResult<ReplayResult>(exit.stdout, (v) => v.kind === 'replay' && typeof v.summary === 'object');
        return { result, cancelled: exit.cancelled, error: result ? undefined : exit.lastLine.replace(/^chaos-testing: /, '') };
      } finally {
        cancel.dispose();
      }
    });
  }

  private async _show(o: ReplayOutcome, target: string): Promise<void> {
    const vscode = this._vscode;
    const r = o.result;
    if (!r) {
      if (o.cancelled) void vscode.window.showWarningMessage('Chaos Testing: the replay was cancelled before it printed a result.');
      else void vscode.window.showErrorMessage(`Chaos Testing: the replay failed: ${o.error ?? 'no result'}`);
      return;
    }
    const message = replaySummaryLine(r, target);
    const clean = !r.aborted && r.summary.diverged === 0 && r.summary.errors === 0;
    const action = clean ? await vscode.window.showInformationMessage(message, 'Show Report') : await vscode.window.showWarningMessage(message, 'Show Report');
    if (action === 'Show Report') await this._options.showReport(`replay-${r.startedAt}.txt`, replayReport(r));
  }
}

/** "replay against URL: 6 matched, 1 diverged, 0 errors; worst: DELETE /api/items/{itemId} (1/1 failed)." */
export function replaySummaryLine(r: ReplayResult, target: string): string {
  const s = r.summary;
  const worst = s.worst[0];
  const stopped = r.aborted ? ` Cancelled after ${s.total} exchange${s.total === 1 ? '' : 's'}.` : '';
  const worstText = worst ? `; worst: ${worst.endpoint} (${worst.diverged + worst.errors}/${worst.count} failed)` : '';
  return `Chaos Testing: replay against ${target}: ${s.matched} matched, ${s.diverged} diverged, ${s.errors} errors${worstText}.${stopped}`;
}
