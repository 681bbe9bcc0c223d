import type { AzcoreError } from '../errors/AzcoreError.js';
import type { FallbackSource } from './FallbackSource.js';

/**
 * A fallback source that always answers: a fixed value, or one computed from the typed error. To
 * answer with a value that is itself a function, return it from a function. A function that
 * throws is a failed attempt.
 *
 * @example
 * const user = await run(wrap(fallback(staticValue((e) => ({ name: 'unknown', note: `unavailable (${e.kind})` })))), (ctx) => api.user('42', ctx.signal));
 */
export function staticValue<V>(
  value: V | ((error: AzcoreError) => V),
  options: { name?: string | undefined } = {},
): FallbackSource<V> {
  const valueFor = typeof value === 'function' ? (value as (error: AzcoreError) => V) : () => value;
  return {
    name: options.name ?? 'static',
    answer: async (error) => ({ value: valueFor(error) }),
  };
}
