import { SdkHttpError, SseError } from '@modelcontextprotocol/client';
import { AuthError } from './AuthError.js';
import type { AzcoreError } from './AzcoreError.js';
import { ConnectionError } from './ConnectionError.js';
import { fromUnsupportedVersion } from './fromMcpError.js';
import { ProtocolError } from './ProtocolError.js';
import { ResourceError } from './ResourceError.js';
import { TimeoutError } from './TimeoutError.js';

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
/** Maps an HTTP status from the Streamable HTTP or SSE transport. */
export function fromHttpStatus(status: number, server: string | undefined, e: unknown): AzcoreError {
  const code = `HTTP_${status}`;
  // A 2026-only server (`legacy: 'reject'`) refuses a 2025-era request with 400 and -32022 in the body.
  const rpc = rpcErrorInBody(e);
  if (status === 400 && rpc?.code === -32022) {
    const data = rpc.data as { requested?: unknown; supported?: unknown } | undefined;
    return fromUnsupportedVersion(e, server, `${rpc.message} (HTTP 400)`, {
      requested: typeof data?.requested === 'string' ? data.requested : undefined,
      supported: Array.isArray(data?.supported) ? data.supported.map(String) : undefined,
    });
  }
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
    return new TimeoutError(`The server or a gateway timed out (${status}).`, {
      server,
      cause: e,
      code,
      hint: 'Retried; raise the server or gateway timeout if it persists.',
    });
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
    return new ConnectionError(`The server failed with HTTP ${status}.`, {
      server,
      cause: e,
      code,
      hint: 'Retried with backoff; check the server log if it persists.',
    });
  }
  return new ProtocolError(`The server answered HTTP ${status}.`, {
    server,
    cause: e,
    code,
    hint: 'Check that the URL points at an MCP endpoint.',
  });
}
/** Maps an errno (spawn, socket, undici) to a kind. */
export function fromErrno(errno: string, server: string | undefined, e: unknown): AzcoreError {
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
      hint: 'Close unused servers or connections, or raise the limit (ulimit -n).',
    });
  }
  if (errno.startsWith('HPE_')) {
    return new ProtocolError(`The server's HTTP response could not be parsed (${errno}).`, {
      server,
      cause: e,
      code: errno,
      hint: 'Check that the URL points at an HTTP MCP endpoint, not another kind of service.',
    });
  }
  if (errno === 'UND_ERR_HEADERS_TIMEOUT' || errno === 'UND_ERR_BODY_TIMEOUT') {
    return new TimeoutError(`The server stopped answering mid-response (${errno}).`, {
      server,
      cause: e,
      code: errno,
      hint: 'Retried; check the server load if it persists.',
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
  return new ConnectionError(`A system call failed (${errno}).`, {
    server,
    cause: e,
    code: errno,
    hint: 'Check the server config and the system log.',
  });
}
/** child_process errors name the command in `path` and have a `spawn <command>` syscall. */
function spawnedCommand(e: unknown): string | undefined {
  const { syscall, path } = e as { syscall?: unknown; path?: unknown };
  return typeof syscall === 'string' && syscall.startsWith('spawn') && typeof path === 'string'
    ? path
    : undefined;
}
/** The JSON-RPC error in the body an SdkHttpError carries (`data.text`), if the body is one. */
function rpcErrorInBody(e: unknown): { code: number; message: string; data?: unknown } | undefined {
  if (!(e instanceof SdkHttpError)) return undefined;
  const text = (e.data as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string' || !text.trimStart().startsWith('{')) return undefined;
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; data?: unknown } })
      .error;
    if (typeof error?.code !== 'number') return undefined;
    return { code: error.code, message: String(error.message ?? ''), data: error.data };
  } catch {
    return undefined;
  }
}
/** SdkHttpError carries the HTTP status in `status`, SseError in a numeric `code`. */
export function httpStatusOf(e: unknown): number | undefined {
  const code = e instanceof SdkHttpError ? e.status : e instanceof SseError ? e.code : undefined;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}
/** An SSE stream that failed without an HTTP status: the network error is only in the message text. */
export function fromSseStreamError(e: SseError, server: string | undefined): AzcoreError {
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
export function errnoOf(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    const parser = httpParserCode(cur);
    if (parser) return parser;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
/**
 * undici's HTTPParserError carries no `code` on Node 24 (undici 7) when the reply does not even start like
 * HTTP ("Response does not match the HTTP/1.1 protocol"): Node 20 calls that HPE_INVALID_CONSTANT,
 * and so do we, on every Node.
 */
function httpParserCode(e: unknown): string | undefined {
  if ((e as { name?: unknown }).name !== 'HTTPParserError') return undefined;
  const message = String((e as { message?: unknown }).message ?? '');
  return /does not match the HTTP\/1\.1 protocol/.test(message) ? 'HPE_INVALID_CONSTANT' : 'HPE_UNKNOWN';
}

/** Longest server-supplied text an error carries for the model (`ToolError.toolMessage`). */
export const MAX_ERROR_TEXT_CHARS = 20_000;

/** Server-supplied text, bounded: a hostile server's 1 MB message must not become a 1 MB error. */
export function clipText(s: string, max = MAX_ERROR_TEXT_CHARS): string {
  return s.length <= max ? s : `${s.slice(0, max)} [truncated: showing ${max} of ${s.length} characters]`;
}

/** The first line of a message, at most 200 characters, without a closing period. */
export function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).slice(0, 200).replace(/\.$/, '');
}
