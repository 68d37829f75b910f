import type { Experiment } from '../../../core/chaos/types';
import type { CheckOutcome, CheckSpec, Suite } from '../../../core/readiness/types';

/** What every check runner gets. */
export interface CheckContext {
  suite: Suite;
  /** Where engine results and the journal go (default .chaos). */
  dir: string;
  signal: AbortSignal;
  /** A progress line for the person watching. */
  log(line: string): void;
  experiment?: Experiment;
}

export type CheckBody = Pick<CheckOutcome, 'status' | 'figure' | 'failures' | 'run' | 'charts'>;

/** At most `limit` messages, then "… and N more". */
export function capped(messages: string[], limit = 20): string[] {
  return messages.length <= limit ? messages : [...messages.slice(0, limit), `… and ${messages.length - limit} more`];
}

export function base(check: CheckSpec): Pick<CheckOutcome, 'kind' | 'name' | 'place'> {
  return { kind: check.kind, name: check.name, place: check.place };
}
