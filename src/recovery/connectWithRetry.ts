import type { AzcoreError } from '../errors/AzcoreError.js';
import type { Logger } from '../observe/logger.js';
import { type Backoff, exponentialBackoff } from '../resilience/backoff.js';
import type { Clock } from '../resilience/Clock.js';
import { type RetryAttempt, retry } from '../resilience/retry.js';
import type { MCPTeam } from '../team/MCPTeam.js';

/** Anything with `build()`: an {@link MCPTeamBuilder}, or a function-made stand-in. */
export interface Buildable<T> {
  build(): Promise<T>;
}

/** Options of {@link connectWithRetry}. */
export interface ConnectWithRetryOptions {
  /** Retries after the first attempt. Default 2 (3 attempts, as in the guide). */
  maxRetries?: number | undefined;
  /** Delay before each retry. Default 1 s, 2 s, 4 s... capped at 30 s (the guide's `2 ** attempt`). */
  backoff?: Backoff | undefined;
  /** Which failures to retry. Default: the error's own `retryable` (a refused port yes, a bad config or a 401 no). */
  shouldRetry?: ((error: AzcoreError, attempt: number) => boolean) | undefined;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  onRetry?: ((info: RetryAttempt) => void) | undefined;
}

/**
 * Builds a team, retrying failed builds with backoff (the guide's `connect_with_retry`). The factory
 * is called once per attempt, so every attempt starts from a fresh builder; a failed build has
 * already closed whatever it started. Rejects with the last typed error (a `TeamBuildError` naming
 * each server's cause, a `ConfigurationError` at once, never retried).
 *
 * @example
 * const team = await connectWithRetry(
 *   () => new MCPTeamBuilder('retry_team').withLlm(model).withMcpServerHttp('https://unstable.example.com/mcp'),
 *   { maxRetries: 2, backoff: exponentialBackoff({ baseMs: 1_000 }) },
 * );
 */
export async function connectWithRetry<T = MCPTeam>(
  builderFactory: (attempt: number) => Buildable<T>,
  options: ConnectWithRetryOptions = {},
): Promise<T> {
  const maxAttempts = Math.max(0, options.maxRetries ?? 2) + 1;
  const log = options.logger?.child({ operation: 'connectWithRetry' });
  const team = await retry((attempt) => builderFactory(attempt).build(), {
    maxAttempts,
    backoff: options.backoff ?? exponentialBackoff({ baseMs: 1_000, maxMs: 30_000 }),
    ...(options.shouldRetry ? { shouldRetry: options.shouldRetry } : {}),
    signal: options.signal,
    clock: options.clock,
    onRetry: (info) => {
      log?.warn(
        { attempt: info.attempt, maxAttempts, delayMs: info.delayMs, err: info.error.toJSON() },
        `build failed (attempt ${info.attempt}/${maxAttempts}); retrying in ${Math.round(info.delayMs)} ms`,
      );
      options.onRetry?.(info);
    },
  });
  log?.info('team built');
  return team;
}
