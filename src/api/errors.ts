/**
 * The library's typed errors. Every error the API throws on purpose is a {@link ChaosError} with a stable `code`
 * (match on `code`, not on the message); anything else is a bug.
 *
 * | class | code | when |
 * | --- | --- | --- |
 * | UsageError | CT_USAGE | a bad argument to a builder or call |
 * | InputError | CT_INPUT | a file given to the API cannot be read or parsed |
 * | StoreError | CT_STORE | a traffic database that is missing, foreign or corrupt |
 * | ListenError | CT_LISTEN | the capture proxy could not listen |
 * | ExperimentInvalidError | CT_EXPERIMENT_INVALID | a built or loaded experiment fails validation |
 * | CancelledError | CT_CANCELLED | the call's AbortSignal fired |
 */
import { ChaosError, InputError, ListenError, StoreError, UsageError, isChaosError } from '../core/errors';
import type { ExperimentProblem } from '../core/chaos/types';

export { ChaosError, InputError, ListenError, StoreError, UsageError, isChaosError };

/** An experiment (built in code or read from a file) that the schema or the semantic checks refuse. */
export class ExperimentInvalidError extends ChaosError {
  /** Every problem, each with the path in the experiment's file shape (and the line when it came from a file). */
  readonly problems: ExperimentProblem[];
  constructor(where: string, problems: ExperimentProblem[]) {
    super('CT_EXPERIMENT_INVALID', `${where} is not a valid experiment: ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'ExperimentInvalidError';
    this.problems = problems;
  }
}

/** The call's AbortSignal fired. `partial` holds what the run had measured (its rollbacks have run). */
export class CancelledError extends ChaosError {
  /** The call's outcome so far (a ChaosOutcome, LoadOutcome or InvariantVerdict), when it had one. */
  readonly partial: unknown;
  constructor(what: string, partial?: unknown) {
    super('CT_CANCELLED', `${what} was cancelled`);
    this.name = 'CancelledError';
    this.partial = partial;
  }
}

/** Every stable error code the API throws. */
export const ERROR_CODES = ['CT_USAGE', 'CT_INPUT', 'CT_STORE', 'CT_LISTEN', 'CT_EXPERIMENT_INVALID', 'CT_CANCELLED'] as const;
/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Throws CancelledError when `signal` has already fired. */
export function throwIfCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}

/**
 * The call's outcome, or, when its signal fired, the partial outcome it had (what the CLI and the readiness suite
 * still print and keep after Ctrl-C). Any other error, or a cancel before anything ran, is thrown.
 */
export async function outcomeEvenIfCancelled<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof CancelledError && e.partial !== undefined) return e.partial as T;
    throw e;
  }
}
