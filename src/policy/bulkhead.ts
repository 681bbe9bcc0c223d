import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ResourceError } from '../errors/ResourceError.js';
import { Semaphore } from '../resilience/Semaphore.js';
import { untilAborted } from '../resilience/untilAborted.js';
import { definePolicy, type Policy } from './Policy.js';

/**
 * Options of {@link bulkhead}.
 *
 * @example bulkhead(4, { queue: 16 })
 */
export interface BulkheadOptions {
  /** Calls that may wait for a slot; one more is refused at once (`BULKHEAD_FULL`). Default: no limit. */
  queue?: number | undefined;
}

/**
 * At most `limit` runs of the work at once (one `Semaphore`, fair, arrival order); the rest wait.
 * A waiting call whose signal aborts stops waiting at once. With `queue`, a call beyond
 * `limit + queue` is refused with a retryable `ResourceError` (`BULKHEAD_FULL`), recorded as an attempt.
 * One bulkhead object is one shared limit: create it once per server or team and reuse it.
 *
 * @example
 * const perServer = bulkhead(4, { queue: 16 });
 * const policy = wrap(retry(), perServer, timeout(5_000));
 */
export function bulkhead(limit: number, options: BulkheadOptions = {}): Policy {
  const queue = options.queue ?? Number.POSITIVE_INFINITY;
  if (!(Number.isInteger(limit) && limit >= 1) || !(queue >= 0)) {
    throw new ConfigurationError(
      `Invalid bulkhead: limit must be an integer >= 1 and queue a number >= 0, got ${limit} and ${String(options.queue)}.`,
      { hint: 'bulkhead(4) or bulkhead(4, { queue: 16 }).' },
    );
  }
  const slots = new Semaphore(limit);
  let held = 0;
  return definePolicy(async (work, ctx) => {
    if (held >= limit + queue) {
      const error = new ResourceError(`The bulkhead is full: ${limit} calls running and ${queue} waiting.`, {
        code: 'BULKHEAD_FULL',
        server: ctx.server,
        hint: 'Retry later, or raise the bulkhead limit or queue.',
      });
      ctx.record({ source: ctx.source, ok: false, durationMs: 0, error, attempt: ctx.attempt });
      throw error;
    }
    held++;
    const running = slots.run(() => {
      ctx.signal.throwIfAborted();
      return work(ctx);
    });
    // The slot is held until the work settles, even when a cancelled caller stopped waiting for it.
    void running.then(
      () => held--,
      () => held--,
    );
    return untilAborted(running, ctx.signal);
  });
}
