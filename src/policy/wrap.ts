import { type AnswerOf, definePolicy, type Policy, type Work } from './Policy.js';
import type { PolicyContext } from './PolicyContext.js';

/**
 * One policy from several, outermost first (as cockatiel's `wrap`): `wrap(a, b, c)` runs the work
 * inside `c`, inside `b`, inside `a`. Where a policy sits decides what it covers: a `timeout`
 * inside a `retry` bounds each attempt, outside it bounds them all; a `fallback` outermost answers
 * when everything inside has failed. `wrap()` runs the work as it is.
 *
 * @example
 * const resilient = wrap(fallback(staticValue('unavailable')), retry({ maxAttempts: 3 }), breaker(b), timeout(5_000));
 * const answer = await resilient.execute((ctx) => server.callTool('search', args, { signal: ctx.signal }));
 */
export function wrap<P extends Policy<unknown>[]>(...policies: P): Policy<AnswerOf<P[number]>> {
  type A = AnswerOf<P[number]>;
  return definePolicy<A>(<T>(work: Work<T>, ctx: PolicyContext) => {
    let inner: Work<T | A> = work;
    for (let i = policies.length - 1; i >= 0; i--) {
      const policy = policies[i] as Policy<A>;
      const next = inner;
      inner = (c) => policy.execute(next, c);
    }
    return inner(ctx);
  });
}
