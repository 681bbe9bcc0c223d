import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { type Clock, systemClock } from '../resilience/Clock.js';

/** Options every fallback takes. */
export interface FallbackOptions {
  /**
   * Whether a failure may try the next source. Default: every failure except a cancellation (the
   * caller asked to stop; a fallback answer would be unwanted work).
   */
  shouldFallback?: ((error: AzcoreError) => boolean) | undefined;
  /** Budget of each attempt in ms; the executor's signal aborts with a `TimeoutError` at its end. Default: none. */
  timeoutMs?: number | undefined;
  /** Time source of budgets, durations and cache ages (XState's `SimulatedClock` fits). Default: wall clock. */
  clock?: Clock | undefined;
}

/** Per-call options of a fallback's `execute`. */
export interface FallbackCallOptions {
  /** Cancels the call: the running attempt is aborted and no further source is tried. */
  signal?: AbortSignal | undefined;
}

/**
 * The default {@link FallbackOptions.shouldFallback}: everything but a cancellation falls back.
 *
 * @example
 * new FallbackChain(options, { shouldFallback: (e) => fallsBackByDefault(e) && e.kind !== 'input' });
 */
export function fallsBackByDefault(error: AzcoreError): boolean {
  return error.kind !== 'cancelled';
}

/** Options with defaults applied, checked once at construction. */
export interface ResolvedFallbackOptions {
  shouldFallback: (error: AzcoreError) => boolean;
  timeoutMs: number;
  clock: Clock;
}

/** Applies defaults and rejects a bad `timeoutMs` with a message naming `owner`. */
export function resolveFallbackOptions(
  owner: string,
  options: FallbackOptions = {},
): ResolvedFallbackOptions {
  const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY;
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    throw new ConfigurationError(
      `Invalid ${owner} option 'timeoutMs': must be a number of ms > 0, got ${String(options.timeoutMs)}.`,
      { hint: 'Leave it out for no per-attempt budget.' },
    );
  }
  return {
    shouldFallback: options.shouldFallback ?? fallsBackByDefault,
    timeoutMs,
    clock: options.clock ?? systemClock,
  };
}
