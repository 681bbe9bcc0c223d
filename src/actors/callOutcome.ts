import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import { CancelledError } from '../errors/CancelledError.js';
import type { Deadline } from '../resilience/Deadline.js';

// How the outcome of one tool call is judged. Kept apart from ServerConnection so the rules read
// in one place.

/** Kinds that say the server is unwell: they count against its breaker. */
const BREAKER_KINDS = new Set<ErrorKind>(['connection', 'timeout', 'protocol', 'resource']);

/** The call's Deadline (on the injected clock) aborts first and names the step; the SDK's own timeout is a backstop. */
export const SDK_TIMEOUT_SLACK_MS = 50;

/** Failure codes that prove the request was not processed: retrying cannot run a tool twice. */
const NOT_SENT_CODES = new Set([
  'NOT_CONNECTED',
  'TRANSPORT_CLOSED',
  'SESSION_EXPIRED',
  'ECONNREFUSED',
  // The write to a dead stdio server's stdin failed: the request never left this process.
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Failures that are part of the protocol's routine, not a sign of an unwell server: an expired
 * session (HTTP 404) is answered by re-initializing, so it must never open the breaker (which
 * would then refuse the very retries that follow the re-initialization).
 */
const ROUTINE_CODES = new Set(['SESSION_EXPIRED']);

/** True when the failure says the server is unwell (it counts against the breaker). */
export function countsAgainstBreaker(error: AzcoreError): boolean {
  return BREAKER_KINDS.has(error.kind) && !ROUTINE_CODES.has(error.code);
}

/** What the breaker learns from a failed call. */
export type BreakerVerdict = 'failure' | 'success' | 'none';

/**
 * Judges a failed call by what happened, not by its code alone. `local` says the call was ended
 * by this side (a `close()`, or the connection replaced on purpose, e.g. to re-initialize an
 * expired session): that says nothing about the server, so the breaker gets no verdict.
 *
 * @example
 * breakerVerdict(sessionExpired, { local: false }) // 'none': a re-initialization, not a failure
 */
export function breakerVerdict(error: AzcoreError, { local }: { local: boolean }): BreakerVerdict {
  if (local || error.kind === 'cancelled' || ROUTINE_CODES.has(error.code)) return 'none';
  // The server answered (input, tool, auth errors): a success for the breaker.
  return countsAgainstBreaker(error) ? 'failure' : 'success';
}

/** True when the failure code proves the request was never processed by the server. */
export function provenNotSent(error: AzcoreError): boolean {
  return NOT_SENT_CODES.has(error.code);
}

/**
 * The failure of a call that a local `close()` interrupted: a cancellation (the caller's side
 * ended it), whatever the transport said while going down.
 */
export function closedWhileRunning(error: AzcoreError, tool: string): AzcoreError {
  if (error.kind === 'cancelled') return error;
  return new CancelledError(`The connection was closed while "${tool}" was running.`, {
    server: error.server,
    cause: error,
    hint: 'close() cancels the calls in flight; whether the tool ran is unknown.',
  });
}

/**
 * The SDK's own request timer ran out (not an abort: that carries no `timeout`), on a call whose
 * finite Deadline set that timer: the call's budget is spent, whatever the clock reads this instant.
 */
export function isOwnRequestTimeout(e: unknown, deadline: Deadline): boolean {
  return (
    e instanceof SdkError &&
    e.code === SdkErrorCode.RequestTimeout &&
    typeof (e.data as { timeout?: unknown } | undefined)?.timeout === 'number' &&
    Number.isFinite(deadline.expiresAt)
  );
}
