import type { AzcoreError } from '../errors/AzcoreError.js';
import type { PolicyContext } from './PolicyContext.js';

/**
 * What a source gives back: the value, and for cached answers when it was stored.
 *
 * @example return { value: entry.answer, cachedAt: entry.storedAt };
 */
export interface SourceAnswer<V> {
  value: V;
  /** Epoch ms the answer was stored (cached answers). */
  cachedAt?: number | undefined;
}

/**
 * Where a {@link fallback} gets an answer when the work failed: `staticValue`, `dynamic`, `cached`,
 * or your own. `answer` throws when it has none (a cache miss); `remember` sees every answer of the
 * work (a cache stores it) and returns the error of a write that failed, which becomes a warning.
 *
 * @example
 * const fromMirror: FallbackSource<string> = { name: 'mirror', answer: async () => ({ value: await mirror.get() }) };
 */
export interface FallbackSource<V> {
  readonly name: string;
  answer(error: AzcoreError, ctx: PolicyContext): Promise<SourceAnswer<V>>;
  remember?(value: unknown, ctx: PolicyContext): Promise<AzcoreError | undefined>;
}
