import { withTimeout } from '../resilience/withTimeout.js';
import { definePolicy, type Policy } from './Policy.js';

/**
 * Options of {@link timeout}.
 *
 * @example timeout({ ms: 30_000, name: 'report' })
 */
export interface TimeoutOptions {
  /** The budget in ms. */
  ms: number;
  /** Step named in the TimeoutError. Default: the work's name (`primary`). */
  name?: string | undefined;
}

/**
 * A time budget over `Deadline`: the work's `ctx.signal` aborts with a `TimeoutError` when it runs
 * out, and the policy rejects at that moment even if the work ignores its signal. It never gets
 * more than what is left of an enclosing budget. **Inside** a `retry` it is the budget of each
 * attempt; **outside** it, the budget of all attempts and the waits between them (the retry then
 * starts no wait that would end past it). Both at once is common: `wrap(timeout(30_000), retry(), timeout(5_000))`.
 *
 * @example
 * const page = await wrap(retry(), timeout(5_000)).execute((ctx) => fetchPage(url, ctx.signal));
 */
export function timeout(budget: number | TimeoutOptions): Policy {
  const { ms, name } = typeof budget === 'number' ? { ms: budget, name: undefined } : budget;
  return definePolicy((work, ctx) =>
    withTimeout(name ?? ctx.source, ms, (_signal, deadline) => work(ctx.with({ deadline })), {
      deadline: ctx.deadline,
      server: ctx.server,
    }),
  );
}
