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
      if (e.cause instanceof Error && e.cause.message === 'fetch failed') {
        return new ConnectionError(
          'The HTTP request of the protocol era probe failed before a response arrived.',
          {
            server,
            cause: e,
            code: 'FETCH_FAILED',
            hint: 'Check the URL, the network and any proxy.',
          },
        );
      }
      if (/connection closed/i.test(e.message)) {
        return new ConnectionError('The connection closed during the protocol era probe.', {
          server,
          cause: e,
          code: SdkErrorCode.ConnectionClosed,
          hint: 'The server ended before answering; check its stderr. The runtime reconnects on its own.',
        });
      }
      return new ProtocolError(`No MCP protocol era both sides speak: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        retryable: false,
        hint: "Set `protocolVersion` to 'auto' (or remove it) in the server config so an older server is spoken to in its era, or upgrade the server.",
      });
    }
    case SdkErrorCode.MethodNotSupportedByProtocolVersion:
      // Refused locally, before anything is sent: e.g. ping() on a 2026-07-28 connection.
      return new ProtocolError(`The negotiated protocol era has no such method: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        retryable: false,
        hint: "Call a method of that era (2026-07-28 has no ping: client.discover() checks liveness), or set `protocolVersion: 'legacy'` in the server config.",
      });
    case SdkErrorCode.CapabilityNotSupported:
      return new ProtocolError(`The server does not offer this capability: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        retryable: false,
        hint: "Check the server's capabilities before calling, or use a server that offers it.",
      });
    case SdkErrorCode.ListPaginationExceeded:
      return new ResourceError(`The server's list never ended: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        retryable: false,
        hint: 'The server keeps returning a next cursor; report it to the server author.',
      });
    case SdkErrorCode.InvalidResult:
      return new ProtocolError(`The server sent a malformed result: ${describeInvalidResult(e.message)}.`, {
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

/** `Invalid result for M: [zod issues as JSON]` -> `Invalid result for M: path: message; ...` on one line. */
function describeInvalidResult(message: string): string {
  const at = message.indexOf(': [');
  if (at === -1) return firstLine(message);
  try {
    const issues = JSON.parse(message.slice(at + 2)) as { path?: unknown; message?: unknown }[];
    const shown = issues.slice(0, 3).map((issue) => {
      const path = Array.isArray(issue.path) && issue.path.length > 0 ? issue.path.join('.') : '(result)';
      return `${path}: ${String(issue.message)}`;
    });
    const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
    return `${message.slice(0, at)}: ${shown.join('; ')}${more}`.replace(/\.$/, '');
  } catch {
    return firstLine(message);
  }
}
