import type { Executor } from './Executor.js';
import {
  type FallbackCallOptions,
  type FallbackOptions,
  type ResolvedFallbackOptions,
  resolveFallbackOptions,
} from './FallbackOptions.js';
import type { FallbackResult } from './FallbackResult.js';
import { trySources } from './trySources.js';

/** What {@link DynamicFallback.execute} returns: `source` says which of the two answered. */
export type DynamicFallbackResult<T> = FallbackResult<T, 'primary' | 'fallback'>;

/**
 * A primary executor, and a fallback one for when the primary fails in a way that should fall
 * back (`shouldFallback`, by error kind: by default everything but a cancellation). The result
 * says which one answered and, when degraded, the kind of the primary's failure as `reason`.
 *
 * @example
 * const dynamic = new DynamicFallback(teamExecutor(primaryTeam), teamExecutor(localTeam), {
 *   shouldFallback: (e) => e.kind === 'connection' || e.kind === 'timeout' || e.kind === 'circuitOpen',
 *   timeoutMs: 30_000,
 * });
 * const result = await dynamic.execute('Process data');
 * if (result.status === 'degraded') console.warn(`answered by the fallback after a ${result.reason} failure`);
 */
export class DynamicFallback<T> {
  readonly #primary: Executor<T>;
  readonly #fallback: Executor<T>;
  readonly #options: ResolvedFallbackOptions;

  constructor(primary: Executor<T>, fallback: Executor<T>, options: FallbackOptions = {}) {
    this.#primary = primary;
    this.#fallback = fallback;
    this.#options = resolveFallbackOptions('DynamicFallback', options);
  }

  /** Runs `task` on the primary, then on the fallback if the primary's failure falls back. Never throws. */
  execute(task: string, options: FallbackCallOptions = {}): Promise<DynamicFallbackResult<T>> {
    return trySources<T, 'primary' | 'fallback'>(
      [
        { name: 'primary', run: this.#primary },
        { name: 'fallback', run: this.#fallback },
      ],
      task,
      { ...this.#options, signal: options.signal },
    );
  }
}
