import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { CancelledError } from '../errors/CancelledError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import type { Deadline } from '../resilience/Deadline.js';

// How the outcome of one tool call is judged. Kept apart from ServerConnection so the rules read
// in one place; what counts against the breaker is decided in breakerVerdict.ts, not here.

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

/**
 * A call that failed on the connection after its request was sent may or may not have run: say so
 * in words the model can act on, instead of a transport code, unless the request provably never left.
 */
export function outcomeUnknownIfSent(
  error: AzcoreError,
  unsent: (error: AzcoreError) => boolean,
  tool: string,
): AzcoreError {
  if (error.kind !== 'connection' || error.code.startsWith('HTTP_') || unsent(error)) return error;
  return new ConnectionError(
    `The connection broke after "${tool}" was sent: it may or may not have run. It was not repeated because it is not marked idempotent.`,
    {
      server: error.server,
      cause: error,
      code: 'OUTCOME_UNKNOWN',
      retryable: false,
      hint: 'Check its effect before calling it again; mark the tool idempotent (readOnlyHint/idempotentHint, retry.idempotent or the idempotent call option) to let the runtime repeat it.',
    },
  );
}
