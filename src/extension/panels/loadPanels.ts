import type * as vscodeTypes from 'vscode';
import type { LoadView } from '../load/types';
import { LoadComparePanel } from './loadComparePanel';
import { LoadTestPanel } from './loadTestPanel';

type VSCode = typeof vscodeTypes;

/** The load panels as the load features see them: a run goes to the live panel, a comparison to its own. */
export function loadPanels(vscode: VSCode, extensionUri: vscodeTypes.Uri): LoadView {
  return {
    start: (run) => void LoadTestPanel.start(vscode, extensionUri, run),
    tick: (tick) => LoadTestPanel.current?.tick(tick),
    result: (result, source) => (LoadTestPanel.current ?? LoadTestPanel.start(vscode, extensionUri, { name: result.spec.name, target: result.spec.target })).showResult(result, source),
    compare: (a, b) => void LoadComparePanel.show(vscode, extensionUri, a, b),
  };
}
