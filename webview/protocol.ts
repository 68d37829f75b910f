/**
 * The one message protocol between a webview panel and the extension host. The webview asks, the host answers
 * each request once (by id); the host may also push events. Types only: both sides import this file.
 */
import type { ExperimentResult } from '../src/core/chaos/types';
import type { AuditResult } from '../src/core/compliance/types';
import type { PropertiesResult } from '../src/core/properties/types';
import type { LoadResult, LoadTick } from '../src/core/load/types';
import type { LabeledLoadResult, LoadComparisonView, LoadRunInfo } from '../src/extension/load/types';
import type { ExchangeView, PageQuery, PageResult } from '../src/core/store/queries';

export type { ExperimentResult, PhaseStats, ProbeOutcome, ProbeSample, TimelineEvent } from '../src/core/chaos/types';
export type { EndpointResult, ErrorKind, LatencyPercentiles, LoadResult, LoadTick, SloVerdict } from '../src/core/load/types';
export type { LabeledLoadResult, LoadComparisonView, LoadRunInfo } from '../src/extension/load/types';
export type { AuditResult, Finding, FrameworkSummary } from '../src/core/compliance/types';
export type { PropertiesResult, Step, Violation } from '../src/core/properties/types';
export type { ExchangeRow, ExchangeView, PageQuery, PageResult, SortColumn, StatusClass } from '../src/core/store/queries';

/** Every request a panel can make: its parameters and its answer. */
export interface PanelRequests {
  /** A page of the traffic table (browser panel). */
  page: { params: PageQuery; result: PageResult };
  /** One exchange in full (exchange panel). */
  exchange: { params: { id: number }; result: ExchangeView | null };
  /** Open the exchange panel for this exchange. */
  openExchange: { params: { id: number }; result: null };
  /** Copy the request as a curl command to the clipboard. */
  copyCurl: { params: { id: number }; result: null };
  /** Send the recorded request again and show the new response as a diff against the recorded one. */
  resend: { params: { id: number }; result: null };
  /** Properties panel: replay violation `index` of the shown run and write it as a regression test; the file written. */
  createRegressionTest: { params: { index: number }; result: { file: string } | null };
  /** Copy text (a replay command) to the clipboard. */
  copyText: { params: { text: string }; result: null };
  /** Audit panel: open a workspace file at a 1-based line and column. */
  openLocation: { params: { file: string; line: number; column: number }; result: null };
}

export type PanelMethod = keyof PanelRequests;

export type RequestMessage<M extends PanelMethod = PanelMethod> = { kind: 'request'; id: number; method: M; params: PanelRequests[M]['params'] };

export type ReplyMessage<M extends PanelMethod = PanelMethod> =
  | { kind: 'reply'; id: number; ok: true; result: PanelRequests[M]['result'] }
  | { kind: 'reply'; id: number; ok: false; error: string };

/**
 * Pushed by the host: the traffic changed (refetch), the exchange panel should show another exchange, or the
 * experiment results, properties or audit panel should show a run's result.
 */
export type EventMessage =
  | { kind: 'event'; name: 'changed' }
  | { kind: 'event'; name: 'show'; id: number }
  | { kind: 'event'; name: 'result'; result: ExperimentResult; file?: string }
  /** The load panel's whole state: on ready, and when a run starts (ticks empty, no result). */
  | { kind: 'event'; name: 'loadState'; run: LoadRunInfo; ticks: LoadTick[]; result?: LoadResult; source?: string }
  | { kind: 'event'; name: 'loadTick'; tick: LoadTick }
  | { kind: 'event'; name: 'loadResult'; result: LoadResult; source?: string }
  | { kind: 'event'; name: 'loadCompare'; a: LabeledLoadResult; b: LabeledLoadResult; comparison: LoadComparisonView }
  | { kind: 'event'; name: 'properties'; result: PropertiesResult }
  | { kind: 'event'; name: 'audit'; result: AuditResult };

export type ToHost = RequestMessage | { kind: 'ready' };
export type ToWebview = ReplyMessage | EventMessage;
