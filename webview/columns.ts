/** The columns of the traffic table: the sort key each one stands for, its label, and how a row shows in it. */
import { formatBytes, formatClock, formatMs, statusText } from './format';
import type { ExchangeRow, SortColumn } from './protocol';

export interface Column {
  key: SortColumn;
  label: string;
  cell(row: ExchangeRow): string;
  title?(row: ExchangeRow): string;
}

export const COLUMNS: Column[] = [
  { key: 'id', label: '#', cell: (r) => String(r.id) },
  { key: 'startedAt', label: 'Time', cell: (r) => formatClock(r.startedAt), title: (r) => new Date(r.startedAt).toISOString() },
  { key: 'method', label: 'Method', cell: (r) => r.method },
  { key: 'url', label: 'URL', cell: (r) => r.url, title: (r) => r.url },
  { key: 'status', label: 'Status', cell: (r) => statusText(r.status, r.error), title: (r) => r.error ?? '' },
  { key: 'durationMs', label: 'Duration', cell: (r) => formatMs(r.durationMs) },
  { key: 'responseBodySize', label: 'Size', cell: (r) => formatBytes(r.responseBodySize) },
];
