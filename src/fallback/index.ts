export {
  type CacheCodec,
  type CachedCallOptions,
  CachedFallback,
  type CachedFallbackOptions,
  type CachedFallbackResult,
} from './CachedFallback.js';
export { type CacheEntry, type CacheStore, DEFAULT_MAX_ENTRIES, type MaybePromise } from './CacheStore.js';
export { cacheKey, canonicalJson, type JsonValue, jsonProblem } from './canonicalJson.js';
export { DynamicFallback, type DynamicFallbackResult } from './DynamicFallback.js';
export type { Executor, ExecutorLike, ExecutorOptions, NamedExecutor } from './Executor.js';
export { FallbackChain } from './FallbackChain.js';
export { FallbackFailedError, isFallbackFailedError } from './FallbackFailedError.js';
export { type FallbackCallOptions, type FallbackOptions, fallsBackByDefault } from './FallbackOptions.js';
export {
  type FallbackAttempt,
  type FallbackDegraded,
  type FallbackFailure,
  type FallbackResult,
  type FallbackSuccess,
  unwrapFallback,
} from './FallbackResult.js';
export { MemoryCacheStore, type MemoryCacheStoreOptions } from './MemoryCacheStore.js';
export { SqliteCacheStore, type SqliteCacheStoreOptions } from './SqliteCacheStore.js';
export {
  type TeamAnswer,
  type TeamExecutorOptions,
  type TeamLike,
  type ToolFailurePolicy,
  teamAnswerCodec,
  teamExecutor,
} from './teamExecutor.js';
export {
  type StaticFallbackOptions,
  type StaticFallbackResult,
  withStaticFallback,
} from './withStaticFallback.js';
