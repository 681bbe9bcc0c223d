import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { type EventBus, summarizeError } from '../events/EventBus.js';
import { type Backoff, decorrelatedJitter } from './backoff.js';
import { type Clock, systemClock } from './Clock.js';
import type { Deadline } from './Deadline.js';
import { sleep } from './sleep.js';

/**
 * Kinds no retry policy retries, whatever it is told: the same call fails the same way (input,
 * auth, configuration), the breaker said no (circuitOpen), or the caller asked to stop (cancelled).
 */
export const NEVER_RETRIED: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'input',
  'auth',
  'circuitOpen',
  'cancelled',
  'configuration',
]);

/** One retry about to happen, as reported to `onRetry`. */
export interface RetryAttempt {
  /** The attempt that just failed (1 = the first call). */
  attempt: number;
  delayMs: number;
  error: AzcoreError;
}

/** What every retry loop takes besides its schedule: limits, cancellation, time and reporting. */
export interface RetryRunOptions {
  /** Caps the whole retry loop: no delay is started that would end past it. */
  deadline?: Deadline | undefined;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
  server?: string | undefined;
  onRetry?: ((info: RetryAttempt) => void) | undefined;
  /** Also report each retry as a `call.retried` event on this bus. */
  events?: EventBus | undefined;
  /** Name of the retried work in events (their `tool` field). Default `operation`. */
  operation?: string | undefined;
  /** Id of this call in events; default: a fresh number. */
  callId?: number | undefined;
  /**
   * The caller ran the first attempts itself (a successful call then builds no retry state) and
   * attempt `attempt` failed with `error`: the loop takes over from that failure.
   */
  after?: { attempt: number; error: unknown } | undefined;
}

/** Options for {@link retry}. */
export interface RetryOptions extends RetryRunOptions {
  /** Total attempts including the first; 1 disables retrying. Default 3. */
  maxAttempts?: number;
  /** Delay schedule; default decorrelated jitter from 100 ms to 5 s. */
  backoff?: Backoff;
  /**
   * Which failures to retry; default: the error's own `retryable`. Never consulted for the kinds in
   * {@link NEVER_RETRIED}.
   */
  shouldRetry?: (error: AzcoreError, attempt: number) => boolean;
}

/** The work a retry loop runs: gets the attempt number (1-based) and the signal to honour. */
export type RetriedWork<T> = (attempt: number, signal: AbortSignal | undefined) => Promise<T>;

/** Decides after a failure: the delay before the next attempt, or `undefined` to give up. */
export type RetryPlan = (error: AzcoreError, attempt: number) => number | undefined;

/**
 * Runs `fn` until it succeeds, a failure is not retryable, attempts run out or the deadline would
 * be passed. Always throws a typed {@link AzcoreError}: the last failure.
 *
 * @example
 * const result = await retry(() => server.callTool('search', { q }), { maxAttempts: 4, deadline });
 */
export function retry<T>(fn: RetriedWork<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const backoff = options.backoff ?? decorrelatedJitter({ baseMs: 100, maxMs: 5_000 });
  let previousDelay = 0;
  return runRetries(
    fn,
    (error, attempt) => {
      if (attempt >= maxAttempts) return undefined;
      const wanted = options.shouldRetry ? options.shouldRetry(error, attempt) : error.retryable;
      if (!wanted) return undefined;
      previousDelay = backoff(attempt, previousDelay);
      return previousDelay;
    },
    options,
  );
}

let lastCallId = 0;

/**
 * The loop under {@link retry} and under the `retry` policy with a schedule (`byKind(table)`):
 * classification, the never-retried kinds, the deadline, cancellation and reporting live here
 * once; `plan` only chooses delays.
 */
export async function runRetries<T>(
  fn: RetriedWork<T>,
  plan: RetryPlan,
  options: RetryRunOptions,
): Promise<T> {
  const { deadline, server } = options;
  const signal =
    options.signal && deadline
      ? AbortSignal.any([options.signal, deadline.signal])
      : (options.signal ?? deadline?.signal);
  const callId = options.callId ?? ++lastCallId;
  const after = options.after;
  for (let attempt = after ? after.attempt : 1; ; attempt++) {
    let e: unknown;
    if (after && attempt === after.attempt) e = after.error;
    else {
      try {
        if (signal?.aborted) throw signal.reason;
        deadline?.throwIfExpired();
        return await fn(attempt, signal);
      } catch (failure) {
        e = failure;
      }
    }
    const error = classifyError(e, { server, signal });
    if (NEVER_RETRIED.has(error.kind)) throw error;
    const planned = plan(error, attempt);
    // A schedule that yields NaN or Infinity has nothing sensible to wait for: give up.
    if (planned === undefined || !Number.isFinite(planned)) throw error;
    // Whole milliseconds: what timers honour anyway, and what logs and events should show.
    const delayMs = Math.max(0, Math.round(planned));
    if (deadline && delayMs >= deadline.remaining()) throw error;
    options.onRetry?.({ attempt, delayMs, error });
    if (options.events?.observed) {
      options.events.emit({
        type: 'call.retried',
        at: (options.clock ?? systemClock).now(),
        source: server ? `server:${server}` : `retry:${options.operation ?? 'operation'}`,
        server: server ?? '',
        tool: options.operation ?? 'operation',
        callId,
        attempt,
        delayMs,
        error: summarizeError(error),
      });
    }
    try {
      await sleep(delayMs, { clock: options.clock, signal });
    } catch (abort) {
      throw classifyError(abort, { server, signal });
    }
  }
}
