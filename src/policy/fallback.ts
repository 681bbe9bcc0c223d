import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { untilAborted } from '../resilience/untilAborted.js';
import { FallbackFailedError } from './FallbackFailedError.js';
import type { FallbackSource } from './FallbackSource.js';
import { definePolicy, type Policy } from './Policy.js';
import type { PolicyContext } from './PolicyContext.js';

/**
 * Options of {@link fallback}, passed before the sources.
 *
 * @example fallback({ shouldFallback: (e) => e.kind === 'connection' || e.kind === 'timeout' }, staticValue('n/a'))
 */
export interface FallbackPolicyOptions {
  /**
   * Whether a failure may try the next source. Default: every failure except a cancellation (the
   * caller asked to stop; a fallback answer would be unwanted work).
   */
  shouldFallback?: ((error: AzcoreError) => boolean) | undefined;
}

/**
 * The default `shouldFallback`: everything but a cancellation falls back.
 *
 * @example
 * fallback({ shouldFallback: (e) => fallsBackByDefault(e) && e.kind !== 'input' }, staticValue('n/a'));
 */
export function fallsBackByDefault(error: AzcoreError): boolean {
  return error.kind !== 'cancelled';
}

/**
 * When the work (and every policy inside this one) fails, asks `sources` in order for an answer:
 * several sources are a chain. The first that answers makes the run `degraded` (source, reason,
 * age for a cache); every try is an attempt. When none answers, or a failure does not fall back
 * (`shouldFallback`; a cancellation by default; no source is tried once the caller aborted), it
 * throws a `FallbackFailedError` listing every attempt. Outermost in a `wrap`, it answers after
 * retries and breakers have given up. Sources run outside the inner policies: give a `dynamic`
 * source its own `policy` for a timeout.
 *
 * @example
 * const answer = wrap(
 *   fallback(dynamic((ctx) => backupTeam(task, ctx), { name: 'backup' }), cached(store, { key: task }), staticValue('Try again later.')),
 *   retry({ maxAttempts: 2 }),
 *   timeout(20_000),
 * );
 */
export function fallback<V>(...sources: FallbackSource<V>[]): Policy<V>;
export function fallback<V>(options: FallbackPolicyOptions, ...sources: FallbackSource<V>[]): Policy<V>;
export function fallback<V>(...args: (FallbackPolicyOptions | FallbackSource<V>)[]): Policy<V> {
  const first = args[0];
  const options: FallbackPolicyOptions = first && !('answer' in first) ? first : {};
  const sources = args.filter((a): a is FallbackSource<V> => 'answer' in a);
  const shouldFallback = options.shouldFallback ?? fallsBackByDefault;
  return definePolicy<V>(async <T>(work: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext) => {
    let value: T;
    try {
      value = await work(ctx);
    } catch (e) {
      return answerInstead(classifyError(e, { signal: ctx.signal, server: ctx.server }), ctx);
    }
    for (const source of sources) {
      const problem = await source.remember?.(value, ctx);
      if (problem) ctx.warn(problem);
    }
    return value;
  });

  async function answerInstead(error: AzcoreError, ctx: PolicyContext): Promise<V> {
    // The error may come from a policy that ran no attempt (validation): the list must show it.
    if (!ctx.attempts.some((a) => a.error === error)) {
      ctx.record({ source: ctx.source, ok: false, durationMs: 0, error, attempt: ctx.attempt });
    }
    let last = error;
    for (let i = 0; i < sources.length; i++) {
      if (ctx.signal.aborted || !shouldFallback(last)) {
        throw new FallbackFailedError(
          ctx.attempts.slice(),
          sources.slice(i).map((s) => s.name),
        );
      }
      const source = sources[i]!;
      const started = ctx.clock.now();
      try {
        const answer = await untilAborted(
          Promise.resolve().then(() => source.answer(error, ctx.with({ source: source.name }))),
          ctx.signal,
        );
        const now = ctx.clock.now();
        ctx.record({ source: source.name, ok: true, durationMs: now - started });
        const age =
          answer.cachedAt !== undefined ? { cachedAt: answer.cachedAt, ageMs: now - answer.cachedAt } : {};
        ctx.degrade({ source: source.name, error, ...age });
        return answer.value;
      } catch (e) {
        last = classifyError(e, { signal: ctx.signal, server: ctx.server });
        ctx.record({ source: source.name, ok: false, durationMs: ctx.clock.now() - started, error: last });
      }
    }
    throw new FallbackFailedError(ctx.attempts.slice());
  }
}
