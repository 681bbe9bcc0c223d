import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** Extra facts a tool failure carries. */
export interface ToolErrorDetails extends ErrorDetails {
  tool?: string | undefined;
  /** The text the tool returned with `isError: true`, for the model to read. */
  toolMessage?: string | undefined;
}

/**
 * The tool ran and reported a failure (`isError: true`). Per the MCP spec this is a result for the
 * model, not a transport failure: it does not count against the circuit breaker unless configured to.
 */
export class ToolError extends AzcoreError {
  readonly kind = 'tool' as const;
  readonly tool: string | undefined;
  readonly toolMessage: string | undefined;

  constructor(problem: string, details: ToolErrorDetails = {}) {
    super(problem, details, { code: 'TOOL_ERROR', retryable: false });
    this.tool = details.tool;
    this.toolMessage = details.toolMessage;
  }
}

/** True when `e` is a {@link ToolError}. */
export function isToolError(e: unknown): e is ToolError {
  return e instanceof ToolError;
}
