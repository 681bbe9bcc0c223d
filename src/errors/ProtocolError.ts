import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** The server spoke something other than the MCP we expect: malformed JSON-RPC, an unsupported protocol version, a method it does not implement. */
export class ProtocolError extends AzcoreError {
  readonly kind = 'protocol' as const;

  constructor(problem: string, details: ErrorDetails = {}) {
    super(problem, details, { code: 'PROTOCOL', retryable: false });
  }
}

/** True when `e` is a {@link ProtocolError}. */
export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}
