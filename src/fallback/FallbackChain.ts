import { ConfigurationError } from '../errors/ConfigurationError.js';
import { type ExecutorLike, type NamedExecutor, namedExecutor } from './Executor.js';
import {
  type FallbackCallOptions,
  type FallbackOptions,
  type ResolvedFallbackOptions,
  resolveFallbackOptions,
} from './FallbackOptions.js';
import type { FallbackResult } from './FallbackResult.js';
import { trySources } from './trySources.js';

/**
 * Ordered options (teams via `teamExecutor`, or any async functions), tried one after the other
 * until one answers. The first option answering is a `success`; a later one is `degraded` with the
 * first failure's kind as `reason`. When all fail, the result is `failed` with a
 * `FallbackFailedError` listing every attempt and its error. Every attempt is in `attempts`.
 *
 * @example
 * const chain = new FallbackChain([
 *   { name: 'Primary API', run: teamExecutor(primaryTeam) },
 *   { name: 'Backup API', run: teamExecutor(backupTeam) },
 *   { name: 'Local Server', run: teamExecutor(localTeam) },
 * ], { timeoutMs: 20_000 });
 * const result = await chain.execute('Process data');
 * console.log(result.status, result.source, result.attempts.map((a) => `${a.source}: ${a.ok ? 'ok' : a.error?.kind}`));
 */
export class FallbackChain<T> {
  /** The options' names, in the order they are tried. */
  readonly names: readonly string[];
  readonly #options: readonly NamedExecutor<T>[];
  readonly #settings: ResolvedFallbackOptions;

  constructor(options: readonly ExecutorLike<T>[], settings: FallbackOptions = {}) {
    if (options.length === 0) {
      throw new ConfigurationError('A FallbackChain needs at least one option.', {
        hint: 'Pass the executors to try, in order: new FallbackChain([primary, backup]).',
      });
    }
    this.#options = options.map(namedExecutor);
    this.names = this.#options.map((o) => o.name);
    this.#settings = resolveFallbackOptions('FallbackChain', settings);
  }

  /** Tries the options in order until one answers. Never throws: a failure is a `failed` result. */
  execute(task: string, options: FallbackCallOptions = {}): Promise<FallbackResult<T>> {
    return trySources<T, string>(this.#options, task, { ...this.#settings, signal: options.signal });
  }
}
