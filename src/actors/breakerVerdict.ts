import { type ErrorKind, isAzcoreError } from '../errors/AzcoreError.js';

// What a breaker learns from a failed call: the only place that decides which failures count
// against a server. CircuitBreaker.execute, the permit's failure(error), BreakerRegistry.call and
// the connection's tool calls (through callOutcome.ts) all ask here.

/** What the breaker learns from a failed call: count it as a failure, as a success, or not at all. */
export type BreakerVerdict = 'failure' | 'success' | 'none';

/** Kinds that say the server is unwell: they count against its breaker. */
const FAILURE_KINDS = new Set<ErrorKind>(['connection', 'timeout', 'protocol', 'resource']);

/**
 * Failures that are part of the protocol's routine, not a sign of an unwell server: an expired
 * session (HTTP 404) is answered by re-initializing, so it must never open the breaker (which
 * would then refuse the very retries that follow the re-initialization).
 */
const ROUTINE_CODES = new Set(['SESSION_EXPIRED']);

/** Options of {@link breakerVerdict}. */
export interface VerdictOptions {
  /**
   * The call was ended by this side (a `close()`, or the connection replaced on purpose, e.g. to
   * re-initialize an expired session): that says nothing about the server, so no verdict.
   */
  local?: boolean | undefined;
  /** Replaces the failure-or-success judgment; cancellations and routine codes still get no verdict. */
  isFailure?: ((error: unknown) => boolean) | undefined;
}

/**
 * Judges a failed call by what happened. No verdict: a cancellation (`cancelled`, an `AbortError`),
 * a nested breaker's rejection (`circuitOpen`), a routine code (an expired session), or a call this
 * side ended (`local`). A failure: a raw error (not typed by azcore) or an azcore error of kind
 * connection, timeout, protocol or resource. A success: any other typed error (tool, input, auth:
 * the server answered).
 *
 * @example
 * breakerVerdict(sessionExpired) // 'none': a re-initialization, not a failure
 * breakerVerdict(new ToolError('no such issue', {})) // 'success': the server answered
 */
export function breakerVerdict(error: unknown, options?: VerdictOptions): BreakerVerdict {
  if (options?.local || isNoVerdict(error)) return 'none';
  if (options?.isFailure) return options.isFailure(error) ? 'failure' : 'success';
  return !isAzcoreError(error) || FAILURE_KINDS.has(error.kind) ? 'failure' : 'success';
}

/** True when `error` counts against the breaker ({@link breakerVerdict} says `'failure'`). */
export function isBreakerFailure(error: unknown): boolean {
  return breakerVerdict(error) === 'failure';
}

function isNoVerdict(error: unknown): boolean {
  if (isAzcoreError(error)) {
    return error.kind === 'cancelled' || error.kind === 'circuitOpen' || ROUTINE_CODES.has(error.code);
  }
  return error instanceof Error && error.name === 'AbortError';
}
