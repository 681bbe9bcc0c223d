// azcore/cache: the cache stores behind cached fallbacks (memory, SQLite) and their key helpers.
// SqliteCacheStore loads its driver (node:sqlite or better-sqlite3) only when a store opens.
// Explicit named exports only (DESIGN rule 7).

export {
  type CacheEntry,
  type CacheStore,
  DEFAULT_MAX_ENTRIES,
  type MaybePromise,
} from '../fallback/CacheStore.js';
export type { CacheCodec } from '../fallback/cached.js';
export { cacheKey, canonicalJson, type JsonValue, jsonProblem } from '../fallback/canonicalJson.js';
export { MemoryCacheStore, type MemoryCacheStoreOptions } from '../fallback/MemoryCacheStore.js';
export {
  SqliteCacheStore,
  type SqliteCacheStoreOptions,
  type SqliteDriver,
} from '../fallback/SqliteCacheStore.js';
