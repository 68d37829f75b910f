/** What every long call of the library takes: a signal that cancels it and a callback for progress. */
export interface CallOptions<P> {
  /** Cancels the call: its faults are rolled back, its sockets closed, and it rejects with CancelledError. */
  signal?: AbortSignal;
  /** Progress as the engine reports it (timeline events, load ticks, property-run counts). */
  onProgress?: (progress: P) => void;
}

/** Milliseconds, or a string with a unit: '500ms', '2s', '1m', '1h'. */
export type Duration = number | string;
