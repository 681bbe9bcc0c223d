import type { AzcoreError } from '../errors/AzcoreError.js';
import { fallback } from '../policy/fallback.js';
import type { Outcome } from '../policy/Outcome.js';
import type { Policy } from '../policy/Policy.js';
import { run } from '../policy/run.js';
import { timeout } from '../policy/timeout.js';
import { wrap } from '../policy/wrap.js';
import type { Clock } from '../resilience/Clock.js';
import type { CacheStore } from './CacheStore.js';
import { type CacheCodec, cached, cacheKeyOf } from './cached.js';
import type { Executor } from './Executor.js';
import { MemoryCacheStore } from './MemoryCacheStore.js';
import { SqliteCacheStore } from './SqliteCacheStore.js';

/** Options of {@link CachedFallback}. */
export interface CachedFallbackOptions<T> {
  /** A store you own, or a file path for a `SqliteCacheStore` closed by {@link CachedFallback.close}. Default: memory. */
  store?: CacheStore | string | undefined;
  ttlMs?: number | undefined;
  namespace?: string | undefined;
  codec?: CacheCodec<T> | undefined;
  /** The request a task stands for. Default: the task. */
  keyOf?: ((task: string) => unknown) | undefined;
  shouldFallback?: ((error: AzcoreError) => boolean) | undefined;
  /** Budget of the live call in ms. */
  timeoutMs?: number | undefined;
  clock?: Clock | undefined;
}

/**
 * @deprecated One way to do it: `run(wrap(fallback(cached(store, { key: task })), timeout(ms)), (ctx) => executor(task, ctx))`.
 * This class is that composition with a store it may own; it stays while the fleet code uses it.
 *
 * @example
 * const answers = new CachedFallback(teamExecutor(team), { store, codec: teamAnswerCodec });
 * const outcome = await answers.execute('Analyze data'); // an Outcome: success from live, or degraded from cache
 */
export class CachedFallback<T> {
  readonly store: CacheStore;
  readonly namespace: string;
  readonly #executor: Executor<T>;
  readonly #options: CachedFallbackOptions<T>;
  readonly #ownsStore: boolean;

  constructor(executor: Executor<T>, options: CachedFallbackOptions<T> = {}) {
    this.#executor = executor;
    this.#options = options;
    this.namespace = options.namespace ?? 'default';
    const store = options.store ?? new MemoryCacheStore();
    this.#ownsStore = typeof store === 'string';
    this.store = typeof store === 'string' ? new SqliteCacheStore({ path: store }) : store;
    this.#source('');
  }

  /** The cache key of `task` (sha256 hex). */
  keyFor(task: string): string {
    return cacheKeyOf(this.#options.keyOf ? this.#options.keyOf(task) : task, this.namespace);
  }

  /** Runs `task` live, caching a success; on a failure that falls back, serves the cache. Never throws. */
  execute(task: string, options: { signal?: AbortSignal | undefined } = {}): Promise<Outcome<T>> {
    const { shouldFallback, timeoutMs, clock } = this.#options;
    const policies: Policy<T>[] = [fallback({ shouldFallback }, this.#source(task))];
    if (timeoutMs !== undefined) policies.push(timeout(timeoutMs) as Policy<T>);
    return run(wrap(...policies), (ctx) => this.#executor(task, ctx), {
      signal: options.signal,
      clock,
      source: 'live',
    }) as Promise<Outcome<T>>;
  }

  /** Closes the store if this object opened it (a `store` path). */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.store.close();
  }

  #source(task: string) {
    const { ttlMs, codec, keyOf } = this.#options;
    return cached(this.store, { key: keyOf ? keyOf(task) : task, ttlMs, namespace: this.namespace, codec });
  }
}
