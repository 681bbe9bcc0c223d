import {
  type ProtocolError as McpProtocolError,
  ResourceNotFoundError,
  UnsupportedProtocolVersionError,
} from '@modelcontextprotocol/client';
import type { AzcoreError } from './AzcoreError.js';
import { clipText, firstLine } from './fromTransportFailure.js';
import { InputError } from './InputError.js';
import { ProtocolError } from './ProtocolError.js';
import { ResourceError } from './ResourceError.js';
import { ToolError } from './ToolError.js';

/**
 * JSON-RPC error code the stdio transport answers with when a response exceeds `maxMessageBytes`
 * (in the implementation-defined server-error range). Classified as ResourceError `RESULT_TOO_LARGE`.
 */
export const RESULT_TOO_LARGE_CODE = -32099;

const OUTPUT_SCHEMA_MESSAGE = /output ?schema|structured content/i;

export const CANCELLED_HINT = 'Nothing to fix unless the cancel was unexpected; it is not retried.';
export const DEADLINE_HINT = 'Raise the deadline or the timeout for this call.';

/**
 * Maps a JSON-RPC error the server sent, by its code. (SDK v2 raises its own local failures,
 * timeouts and closed connections as `SdkError`; see fromSdkError.)
 */
export function fromMcpError(e: McpProtocolError, server: string | undefined): AzcoreError {
  const code = `MCP_${e.code}`;
  // -32602 with `data.uri` from v2 servers, -32002 from servers on earlier SDKs.
  if (e instanceof ResourceNotFoundError) {
    return new InputError(`The server has no such resource: ${firstLine(e.message)}.`, {
      server,
      cause: e,
      code: 'RESOURCE_NOT_FOUND',
      hint: 'Check the URI against listResources and listResourceTemplates.',
    });
  }
  // SDK v2 checks structuredContent against the tool's outputSchema itself and reports a mismatch
  // as an InvalidParams/InvalidRequest ProtocolError: it is the tool's result that is wrong.
  if ((e.code === -32602 || e.code === -32600) && OUTPUT_SCHEMA_MESSAGE.test(e.message)) {
    return new ToolError(`The tool's result does not match its output schema: ${firstLine(e.message)}.`, {
      server,
      cause: e,
      code: 'OUTPUT_SCHEMA_MISMATCH',
      toolMessage: clipText(e.message),
      hint: 'The server broke its own outputSchema; report it to the server author.',
    });
  }
  switch (e.code) {
    case -32000:
      // The first code of the implementation-defined range: servers use it for application errors.
      return new ToolError(`The server reported an application error: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        toolMessage: clipText(e.message),
        hint: 'The server answered; the model can read the message and try another way.',
      });
    case -32022:
      return fromUnsupportedVersion(e, server, e.message, versionsOf(e));
    case RESULT_TOO_LARGE_CODE:
      return new ResourceError("The result is larger than this server's maxMessageBytes allows.", {
        server,
        cause: e,
        code: 'RESULT_TOO_LARGE',
        retryable: false,
        hint: 'Ask for less (a narrower query, a page) or raise maxMessageBytes in the server config.',
      });
    case -32602:
      return fromInvalidParams(e, server, code);
    case -32601:
      return new ProtocolError(`The server does not implement this method: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        hint: 'Check the tool or method name against listTools and the server capabilities.',
      });
    case -32603:
      return new ProtocolError(`The server failed internally: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        retryable: true,
        hint: 'Retried; if it persists, check the server log.',
      });
    default:
      return new ProtocolError(`The server returned an error: ${firstLine(e.message)}.`, {
        server,
        cause: e,
        code,
        hint: "See the server's documentation for this error code.",
      });
  }
}

/** v2 servers (both eras) answer an unknown tool with -32602; v1 servers returned an `isError` result. */
function fromInvalidParams(e: McpProtocolError, server: string | undefined, code: string): AzcoreError {
  if (/^Tool .* not found$/i.test(e.message)) {
    return new InputError(`The server has no such tool: ${firstLine(e.message)}.`, {
      server,
      cause: e,
      code: 'UNKNOWN_TOOL',
      hint: "Check the tool name against listTools; the server's tool list may have changed.",
    });
  }
  return new InputError(`The server rejected the arguments: ${firstLine(e.message)}.`, {
    server,
    cause: e,
    code,
    hint: "Fix the arguments to match the tool's input schema.",
  });
}

/** The versions a -32022 error carries in `data` (UnsupportedProtocolVersionError), when it does. */
function versionsOf(e: McpProtocolError): { requested?: string; supported?: string[] } {
  if (e instanceof UnsupportedProtocolVersionError) return { requested: e.requested, supported: e.supported };
  return {};
}

/**
 * The other side refused the protocol version (-32022): an era mismatch, never fixed by retrying.
 * Also used for a 2025-era request that a 2026-only server refuses with HTTP 400.
 */
export function fromUnsupportedVersion(
  cause: unknown,
  server: string | undefined,
  detail: string,
  versions: { requested?: string | undefined; supported?: string[] | undefined },
): AzcoreError {
  const supported = versions.supported?.length ? ` It supports ${versions.supported.join(', ')}.` : '';
  return new ProtocolError(
    `The server does not support the requested protocol version: ${detail}.${supported}`,
    {
      server,
      cause,
      code: 'PROTOCOL_VERSION',
      retryable: false,
      hint: "Set `protocolVersion` in the server config to 'auto' or a version the server supports, or upgrade the side that is behind.",
    },
  );
}
