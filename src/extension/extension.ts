import type { ExtensionContext } from 'vscode';
import { ChaosExtension, type PanelOpeners } from './chaosExtension';
import { AuditPanel } from './panels/auditPanel';
import { ExchangePanel } from './panels/exchangePanel';
import { ExperimentResultsPanel } from './panels/experimentResultsPanel';
import { LoadComparePanel } from './panels/loadComparePanel';
import { loadPanels } from './panels/loadPanels';
import { LoadTestPanel } from './panels/loadTestPanel';
import { PropertiesPanel } from './panels/propertiesPanel';
import { ReadinessPanel } from './panels/readinessPanel';
import { ReadinessReportPanel } from './panels/readinessReportPanel';
import { TrafficBrowserPanel } from './panels/trafficBrowserPanel';
import type { VSCode } from './types';

let root: ChaosExtension | undefined;

export function activate(context: ExtensionContext): ChaosExtension {
  const vscode = require('vscode') as VSCode;
  const panels: PanelOpeners = {
    showExchange: (backend, id) => void ExchangePanel.show(vscode, context.extensionUri, backend, id),
    showBrowser: (backend) => void TrafficBrowserPanel.show(vscode, context.extensionUri, backend),
    showResults: (result, file) => void ExperimentResultsPanel.show(vscode, context.extensionUri, result, file),
    load: loadPanels(vscode, context.extensionUri),
    showProperties: (result, actions) => void PropertiesPanel.show(vscode, context.extensionUri, result, actions),
    showAudit: (result, actions) => void AuditPanel.show(vscode, context.extensionUri, result, actions),
    showReadiness: (result, actions) => void ReadinessPanel.show(vscode, context.extensionUri, result, actions),
    showReadinessReport: (result) => void ReadinessReportPanel.show(vscode, result),
  };
  const ext = new ChaosExtension(vscode, context, panels);
  root = ext;
  context.subscriptions.push(
    ext,
    // Panels left open come back after a reload of the window.
    vscode.window.registerWebviewPanelSerializer(TrafficBrowserPanel.viewType, {
      deserializeWebviewPanel: async (panel) => void TrafficBrowserPanel.revive(vscode, panel, context.extensionUri, ext),
    }),
    vscode.window.registerWebviewPanelSerializer(ExchangePanel.viewType, {
      deserializeWebviewPanel: async (panel, state: unknown) => void ExchangePanel.revive(vscode, panel, context.extensionUri, ext, state),
    }),
    { dispose: () => (TrafficBrowserPanel.current?.dispose(), ExchangePanel.current?.dispose(), ExperimentResultsPanel.current?.dispose(), LoadTestPanel.current?.dispose(), LoadComparePanel.current?.dispose(), PropertiesPanel.current?.dispose(), AuditPanel.current?.dispose(), ReadinessPanel.current?.dispose(), ReadinessReportPanel.current?.dispose()) },
  );
  return ext;
}

export function deactivate(): Promise<void> | undefined {
  // The engine child flushes a running capture when asked to stop; wait for it so nothing captured is lost.
  const r = root;
  root = undefined;
  if (!r) return undefined;
  const engine = r.engine;
  r.dispose();
  return engine.dispose();
}
