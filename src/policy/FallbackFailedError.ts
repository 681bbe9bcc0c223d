import { AzcoreError, type ErrorKind } from '../errors/AzcoreError.js';
import type { Attempt } from './Outcome.js';

/**
 * Every source of a fallback failed, or the first failure was of a kind that does not fall back
 * (a cancellation, by default). The message lists every attempt with its error; `kind` is the
 * kind of the first failure, `lastError` the last one, `untried` the sources never reached.
 *
 * @example
 * const outcome = await run(wrap(fallback(dynamic(backup, { name: 'backup' }))), primary);
 * if (isFallbackFailedError(outcome.error)) for (const a of outcome.error.attempts) console.log(a.source, a.error?.code);
 */
export class FallbackFailedError extends AzcoreError {
  readonly kind: ErrorKind;
  readonly attempts: readonly Attempt[];
  readonly lastError: AzcoreError;
  readonly untried: readonly string[];

  /** `attempts` must hold at least one failed attempt. */
  constructor(attempts: readonly Attempt[], untried: readonly string[] = []) {
    const failed = attempts.filter((a): a is Attempt & { error: AzcoreError } => a.error !== undefined);
    const first = failed[0];
    const last = failed.at(-1);
    if (!first || !last) throw new TypeError('FallbackFailedError needs at least one failed attempt.');
    const lines = attempts.map(
      (a, i) => `  ${i + 1}. ${a.source} (${Math.round(a.durationMs)} ms): ${a.error?.message ?? 'ok'}`,
    );
    const headline =
      untried.length === 0
        ? `Every source failed (${attempts.length} tried):`
        : `'${last.source}' failed with a ${last.error.kind} error, which does not fall back; not tried: ${untried.join(', ')}.`;
    const retryable = failed.some((a) => a.error.retryable);
    const details = {
      cause: last.error,
      hint:
        untried.length === 0
          ? 'Fix the first failure above, or end the list with a source that cannot fail (staticValue).'
          : 'Change shouldFallback of the fallback policy if this kind of failure should try the next source.',
    };
    super(`${headline}\n${lines.join('\n')}\n`, details, { code: 'FALLBACK_FAILED', retryable });
    this.kind = first.error.kind;
    this.attempts = attempts;
    this.lastError = last.error;
    this.untried = untried;
  }
}

/** True when `e` is a {@link FallbackFailedError}. */
export function isFallbackFailedError(e: unknown): e is FallbackFailedError {
  return e instanceof FallbackFailedError;
}
