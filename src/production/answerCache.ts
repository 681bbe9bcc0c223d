import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { CacheStore } from '../fallback/CacheStore.js';
import { cacheKey } from '../fallback/canonicalJson.js';
import { MemoryCacheStore } from '../fallback/MemoryCacheStore.js';
import { SqliteCacheStore } from '../fallback/SqliteCacheStore.js';
import type { Logger } from '../observe/logger.js';
import type { Clock } from '../resilience/Clock.js';
import type { ProductionConfig } from './productionConfig.js';

const HOUR = 3_600_000;

/**
 * The last good answer per task, in a `CacheStore` (memory or SQLite). A cache problem never fails
 * a task: it is logged and the cache is skipped.
 */
export class AnswerCache {
  readonly #store: CacheStore;
  readonly #ownsStore: boolean;
  readonly #ttlMs: number;
  readonly #namespace: string;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;

  private constructor(
    store: CacheStore,
    ownsStore: boolean,
    ttlMs: number,
    namespace: string,
    clock: Clock,
    log: Logger | undefined,
  ) {
    this.#store = store;
    this.#ownsStore = ownsStore;
    this.#ttlMs = ttlMs;
    this.#namespace = namespace;
    this.#clock = clock;
    this.#log = log;
  }

  /** The cache a config asks for, or undefined when it asks for none. */
  static from(config: ProductionConfig, clock: Clock): AnswerCache | undefined {
    const option = config.cache;
    if (!option) return undefined;
    const { store, ttlMs = HOUR, maxEntries } = option === true ? {} : option;
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw new ConfigurationError(`cache.ttlMs must be a number of ms > 0, got ${ttlMs}.`);
    }
    const owned = store === undefined || typeof store === 'string';
    const resolved =
      store === undefined
        ? new MemoryCacheStore(maxEntries === undefined ? {} : { maxEntries })
        : typeof store === 'string'
          ? new SqliteCacheStore({ path: store, ...(maxEntries === undefined ? {} : { maxEntries }) })
          : store;
    return new AnswerCache(resolved, owned, ttlMs, `production:${config.name}`, clock, config.logger);
  }

  async get(task: string): Promise<{ answer: string; ageMs: number } | undefined> {
    try {
      const now = this.#clock.now();
      const entry = await this.#store.get(this.#key(task), now);
      if (!entry || typeof entry.value !== 'string') return undefined;
      return { answer: entry.value, ageMs: now - entry.storedAt };
    } catch (e) {
      this.#log?.warn({ operation: 'cache_read', err: String(e) }, 'answer cache read failed; skipping it');
      return undefined;
    }
  }

  async set(task: string, answer: string): Promise<void> {
    try {
      const now = this.#clock.now();
      await this.#store.set(this.#key(task), { value: answer, storedAt: now, expiresAt: now + this.#ttlMs });
    } catch (e) {
      this.#log?.warn({ operation: 'cache_write', err: String(e) }, 'answer cache write failed');
    }
  }

  async close(): Promise<void> {
    if (this.#ownsStore) await this.#store.close();
  }

  #key(task: string): string {
    return cacheKey({ namespace: this.#namespace, request: task.normalize('NFC').trim() });
  }
}
