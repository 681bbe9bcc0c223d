import { redactUrls } from './redact.js';

/** The kinds of failure the runtime distinguishes. Every error that crosses the public API has one. */
export type ErrorKind =
  | 'connection'
  | 'timeout'
  | 'auth'
  | 'protocol'
  | 'tool'
  | 'input'
  | 'resource'
  | 'circuitOpen'
  | 'cancelled'
  | 'configuration'
  | 'model';

/** What every typed error can carry besides its message. */
export interface ErrorDetails {
  /** Server name (the config key) the failure belongs to, when there is one. */
  server?: string | undefined;
  /** Machine-readable code: an MCP code (`MCP_-32602`), an SDK code (`REQUEST_TIMEOUT`), an HTTP status (`HTTP_401`), an errno (`ECONNREFUSED`)... */
  code?: string | undefined;
  /** The original error, kept for logs and debugging. */
  cause?: unknown;
  /** Overrides the kind's default retryability. */
  retryable?: boolean | undefined;
  /** What the user can do about it; appended to the message. */
  hint?: string | undefined;
}

/**
 * Base class of every error azcore throws or returns. The message (and hint) never carries URL
 * credentials: `user:pass@` and `?token=`-style values are masked as the message is built, while
 * `cause` keeps the original error for debugging (it is not part of {@link AzcoreError.toJSON}).
 * Check `kind` (or an `isX()` guard) rather than `instanceof` across package boundaries.
 *
 * @example
 * try { await server.callTool('read_file', { path }) }
 * catch (e) { if (isAzcoreError(e) && e.retryable) scheduleRetry() }
 */
export abstract class AzcoreError extends Error {
  abstract readonly kind: ErrorKind;
  readonly code: string;
  readonly server: string | undefined;
  readonly retryable: boolean;
  readonly hint: string | undefined;

  protected constructor(
    problem: string,
    details: ErrorDetails,
    defaults: { code: string; retryable: boolean },
  ) {
    const where = details.server ? `[${details.server}] ` : '';
    const hint = details.hint === undefined ? undefined : redactUrls(details.hint);
    super(
      redactUrls(`${where}${problem}${hint ? ` ${hint}` : ''}`),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = details.code ?? defaults.code;
    this.server = details.server;
    this.retryable = details.retryable ?? defaults.retryable;
    this.hint = hint;
  }

  override get name(): string {
    return this.constructor.name;
  }

  /** A plain, JSON-safe view for logs and events (no cause objects, no stack). */
  toJSON(): { kind: ErrorKind; code: string; server?: string; retryable: boolean; message: string } {
    return {
      kind: this.kind,
      code: this.code,
      ...(this.server ? { server: this.server } : {}),
      retryable: this.retryable,
      message: redactUrls(this.message),
    };
  }
}

/** True for any error produced by azcore. */
export function isAzcoreError(e: unknown): e is AzcoreError {
  return e instanceof AzcoreError;
}
