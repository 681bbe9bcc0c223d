import {
  ProtocolError as McpProtocolError,
  SdkError,
  SseError,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { AuthError } from './AuthError.js';
import { AzcoreError } from './AzcoreError.js';
import { CancelledError } from './CancelledError.js';
import { ConnectionError } from './ConnectionError.js';
import { CANCELLED_HINT, DEADLINE_HINT, fromMcpError } from './fromMcpError.js';
import { fromModelFailure, type ModelFailureContext } from './fromModelFailure.js';
import { fromOAuthError } from './fromOAuthError.js';
import { fromSdkError } from './fromSdkError.js';
import {
  errnoOf,
  firstLine,
  fromErrno,
  fromHttpStatus,
  fromSseStreamError,
  httpStatusOf,
} from './fromTransportFailure.js';
import { ProtocolError } from './ProtocolError.js';
import { TimeoutError } from './TimeoutError.js';

export { RESULT_TOO_LARGE_CODE } from './fromMcpError.js';

/** What the caller knows about where an error happened. */
export interface ClassifyContext {
  server?: string | undefined;
  /** The signal the failed operation ran under: an aborted signal explains an SDK -32001. */
  signal?: AbortSignal | undefined;
  /** Request timeout that was in force, for the message. */
  timeoutMs?: number | undefined;
  /** Set when a chat model's call failed: the error becomes a `ModelError` naming the provider. */
  model?: Omit<ModelFailureContext, 'signal'> | undefined;
}

/**
 * Maps anything thrown by the MCP SDK, fetch/undici, child_process or an AbortSignal to one typed
 * {@link AzcoreError}. Errors that already are typed pass through unchanged.
 *
 * @example
 * try { await client.callTool(req) } catch (e) { throw classifyError(e, { server: 'files' }) }
 */
export function classifyError(e: unknown, ctx: ClassifyContext = {}): AzcoreError {
  if (e instanceof AzcoreError) return e;
  if (ctx.model) return fromModelFailure(e, { ...ctx.model, signal: ctx.signal });
  const server = ctx.server;
  if (ctx.signal?.aborted) return fromAbortReason(ctx.signal.reason, server, e);
  if (isAbortError(e)) {
    return new CancelledError('The operation was cancelled.', { server, cause: e, hint: CANCELLED_HINT });
  }

  const status = httpStatusOf(e);
  if (status !== undefined) return fromHttpStatus(status, server, e);
  if (e instanceof SseError) return fromSseStreamError(e, server);
  if (e instanceof SdkError) return fromSdkError(e, server, ctx.timeoutMs);
  const oauth = fromOAuthError(e, server);
  if (oauth) return oauth;
  if (e instanceof UnauthorizedError) {
    return new AuthError('The server requires authorization and the auth provider could not supply it.', {
      server,
      cause: e,
      code: 'UNAUTHORIZED',
      hint: 'Check the authProvider or the Authorization header.',
    });
  }
  if (e instanceof McpProtocolError) return fromMcpError(e, server);

  const errno = errnoOf(e);
  if (errno !== undefined) return fromErrno(errno, server, e);
  if (!(e instanceof Error)) {
    return new ProtocolError(`Unexpected non-error value thrown: ${String(e)}.`, {
      server,
      code: 'UNEXPECTED',
      hint: 'Something threw a value that is not an Error; report it with the log.',
    });
  }
  const message = e.message;
  if (message === 'Not connected' || /connection closed/i.test(message)) {
    return new ConnectionError('The connection to the server is closed.', {
      server,
      cause: e,
      code: 'NOT_CONNECTED',
      hint: 'The runtime reconnects on its own; retry after it is ready.',
    });
  }
  // Streamable HTTP reports its standalone event stream through onerror as plain Errors.
  if (
    /^(SSE stream disconnected|Failed to reconnect SSE stream|Maximum reconnection attempts)/.test(message)
  ) {
    return new ConnectionError(`The server's event stream dropped: ${firstLine(message)}.`, {
      server,
      cause: e,
      code: 'SSE_STREAM',
      hint: 'Server notifications pause meanwhile; the transport retries the stream and the runtime reconnects if the server stays down.',
    });
  }
  if (/protocol version is not supported/i.test(message)) {
    // The SDK quotes the server's version: bounded, a hostile server can send a megabyte of it.
    return new ProtocolError(`${firstLine(message)}.`, {
      server,
      cause: e,
      code: 'PROTOCOL_VERSION',
      hint: 'Upgrade the server or the client so both share an MCP protocol version.',
    });
  }
  // The SDK validates with zod core, whose errors are named `$ZodError`.
  if (/^\$?ZodError$/.test(e.name) || e instanceof SyntaxError) {
    return new ProtocolError(`The server sent a malformed message: ${firstLine(message)}.`, {
      server,
      cause: e,
      code: 'MALFORMED',
      hint: 'The server broke the MCP message format; update or report the server.',
    });
  }
  if (message === 'fetch failed') {
    return new ConnectionError('The HTTP request failed before a response arrived.', {
      server,
      cause: e,
      code: 'FETCH_FAILED',
      hint: 'Check the URL, the network and any proxy.',
    });
  }
  return new ProtocolError(`Unexpected error: ${firstLine(message)}.`, {
    server,
    cause: e,
    code: 'UNEXPECTED',
    hint: 'Not a known MCP failure; check the server log and report it if it repeats.',
  });
}
function fromAbortReason(reason: unknown, server: string | undefined, cause: unknown): AzcoreError {
  if (reason instanceof AzcoreError) return withServer(reason, server);
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError('The operation ran out of time.', { server, cause, hint: DEADLINE_HINT });
  }
  return new CancelledError('The operation was cancelled by its caller.', {
    server,
    cause: reason ?? cause,
    hint: CANCELLED_HINT,
  });
}

/**
 * A Deadline or a caller aborts with a typed reason that does not know the server; the copy
 * names it, so events and logs can tell which server the budget ran out on.
 */
function withServer(e: AzcoreError, server: string | undefined): AzcoreError {
  if (server === undefined || e.server !== undefined) return e;
  const copy = Object.create(Object.getPrototypeOf(e)) as AzcoreError;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(e));
  Object.defineProperty(copy, 'server', { value: server, enumerable: true });
  Object.defineProperty(copy, 'message', {
    value: `[${server}] ${e.message}`,
    writable: true,
    configurable: true,
  });
  return copy;
}
function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}
