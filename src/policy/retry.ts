import type { AzcoreError } from '../errors/AzcoreError.js';
import type { EventBus } from '../events/EventBus.js';
import {
  type Backoff,
  type BackoffOptions,
  type BackoffStrategy,
  createBackoff,
  type Random,
} from '../resilience/backoff.js';
import { type RetryAttempt, type RetryPlan, retry as retryLoop, runRetries } from '../resilience/retry.js';
import { definePolicy, type Policy } from './Policy.js';
import type { PolicyContext } from './PolicyContext.js';

/**
 * A schedule as plain data (see `createBackoff`).
 *
 * @example retry({ backoff: { strategy: 'jittered', baseMs: 500, maxMs: 8_000, random: seededRandom(1) } })
 */
export interface BackoffSpec extends BackoffOptions {
  strategy: BackoffStrategy;
  /** Extra on top of exponential delays (`jittered` only). Default 0.1. */
  jitterRatio?: number;
  /** RNG of the jittered schedules (`seededRandom(n)` for reproducible runs). Default `Math.random`. */
  random?: Random;
}

/**
 * A schedule that reads each failure (its kind, say) and keeps state for one run: `plan()` is
 * called once per run and answers, after each failure, the delay before the next attempt or
 * `undefined` to give up. `byKind(table)` is one.
 *
 * @example retry({ backoff: byKind({ connection: { maxAttempts: 5, baseMs: 2_000 } }) })
 */
export interface RetrySchedule {
  plan(): RetryPlan;
}

/**
 * Options of the {@link retry} policy.
 *
 * @example retry({ maxAttempts: 5, shouldRetry: (e) => e.kind === 'connection', onRetry: (i) => log.warn(i) })
 */
export interface RetryPolicyOptions {
  /** Total attempts including the first; 1 disables retrying. Default 3; with a {@link RetrySchedule}, no cap but the schedule's. */
  maxAttempts?: number | undefined;
  /**
   * The one schedule API: a `Backoff` function, a {@link BackoffSpec}, or a {@link RetrySchedule}
   * that reads the failure (`byKind(table)`). Default: decorrelated jitter from 100 ms to 5 s.
   */
  backoff?: Backoff | BackoffSpec | RetrySchedule | undefined;
  /** Which failures to retry; default the error's own `retryable`. Never asked for `NEVER_RETRIED` kinds (input, auth, circuitOpen, cancelled, configuration). */
  shouldRetry?: ((error: AzcoreError, attempt: number) => boolean) | undefined;
  onRetry?: ((info: RetryAttempt) => void) | undefined;
  /** Bus for `call.retried` events. Default: the run's `events`. */
  events?: EventBus | undefined;
  /** Name of the work in events. Default: the work's name (`primary`). */
  operation?: string | undefined;
}

function isSchedule(backoff: RetryPolicyOptions['backoff']): backoff is RetrySchedule {
  return typeof backoff === 'object' && typeof (backoff as Partial<RetrySchedule>).plan === 'function';
}

function scheduleOf(backoff: Backoff | BackoffSpec | undefined): Backoff | undefined {
  if (backoff === undefined || typeof backoff === 'function') return backoff;
  const { strategy, random, ...options } = backoff;
  return createBackoff(strategy, options, random);
}

/**
 * Runs the work again after a retryable failure, over the runtime's one retry loop (`retry()` in
 * resilience/): the schedule, `NEVER_RETRIED`, no wait past the enclosing deadline, waits that end
 * at once on cancel, `call.retried` events. Each attempt gets `ctx.attempt`. Throws the last failure.
 *
 * @example
 * const policy = wrap(retry({ maxAttempts: 4, backoff: { strategy: 'exponential', baseMs: 500 } }), timeout(5_000));
 * await policy.execute((ctx) => sync(ctx.signal), { events: bus });
 */
export function retry(options: RetryPolicyOptions = {}): Policy {
  if (isSchedule(options.backoff)) return scheduled(options.backoff, options);
  const backoff = scheduleOf(options.backoff);
  return definePolicy((work, ctx) =>
    retryLoop((attempt) => work(ctx.with({ attempt })), {
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(backoff ? { backoff } : {}),
      ...(options.shouldRetry ? { shouldRetry: options.shouldRetry } : {}),
      ...loopContext(options, ctx),
    }),
  );
}

/** {@link retry} over a {@link RetrySchedule}: `maxAttempts` and `shouldRetry` still apply on top of it. */
function scheduled(schedule: RetrySchedule, options: RetryPolicyOptions): Policy {
  const maxAttempts = Math.max(1, options.maxAttempts ?? Number.POSITIVE_INFINITY);
  return definePolicy((work, ctx) => {
    const plan = schedule.plan();
    return runRetries(
      (attempt) => work(ctx.with({ attempt })),
      (error, attempt) => {
        if (attempt >= maxAttempts) return undefined;
        if (options.shouldRetry && !options.shouldRetry(error, attempt)) return undefined;
        return plan(error, attempt);
      },
      loopContext(options, ctx),
    );
  });
}

/** What both retry loops take from the run: its deadline, clock, server, events and name. */
function loopContext(options: RetryPolicyOptions, ctx: PolicyContext) {
  return {
    onRetry: options.onRetry,
    deadline: ctx.deadline,
    clock: ctx.clock,
    server: ctx.server,
    events: options.events ?? ctx.events,
    operation: options.operation ?? ctx.source,
  };
}
