import { type CacheEntry, type CacheStore, checkMaxEntries } from './CacheStore.js';
import type { JsonValue } from './canonicalJson.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Entries kept at most; the least recently used go first. Default 1000. */
  maxEntries?: number | undefined;
}

interface Stored {
  json: string;
  storedAt: number;
  expiresAt: number;
}

/**
 * A {@link CacheStore} in process memory, for tests and short-lived processes. Values are kept as
 * JSON text, so a caller mutating a result later cannot change what the cache serves.
 *
 * @example
 * const store = new MemoryCacheStore({ maxEntries: 100 });
 * const cached = new CachedFallback(teamExecutor(team), { store, codec: teamAnswerCodec });
 */
export class MemoryCacheStore implements CacheStore {
  readonly maxEntries: number;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  readonly #entries = new Map<string, Stored>();

  constructor(options: MemoryCacheStoreOptions = {}) {
    this.maxEntries = checkMaxEntries('MemoryCacheStore', options.maxEntries);
  }

  get(key: string, now: number): CacheEntry | undefined {
    const stored = this.#entries.get(key);
    if (!stored) return undefined;
    this.#entries.delete(key);
    if (now >= stored.expiresAt) return undefined;
    this.#entries.set(key, stored);
    return {
      value: JSON.parse(stored.json) as JsonValue,
      storedAt: stored.storedAt,
      expiresAt: stored.expiresAt,
    };
  }

  set(key: string, entry: CacheEntry): void {
    this.#entries.delete(key);
    this.#entries.set(key, {
      json: JSON.stringify(entry.value),
      storedAt: entry.storedAt,
      expiresAt: entry.expiresAt,
    });
    if (this.#entries.size <= this.maxEntries) return;
    for (const [k, stored] of this.#entries) if (entry.storedAt >= stored.expiresAt) this.#entries.delete(k);
    for (const k of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries) break;
      this.#entries.delete(k);
    }
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  size(): number {
    return this.#entries.size;
  }

  close(): void {
    this.#entries.clear();
  }
}
