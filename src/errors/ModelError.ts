import { AzcoreError, type ErrorDetails, type ErrorKind } from './AzcoreError.js';

/** Why a model call failed; decides the default retryability and the hint. */
export type ModelFailureReason =
  /** The provider refused the credentials (401/403). */
  | 'auth'
  /** No response: connection refused, DNS, reset, a fetch that failed. */
  | 'network'
  /** The provider is rate limiting or out of quota (429). */
  | 'rateLimit'
  /** The SDK's request timeout, or the turn's Deadline ran out while the model was thinking. */
  | 'timeout'
  /** The provider refused the request itself (400, 404 unknown model, 422). */
  | 'badRequest'
  /** A response came but was not one the client could read (not JSON, wrong shape). */
  | 'badResponse'
  /** The provider failed on its side (5xx). */
  | 'unavailable'
  | 'unknown';

/** What a {@link ModelError} carries besides the common details. */
export interface ModelErrorDetails extends ErrorDetails {
  /** `openai`, `offline`, or the LangChain `_llmType()` of another chat model. */
  provider: string;
  /** The model's name, when it has one. */
  model?: string | undefined;
  reason: ModelFailureReason;
  /** The HTTP status the provider answered, if any. */
  status?: number | undefined;
  /** How long the provider asked to wait (`retry-after`), for rate limits. */
  retryAfterMs?: number | undefined;
}

const RETRYABLE: Record<ModelFailureReason, boolean> = {
  auth: false,
  network: true,
  rateLimit: true,
  timeout: true,
  badRequest: false,
  badResponse: false,
  unavailable: true,
  unknown: false,
};

/**
 * The chat model failed a turn: the message names the provider and the model, says what went
 * wrong and what to do. `reason` tells auth, network, rate limit, timeout and bad request apart
 * without parsing text; `server` stays empty (a model is not an MCP server).
 *
 * @example
 * catch (e) { if (isModelError(e) && e.reason === 'auth') console.error(`Fix the key of ${e.provider}`) }
 */
export class ModelError extends AzcoreError {
  readonly kind = 'model' as const;
  readonly provider: string;
  readonly model: string | undefined;
  readonly reason: ModelFailureReason;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(problem: string, details: ModelErrorDetails) {
    super(problem, details, { code: 'MODEL_FAILED', retryable: RETRYABLE[details.reason] });
    this.provider = details.provider;
    this.model = details.model;
    this.reason = details.reason;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }

  override toJSON(): {
    kind: ErrorKind;
    code: string;
    retryable: boolean;
    message: string;
    provider: string;
    model?: string;
    reason: ModelFailureReason;
  } {
    return {
      ...super.toJSON(),
      provider: this.provider,
      ...(this.model ? { model: this.model } : {}),
      reason: this.reason,
    };
  }
}

/** True when `e` is a {@link ModelError}. */
export function isModelError(e: unknown): e is ModelError {
  return e instanceof ModelError;
}
