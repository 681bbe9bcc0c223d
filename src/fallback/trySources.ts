import type { AzcoreError } from '../errors/AzcoreError.js';
import type { NamedExecutor } from './Executor.js';
import { FallbackFailedError } from './FallbackFailedError.js';
import type { ResolvedFallbackOptions } from './FallbackOptions.js';
import type { FallbackAttempt, FallbackResult } from './FallbackResult.js';
import { runAttempt } from './runAttempt.js';

/**
 * Tries `sources` in order until one answers. The first answers `success`, a later one `degraded`
 * (reason: the first failure). Stops early when the caller's signal aborted or `shouldFallback`
 * says no; then, or when every source failed, the result is `failed`.
 */
export async function trySources<T, S extends string>(
  sources: readonly NamedExecutor<T>[],
  task: string,
  options: ResolvedFallbackOptions & { signal?: AbortSignal | undefined },
): Promise<FallbackResult<T, S>> {
  const attempts: FallbackAttempt[] = [];
  let first: AzcoreError | undefined;
  for (let i = 0; i < sources.length; i++) {
    const { name, run } = sources[i]!;
    const outcome = await runAttempt(name, run, task, options);
    attempts.push(outcome.attempt);
    if (outcome.ok) {
      const source = name as S;
      if (!first) return { status: 'success', source, value: outcome.value, attempts };
      return { status: 'degraded', source, value: outcome.value, reason: first.kind, error: first, attempts };
    }
    first ??= outcome.error;
    const stop = options.signal?.aborted === true || !options.shouldFallback(outcome.error);
    if (stop || i === sources.length - 1) {
      const untried = sources.slice(i + 1).map((s) => s.name);
      return {
        status: 'failed',
        reason: first.kind,
        error: new FallbackFailedError(attempts, untried),
        attempts,
      };
    }
  }
  throw new TypeError('trySources needs at least one source.');
}
