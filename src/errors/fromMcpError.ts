import type { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { AzcoreError } from './AzcoreError.js';
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

export const CANCELLED_HINT = 'Nothing to fix unless the cancel was unexpected; it is not retried.';
export const DEADLINE_HINT = 'Raise the deadline or the timeout for this call.';

/** Maps a JSON-RPC error (from the server or made by the SDK) by its code. */
export function fromMcpError(
  e: McpError,
  server: string | undefined,
  timeoutMs: number | undefined,
): AzcoreError {
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
      return new InputError(`The server rejected the arguments: ${e.message}.`, {
        server,
        cause: e,
        code,
        hint: "Fix the arguments to match the tool's input schema.",
      });
    case -32601:
      return new ProtocolError(`The server does not implement this method: ${e.message}.`, {
        server,
        cause: e,
        code,
        hint: 'Check the tool or method name against listTools and the server capabilities.',
      });
    case -32603:
      return new ProtocolError(`The server failed internally: ${e.message}.`, {
        server,
        cause: e,
        code,
        retryable: true,
        hint: 'Retried; if it persists, check the server log.',
      });
    default:
      return new ProtocolError(`The server returned an error: ${e.message}.`, {
        server,
        cause: e,
        code,
        hint: "See the server's documentation for this error code.",
      });
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
    return new TimeoutError('The operation ran out of time.', { server, cause: e, hint: DEADLINE_HINT });
  }
  return new CancelledError('The request was cancelled by its caller.', {
    server,
    cause: e,
    hint: CANCELLED_HINT,
  });
}
