import type { ExchangeView, PageQuery, PageResult } from '../../core/store/queries';

/** What the panels need from the rest of the extension. The extension implements it over the engine child. */
export interface TrafficBackend {
  page(query: PageQuery): Promise<PageResult>;
  exchange(id: number): Promise<ExchangeView | null>;
  copyCurl(id: number): Promise<void>;
  resend(id: number): Promise<void>;
  /** Fires (throttled by the caller) when the traffic changed; returns a function that unsubscribes. */
  onDidChange(listener: () => void): () => void;
}
