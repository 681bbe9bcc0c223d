import { type SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import type { AzcoreError } from './AzcoreError.js';
import { CancelledError } from './CancelledError.js';
import { ConnectionError } from './ConnectionError.js';
import { CANCELLED_HINT, DEADLINE_HINT } from './fromMcpError.js';
import { errnoOf, firstLine, fromErrno } from './fromTransportFailure.js';
import { ProtocolError } from './ProtocolError.js';
import { ResourceError } from './ResourceError.js';
import { TimeoutError } from './TimeoutError.js';

// SDK v2 raises local failures (never on the wire) as SdkError with a string code. They map to
// the same kinds and retryability as their v1 equivalents (McpError -32000/-32001, 'Not connected').

/** Maps an SDK v2 local error by its string code; HTTP statuses are handled before this. */
export function fromSdkError(
  e: SdkError,
  server: string | undefined,
  timeoutMs: number | undefined,
): AzcoreError {
  const code = e.code;
  switch (code) {
    case SdkErrorCode.RequestTimeout:
      return fromRequestTimeout(e, server, timeoutMs);
    case SdkErrorCode.ConnectionClosed:
      return new ConnectionError('The connection closed before the server replied.', {
        server,
        cause: e,
        code,
        hint: 'The server process or stream ended; the runtime reconnects on its own.',
      });
    case SdkErrorCode.NotConnected:
    case SdkErrorCode.NotInitialized:
      return new ConnectionError('The connection to the server is closed.', {
        server,
        cause: e,
        code: 'NOT_CONNECTED',
        hint: 'The runtime reconnects on its own; retry after it is ready.',
      });
    case SdkErrorCode.SendFailed: {
      const errno = errnoOf(e.cause);
      if (errno !== undefined) return fromErrno(errno, server, e);
      return new ConnectionError(`The request could not be sent: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        hint: 'The runtime reconnects on its own; the request was not delivered.',
      });
    }
    case SdkErrorCode.EraNegotiationFailed: {
      // A network failure during the probe is an outage, not an era verdict.
      const errno = errnoOf(e.cause);
      if (errno !== undefined) return fromErrno(errno, server, e);
      return new ProtocolError(`No MCP protocol era both sides speak: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        retryable: false,
        hint: 'Upgrade the server or the client, or unpin `protocolVersion` in the server config.',
      });
    }
    case SdkErrorCode.MethodNotSupportedByProtocolVersion:
    case SdkErrorCode.CapabilityNotSupported:
      return new ProtocolError(`The server's protocol era does not offer this: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        retryable: false,
        hint: 'Check the server capabilities and protocol version (server.protocol) before calling.',
      });
    case SdkErrorCode.ListPaginationExceeded:
      return new ResourceError(`The server's list never ended: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        retryable: false,
        hint: 'The server pages without end; report it to the server author.',
      });
    case SdkErrorCode.InvalidResult:
      return new ProtocolError(`The server sent a malformed result: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code: 'MALFORMED',
        hint: 'The server broke the MCP message format; update or report the server.',
      });
    case SdkErrorCode.ClientHttpUnexpectedContent:
      return new ProtocolError(
        `The server answered in a way the HTTP transport cannot use: ${firstLine(e.message)}.`,
        {
          server,
          cause: e,
          code: 'HTTP_TRANSPORT',
          hint: 'Check that the URL points at an MCP Streamable HTTP endpoint.',
        },
      );
    default:
      return new ProtocolError(`The MCP client failed: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        hint: 'Not a known MCP failure; check the server log and report it if it repeats.',
      });
  }
}

/** A timeout carries `{ timeout }` or `{ maxTotalTimeout }`; an aborted request carries none. */
function fromRequestTimeout(
  e: SdkError,
  server: string | undefined,
  timeoutMs: number | undefined,
): AzcoreError {
  const data = e.data as { timeout?: unknown; maxTotalTimeout?: unknown } | undefined;
  const sdkMs =
    typeof data?.timeout === 'number'
      ? data.timeout
      : typeof data?.maxTotalTimeout === 'number'
        ? data.maxTotalTimeout
        : undefined;
  if (sdkMs === undefined) {
    if (/\bTimeoutError\b/.test(e.message)) {
      return new TimeoutError('The operation ran out of time.', { server, cause: e, hint: DEADLINE_HINT });
    }
    return new CancelledError('The request was cancelled by its caller.', {
      server,
      cause: e,
      hint: CANCELLED_HINT,
    });
  }
  const ms = timeoutMs ?? sdkMs;
  return new TimeoutError(`The server did not reply within ${ms} ms.`, {
    server,
    cause: e,
    code: SdkErrorCode.RequestTimeout,
    timeoutMs: ms,
    hint: 'Raise the timeout for this tool or check the server load.',
  });
}
