import type { CircuitBreaker } from '../actors/CircuitBreaker.js';
import { isCircuitOpenError } from '../errors/CircuitOpenError.js';
import { definePolicy, type Policy } from './Policy.js';

/**
 * Options of the {@link breaker} policy.
 *
 * @example breaker(github, { isFailure: (e) => isAzcoreError(e) && e.kind !== 'tool' })
 */
export interface BreakerPolicyOptions {
  /** Whether an error counts against the server; default `breakerVerdict` (connection, timeout, protocol, resource). */
  isFailure?: ((error: unknown) => boolean) | undefined;
}

/**
 * Runs the work only when `circuitBreaker` admits it (`acquire()`), and reports how it ended through
 * the permit: a success, a failure judged by `breakerVerdict`, or nothing (a cancellation). A
 * rejection throws the `CircuitOpenError` at once (never retried) and is recorded as an attempt.
 * Put timeouts **inside** it, so a slow call counts as a failure and its permit settles on time.
 * The breaker's own `breaker.transition` events report what it does.
 *
 * @example
 * const github = new CircuitBreaker({ id: 'github', strategy: { kind: 'consecutive', threshold: 3 } });
 * const policy = wrap(fallback(staticValue([])), retry(), breaker(github), timeout(5_000));
 */
export function breaker(circuitBreaker: CircuitBreaker, options: BreakerPolicyOptions = {}): Policy {
  const verdict = options.isFailure ? { isFailure: options.isFailure } : undefined;
  return definePolicy(async (work, ctx) => {
    const permit = circuitBreaker.acquire();
    if (isCircuitOpenError(permit)) {
      ctx.record({ source: ctx.source, ok: false, durationMs: 0, error: permit, attempt: ctx.attempt });
      throw permit;
    }
    try {
      const value = await work(ctx);
      permit.success();
      return value;
    } catch (e) {
      permit.failure(e, verdict);
      throw e;
    } finally {
      permit.release();
    }
  });
}
