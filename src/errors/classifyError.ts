import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { AuthError } from './AuthError.js';
import { AzcoreError } from './AzcoreError.js';
import { CancelledError } from './CancelledError.js';
import { ConnectionError } from './ConnectionError.js';
import { InputError } from './InputError.js';
import { ProtocolError } from './ProtocolError.js';
import { ResourceError } from './ResourceError.js';
import { TimeoutError } from './TimeoutError.js';

/**
 * JSON-RPC error code the stdio transport answers with when a response exceeds `maxMessageBytes`
 * (in the implementation-defined server-error range). Classified as ResourceError `RESULT_TOO_LARGE`.
 */
export const RESULT_TOO_LARGE_CODE = -32099;

/** What the caller knows about where an error happened. */
export interface ClassifyContext {
  server?: string | undefined;
  /** The signal the failed operation ran under: an aborted signal explains an SDK -32001. */
  signal?: AbortSignal | undefined;
  /** Request timeout that was in force, for the message. */
  timeoutMs?: number | undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * Maps anything thrown by the MCP SDK, fetch/undici, child_process or an AbortSignal to one typed
 * {@link AzcoreError}. Errors that already are typed pass through unchanged.
 *
 * @example
 * try { await client.callTool(req) } catch (e) { throw classifyError(e, { server: 'files' }) }
 */
export function classifyError(e: unknown, ctx: ClassifyContext = {}): AzcoreError {
  if (e instanceof AzcoreError) return e;
  const server = ctx.server;
  if (ctx.signal?.aborted) return fromAbortReason(ctx.signal.reason, server, e);
  if (isAbortError(e)) return new CancelledError('The operation was cancelled.', { server, cause: e });

  const status = httpStatusOf(e);
  if (status !== undefined) return fromHttpStatus(status, server, e);
  if (e instanceof SseError) return fromSseStreamError(e, server);
  if (e instanceof StreamableHTTPError) {
    return new ProtocolError(
      `The server answered in a way the HTTP transport cannot use: ${firstLine(e.message)}.`,
      {
        server,
        cause: e,
        code: 'HTTP_TRANSPORT',
        hint: 'Check that the URL points at an MCP Streamable HTTP endpoint.',
      },
    );
  }
  if (e instanceof UnauthorizedError) {
    return new AuthError('The server requires authorization and the auth provider could not supply it.', {
      server,
      cause: e,
      code: 'UNAUTHORIZED',
      hint: 'Check the authProvider or the Authorization header.',
    });
  }
  if (e instanceof McpError) return fromMcpError(e, server, ctx.timeoutMs);

  const errno = errnoOf(e);
  if (errno !== undefined) return fromErrno(errno, server, e);
  if (!(e instanceof Error)) {
    return new ProtocolError(`Unexpected non-error value thrown: ${String(e)}.`, {
      server,
      code: 'UNEXPECTED',
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
  if (/protocol version is not supported/i.test(message)) {
    return new ProtocolError(`${message}.`, {
      server,
      cause: e,
      code: 'PROTOCOL_VERSION',
      hint: 'Upgrade the server or the client so both share an MCP protocol version.',
    });
  }
  if (e.name === 'ZodError' || e instanceof SyntaxError) {
    return new ProtocolError(`The server sent a malformed message: ${firstLine(message)}.`, {
      server,
      cause: e,
      code: 'MALFORMED',
    });
  }
  if (message === 'fetch failed') {
    return new ConnectionError('The HTTP request failed before a response arrived.', {
      server,
      cause: e,
      code: 'FETCH_FAILED',
    });
  }
  return new ProtocolError(`Unexpected error: ${firstLine(message)}.`, {
    server,
    cause: e,
    code: 'UNEXPECTED',
  });
}

function fromAbortReason(reason: unknown, server: string | undefined, cause: unknown): AzcoreError {
  if (reason instanceof AzcoreError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new TimeoutError('The operation ran out of time.', { server, cause });
  }
  return new CancelledError('The operation was cancelled by its caller.', { server, cause: reason ?? cause });
}

function fromMcpError(e: McpError, server: string | undefined, timeoutMs: number | undefined): AzcoreError {
  const code = `MCP_${e.code}`;
  switch (e.code) {
    case -32000:
      return new ConnectionError('The connection closed before the server replied.', {
        server,
        cause: e,
        code,
        hint: 'The server process may have exited; the runtime reconnects on its own.',
      });
    case -32001:
      if (!isSdkTimeout(e)) return fromSdkAbort(e, server);
      return new TimeoutError(
        `The server did not reply within ${timeoutMs ?? sdkTimeoutMs(e) ?? 'the request timeout'} ms.`,
        {
          server,
          cause: e,
          code,
          timeoutMs: timeoutMs ?? sdkTimeoutMs(e),
          hint: 'Raise the timeout for this tool or check the server load.',
        },
      );
    case RESULT_TOO_LARGE_CODE:
      return new ResourceError("The result is larger than this server's maxMessageBytes allows.", {
        server,
        cause: e,
        code: 'RESULT_TOO_LARGE',
        retryable: false,
        hint: 'Ask for less (a narrower query, a page) or raise maxMessageBytes in the server config.',
      });
    case -32602:
      return new InputError(`The server rejected the arguments: ${e.message}.`, { server, cause: e, code });
    case -32601:
      return new ProtocolError(`The server does not implement this method: ${e.message}.`, {
        server,
        cause: e,
        code,
      });
    case -32603:
      return new ProtocolError(`The server failed internally: ${e.message}.`, {
        server,
        cause: e,
        code,
        retryable: true,
      });
    default:
      return new ProtocolError(`The server returned an error: ${e.message}.`, { server, cause: e, code });
  }
}

/** The SDK's own timeouts carry `{ timeout }` or `{ maxTotalTimeout }` as data; an abort carries none. */
function isSdkTimeout(e: McpError): boolean {
  const data = e.data as { timeout?: unknown; maxTotalTimeout?: unknown } | undefined;
  return typeof data?.timeout === 'number' || typeof data?.maxTotalTimeout === 'number';
}

function sdkTimeoutMs(e: McpError): number | undefined {
  const data = e.data as { timeout?: unknown } | undefined;
  return typeof data?.timeout === 'number' ? data.timeout : undefined;
}

/** An aborted SDK request is McpError -32001 whose message is `String(signal.reason)`. */
function fromSdkAbort(e: McpError, server: string | undefined): AzcoreError {
  if (/\bTimeoutError\b/.test(e.message)) {
    return new TimeoutError('The operation ran out of time.', {
      server,
      cause: e,
      hint: 'Raise the deadline or the timeout for this call.',
    });
  }
  return new CancelledError('The request was cancelled by its caller.', {
    server,
    cause: e,
    hint: 'Nothing to fix unless the cancel was unexpected.',
  });
}

function fromHttpStatus(status: number, server: string | undefined, e: unknown): AzcoreError {
  const code = `HTTP_${status}`;
  if (status === 401 || status === 403) {
    return new AuthError(
      status === 401 ? 'The server rejected the credentials (401).' : 'Access is forbidden (403).',
      {
        server,
        cause: e,
        code,
        hint: 'Check the token in the headers or the authProvider; the call is not retried with the same credentials.',
      },
    );
  }
  // Spec servers answer 404 for an unknown session; servers built on the SDK examples
  // (server-everything among them) answer 400 "No valid session ID provided".
  if (status === 404 || (status === 400 && e instanceof Error && /session id/i.test(e.message))) {
    return new ConnectionError(`The server no longer knows this session (${status}).`, {
      server,
      cause: e,
      code: 'SESSION_EXPIRED',
      hint: 'The runtime re-initializes with a new session.',
    });
  }
  if (status === 408 || status === 504) {
    return new TimeoutError(`The server or a gateway timed out (${status}).`, { server, cause: e, code });
  }
  if (status === 429) {
    return new ResourceError('The server is rate limiting requests (429).', {
      server,
      cause: e,
      code,
      hint: 'Slow down or raise the server limit.',
    });
  }
  if (status >= 500) {
    return new ConnectionError(`The server failed with HTTP ${status}.`, { server, cause: e, code });
  }
  return new ProtocolError(`The server answered HTTP ${status}.`, { server, cause: e, code });
}

function fromErrno(errno: string, server: string | undefined, e: unknown): AzcoreError {
  const command = spawnedCommand(e);
  if (errno === 'ENOENT') {
    return new ConnectionError(
      `The server command ${command ? `${JSON.stringify(command)} ` : ''}was not found.`,
      {
        server,
        cause: e,
        code: errno,
        retryable: false,
        hint: 'Install it or fix `command` (an absolute path, or a name on PATH).',
      },
    );
  }
  if (errno === 'EACCES' || errno === 'EPERM') {
    return new ConnectionError(
      `The server command ${command ? `${JSON.stringify(command)} ` : ''}is not executable.`,
      {
        server,
        cause: e,
        code: errno,
        retryable: false,
        hint: 'Check its file permissions (chmod +x).',
      },
    );
  }
  if (errno === 'EMFILE' || errno === 'ENOMEM' || errno === 'EAGAIN') {
    return new ResourceError(`The system ran out of a resource (${errno}).`, {
      server,
      cause: e,
      code: errno,
    });
  }
  if (NETWORK_CODES.has(errno)) {
    return new ConnectionError(`The server could not be reached (${errno}).`, {
      server,
      cause: e,
      code: errno,
      hint: 'Check that it is running and the URL is right.',
    });
  }
  return new ConnectionError(`A system call failed (${errno}).`, { server, cause: e, code: errno });
}

/** child_process errors name the command in `path` and have a `spawn <command>` syscall. */
function spawnedCommand(e: unknown): string | undefined {
  const { syscall, path } = e as { syscall?: unknown; path?: unknown };
  return typeof syscall === 'string' && syscall.startsWith('spawn') && typeof path === 'string'
    ? path
    : undefined;
}

function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/** StreamableHTTPError and SseError carry the HTTP status in a numeric `code`. */
function httpStatusOf(e: unknown): number | undefined {
  if (!(e instanceof StreamableHTTPError || e instanceof SseError)) return undefined;
  const code = e.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/** An SSE stream that failed without an HTTP status: the network error is only in the message text. */
function fromSseStreamError(e: SseError, server: string | undefined): AzcoreError {
  const errno = /\b(E[A-Z]{3,}|UND_ERR_[A-Z_]+)\b/.exec(e.message)?.[1];
  if (errno !== undefined) return fromErrno(errno, server, e);
  return new ConnectionError(`The SSE stream failed: ${firstLine(e.message)}.`, {
    server,
    cause: e,
    code: 'SSE_STREAM',
    hint: 'Check that the server is running and the URL is right.',
  });
}

/** errno codes sit on the error (spawn) or on its cause chain (fetch -> undici). */
function errnoOf(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).slice(0, 200).replace(/\.$/, '');
}
