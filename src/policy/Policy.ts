import { classifyError } from '../errors/classifyError.js';
import { untilAborted } from '../resilience/untilAborted.js';
import { PolicyContext, type RunOptions } from './PolicyContext.js';

/**
 * The work a policy runs: it gets the context of its attempt and should honour `ctx.signal`.
 *
 * @example const work: Work<Response> = (ctx) => fetch(url, { signal: ctx.signal });
 */
export type Work<T> = (ctx: PolicyContext) => Promise<T>;

/**
 * A small piece of resilience (a timeout, a retry, a breaker, a fallback, a bulkhead, a
 * validation) around async work. `A` is what a fallback may answer instead of the work's own value
 * (`never` for every other policy). Compose them with {@link wrap}; run them with `execute`
 * (throws the typed error) or {@link run} (resolves an {@link Outcome}).
 *
 * @example
 * const policy: Policy = wrap(retry({ maxAttempts: 3 }), timeout(5_000));
 * const page = await policy.execute((ctx) => fetchPage(url, ctx.signal));
 */
export interface Policy<A = never> {
  /**
   * Runs `work` under this policy. Given options (or nothing), this starts a run: attempts are
   * recorded, and every failure is thrown as a typed `AzcoreError`. Policies pass a
   * {@link PolicyContext} to the policies they wrap.
   */
  execute<T>(work: Work<T>, context?: PolicyContext | RunOptions): Promise<T | A>;
}

/** The type a policy's fallback may answer (`never` without a fallback). */
export type AnswerOf<P> = P extends Policy<infer A> ? A : never;

/**
 * Every run of the work becomes one {@link Attempt}, written when it settles or the moment its
 * signal aborts (a work that ignores its signal cannot hold up the record or the caller).
 */
export function recorded<T>(work: Work<T>): Work<T> {
  return async (ctx) => {
    const started = ctx.clock.now();
    const { source, attempt } = ctx;
    try {
      const value = await untilAborted(
        Promise.resolve().then(() => work(ctx)),
        ctx.signal,
      );
      ctx.record({ source, ok: true, durationMs: ctx.clock.now() - started, attempt });
      return value;
    } catch (e) {
      const error = classifyError(e, { signal: ctx.signal, server: ctx.server });
      ctx.record({ source, ok: false, durationMs: ctx.clock.now() - started, error, attempt });
      throw error;
    }
  };
}

/**
 * A {@link Policy} from its one behaviour: `apply(work, ctx)` runs `work` (already recorded) inside
 * the policy. Called with options instead of a context, it starts a run and throws typed errors.
 */
export function definePolicy<A = never>(
  apply: <T>(work: Work<T>, ctx: PolicyContext) => Promise<T | A>,
): Policy<A> {
  return {
    execute<T>(work: Work<T>, context?: PolicyContext | RunOptions): Promise<T | A> {
      if (context instanceof PolicyContext) return apply(work, context);
      return startRun(this, work, context);
    },
  };
}

/** Runs `policy` over `work` from a fresh context; throws the typed error. */
async function startRun<T, A>(policy: Policy<A>, work: Work<T>, options?: RunOptions): Promise<T | A> {
  const ctx = PolicyContext.start(options);
  try {
    return await policy.execute(recorded(work), ctx);
  } catch (e) {
    throw classifyError(e, { signal: ctx.signal, server: ctx.server });
  } finally {
    ctx.end();
  }
}
