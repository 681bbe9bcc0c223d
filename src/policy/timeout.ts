import { isTimeoutError } from '../errors/TimeoutError.js';
import { withTimeout } from '../resilience/withTimeout.js';
import { definePolicy, type Policy } from './Policy.js';

/**
 * A budget learned per key instead of a fixed one (an `AdaptiveTimeout`): {@link timeout} asks
 * `timeoutFor(key)` before each run, then reports a success's duration or a timeout of that limit.
 *
 * @example timeout({ ms: new AdaptiveTimeout({ minMs: 1_000, maxMs: 60_000 }), name: 'search' })
 */
export interface LearnedTimeout {
  timeoutFor(key: string): number;
  record(key: string, durationMs: number): void;
  recordTimeout(key: string): void;
}

/**
 * Options of {@link timeout}.
 *
 * @example timeout({ ms: 30_000, name: 'report' })
 */
export interface TimeoutOptions {
  /** The budget in ms, or a {@link LearnedTimeout} (an `AdaptiveTimeout`) that picks it per `name` and learns from each run. */
  ms: number | LearnedTimeout;
  /** Step named in the TimeoutError (and the key of a learned budget). Default: the work's name (`primary`). */
  name?: string | undefined;
}

/**
 * A time budget over `Deadline`: the work's `ctx.signal` aborts with a `TimeoutError` when it runs
 * out, and the policy rejects at that moment even if the work ignores its signal. It never gets
 * more than what is left of an enclosing budget. **Inside** a `retry` it is the budget of each
 * attempt; **outside** it, the budget of all attempts and the waits between them (the retry then
 * starts no wait that would end past it). Both at once is common: `wrap(timeout(30_000), retry(), timeout(5_000))`.
 * With a learned budget (`ms: adaptiveTimeout`), a success teaches its duration (on the run's clock)
 * and a timeout of this limit doubles the next one; an enclosing budget running out teaches nothing.
 *
 * @example
 * const page = await wrap(retry(), timeout(5_000)).execute((ctx) => fetchPage(url, ctx.signal));
 * const learned = new AdaptiveTimeout({ minMs: 1_000, maxMs: 60_000 });
 * const hit = await timeout({ ms: learned, name: 'search' }).execute((ctx) => search(q, ctx.signal));
 */
export function timeout(budget: number | TimeoutOptions): Policy {
  const { ms, name } = typeof budget === 'number' ? { ms: budget, name: undefined } : budget;
  return definePolicy(async (work, ctx) => {
    const step = name ?? ctx.source;
    const learned = typeof ms === 'number' ? undefined : ms;
    const limit = learned ? learned.timeoutFor(step) : (ms as number);
    const started = ctx.clock.now();
    try {
      const value = await withTimeout(step, limit, (_signal, deadline) => work(ctx.with({ deadline })), {
        deadline: ctx.deadline,
        server: ctx.server,
      });
      learned?.record(step, ctx.clock.now() - started);
      return value;
    } catch (e) {
      if (learned && isTimeoutError(e) && e.step === step && e.timeoutMs === limit)
        learned.recordTimeout(step);
      throw e;
    }
  });
}
