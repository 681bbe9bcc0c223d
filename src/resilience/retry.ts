import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { type Backoff, decorrelatedJitter } from './backoff.js';
import type { Clock } from './Clock.js';
import type { Deadline } from './Deadline.js';
import { sleep } from './sleep.js';

/** One retry about to happen, as reported to `onRetry`. */
export interface RetryAttempt {
  /** The attempt that just failed (1 = the first call). */
  attempt: number;
  delayMs: number;
  error: AzcoreError;
}

/** Options for {@link retry}. */
export interface RetryOptions {
  /** Total attempts including the first; 1 disables retrying. Default 3. */
  maxAttempts?: number;
  /** Delay schedule; default decorrelated jitter from 100 ms to 5 s. */
  backoff?: Backoff;
  /** Which failures to retry; default: the error's own `retryable`. Never called for cancellations. */
  shouldRetry?: (error: AzcoreError, attempt: number) => boolean;
  /** Caps the whole retry loop: no delay is started that would end past it. */
  deadline?: Deadline | undefined;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
  server?: string | undefined;
  onRetry?: (info: RetryAttempt) => void;
}

/**
 * Runs `fn` until it succeeds, a failure is not retryable, attempts run out or the deadline would
 * be passed. Always throws a typed {@link AzcoreError}: the last failure.
 *
 * @example
 * const result = await retry(() => server.callTool('search', { q }), { maxAttempts: 4, deadline });
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const backoff = options.backoff ?? decorrelatedJitter({ baseMs: 100, maxMs: 5_000 });
  const signal = options.signal ?? options.deadline?.signal;
  let previousDelay = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const error = classifyError(e, { server: options.server, signal });
      if (attempt >= maxAttempts || error.kind === 'cancelled') throw error;
      const wanted = options.shouldRetry ? options.shouldRetry(error, attempt) : error.retryable;
      if (!wanted) throw error;
      const delayMs = backoff(attempt, previousDelay);
      if (options.deadline && delayMs >= options.deadline.remaining()) throw error;
      previousDelay = delayMs;
      options.onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, { clock: options.clock, signal });
      } catch (abort) {
        throw classifyError(abort, { server: options.server, signal });
      }
    }
  }
}
