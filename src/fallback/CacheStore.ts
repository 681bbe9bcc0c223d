import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { JsonValue } from './canonicalJson.js';

/** One cached result. Times are epoch ms on the cache owner's clock. */
export interface CacheEntry {
  value: JsonValue;
  storedAt: number;
  /** The entry is not served at or after this time. */
  expiresAt: number;
}

/** A result that may be a promise: the embedded stores answer synchronously, remote ones need not. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Where `CachedFallback` keeps results: JSON values under sha256 keys, never code. Stores keep
 * at most a bounded number of entries, evicting the least recently used first, and never serve an
 * expired entry. `MemoryCacheStore` and `SqliteCacheStore` implement it.
 *
 * @example
 * await store.set(key, { value: { answer: 'ok' }, storedAt: now, expiresAt: now + 60_000 });
 * const entry = await store.get(key, clock.now()); // undefined once expired
 */
export interface CacheStore {
  /** The entry under `key` unless missing or expired at `now` (an expired one is removed). A hit counts as a use. */
  get(key: string, now: number): MaybePromise<CacheEntry | undefined>;
  /** Stores `entry`, replacing any under `key`; then drops expired entries and the least recently used beyond the bound. */
  set(key: string, entry: CacheEntry): MaybePromise<void>;
  delete(key: string): MaybePromise<boolean>;
  clear(): MaybePromise<void>;
  /** Entries held now (expired ones not yet dropped included). */
  size(): MaybePromise<number>;
  /** Releases the store. Idempotent. */
  close(): MaybePromise<void>;
}

/** Default bound of the stores. */
export const DEFAULT_MAX_ENTRIES = 1_000;

/** Checks a `maxEntries` option: an integer >= 1. */
export function checkMaxEntries(owner: string, value: number | undefined): number {
  const max = value ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isInteger(max) || max < 1) {
    throw new ConfigurationError(
      `Invalid ${owner} option 'maxEntries': must be an integer >= 1, got ${String(value)}.`,
      {
        hint: `Leave it out for the default of ${DEFAULT_MAX_ENTRIES}.`,
      },
    );
  }
  return max;
}
