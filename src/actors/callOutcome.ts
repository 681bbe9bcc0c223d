import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';

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

/** True when the failure says the server is unwell (it counts against the breaker). */
export function countsAgainstBreaker(error: AzcoreError): boolean {
  return BREAKER_KINDS.has(error.kind);
}

/** True when the failure code proves the request was never processed by the server. */
export function provenNotSent(error: AzcoreError): boolean {
  return NOT_SENT_CODES.has(error.code);
}
