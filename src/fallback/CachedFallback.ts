import type { AzcoreError } from '../errors/AzcoreError.js';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ResourceError } from '../errors/ResourceError.js';
import type { CacheStore } from './CacheStore.js';
import { cacheKey, type JsonValue, jsonProblem } from './canonicalJson.js';
import type { Executor } from './Executor.js';
import { FallbackFailedError } from './FallbackFailedError.js';
import {
  type FallbackOptions,
  type ResolvedFallbackOptions,
  resolveFallbackOptions,
} from './FallbackOptions.js';
import type { FallbackDegraded, FallbackFailure, FallbackSuccess } from './FallbackResult.js';
import { MemoryCacheStore } from './MemoryCacheStore.js';
import { recordStep, runAttempt } from './runAttempt.js';
import { SqliteCacheStore } from './SqliteCacheStore.js';

/** Turns results into plain JSON for the cache and back. */
export interface CacheCodec<T> {
  encode(value: T): JsonValue;
  decode(json: JsonValue): T;
}

/** Options of {@link CachedFallback}. */
export interface CachedFallbackOptions<T> extends FallbackOptions {
  /**
   * Where results go: a {@link CacheStore} you own (and close), or a file path for a
   * {@link SqliteCacheStore} this fallback owns and closes in {@link CachedFallback.close}.
   * Default: a {@link MemoryCacheStore}.
   */
  store?: CacheStore | string | undefined;
  /** How long a result may be served after it was stored, in ms. Default 1 hour. */
  ttlMs?: number | undefined;
  /** Keeps the entries of different executors apart in one store. Default `'default'`. */
  namespace?: string | undefined;
  /** Needed when results are not plain JSON (team answers: `teamAnswerCodec`). Default: results are JSON. */
  codec?: CacheCodec<T> | undefined;
  /** The request a task stands for; its canonical JSON is hashed into the key. Default: the task, NFC-normalized and trimmed. */
  keyOf?: ((task: string) => unknown) | undefined;
}

/** Per-call options of {@link CachedFallback.execute}. */
export interface CachedCallOptions {
  signal?: AbortSignal | undefined;
  /** False skips the cache: no read, no write. Default true. */
  useCache?: boolean | undefined;
}

/** What {@link CachedFallback.execute} returns. */
export type CachedFallbackResult<T> =
  /** `cacheError`: the live result could not be cached (it is still returned). */
  | (FallbackSuccess<T, 'live'> & { cacheError?: AzcoreError | undefined })
  /** `cachedAt` (epoch ms) and `ageMs` say how old the served result is. */
  | (FallbackDegraded<T, 'cache'> & { cachedAt: number; ageMs: number })
  | FallbackFailure;

const HOUR = 3_600_000;
const jsonCodec = { encode: (v: unknown) => v as JsonValue, decode: (j: JsonValue) => j };

/**
 * Runs the executor live and caches every success; when the live call fails, serves the last
 * cached result for the same task (`status: 'degraded'`, `source: 'cache'`) if it is younger than
 * `ttlMs`. Keys are sha256 of the canonical JSON of the request; values are JSON only.
 *
 * @example
 * const cached = new CachedFallback(teamExecutor(team), {
 *   store: new SqliteCacheStore({ path: './cache/answers.sqlite' }),
 *   codec: teamAnswerCodec,
 *   ttlMs: 6 * 3_600_000,
 * });
 * const result = await cached.execute('Analyze data');
 * if (result.status === 'degraded') console.log(`served from cache, ${Math.round(result.ageMs / 1000)} s old`);
 */
export class CachedFallback<T> {
  readonly store: CacheStore;
  readonly ttlMs: number;
  readonly namespace: string;
  readonly #executor: Executor<T>;
  readonly #ownsStore: boolean;
  readonly #codec: CacheCodec<T>;
  readonly #keyOf: (task: string) => unknown;
  readonly #options: ResolvedFallbackOptions;

  constructor(executor: Executor<T>, options: CachedFallbackOptions<T> = {}) {
    this.#options = resolveFallbackOptions('CachedFallback', options);
    const ttlMs = options.ttlMs ?? HOUR;
    if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
      throw new ConfigurationError(
        `Invalid CachedFallback option 'ttlMs': must be a finite number of ms > 0, got ${String(options.ttlMs)}.`,
        { hint: 'Leave it out for one hour.' },
      );
    }
    this.ttlMs = ttlMs;
    this.namespace = options.namespace ?? 'default';
    this.#executor = executor;
    this.#codec = options.codec ?? (jsonCodec as CacheCodec<T>);
    this.#keyOf = options.keyOf ?? ((task) => task.normalize('NFC').trim());
    const store = options.store ?? new MemoryCacheStore();
    this.#ownsStore = typeof store === 'string';
    this.store = typeof store === 'string' ? new SqliteCacheStore({ path: store }) : store;
  }

  /** The cache key of `task` (sha256 hex). */
  keyFor(task: string): string {
    const request = this.#keyOf(task);
    const problem = jsonProblem(request, 'keyOf(task)');
    if (problem) {
      throw new ConfigurationError(`CachedFallback keys must be plain JSON: ${problem}.`, {
        code: 'NOT_JSON',
        hint: 'Make keyOf return strings, numbers, arrays and plain objects only.',
      });
    }
    return cacheKey({ namespace: this.namespace, request });
  }

  /** Runs `task` live, caching a success; on a failure that falls back, serves the cache. Never throws. */
  async execute(task: string, options: CachedCallOptions = {}): Promise<CachedFallbackResult<T>> {
    const useCache = options.useCache ?? true;
    const { clock, shouldFallback } = this.#options;
    const live = await runAttempt('live', this.#executor, task, { ...this.#options, signal: options.signal });
    if (live.ok) {
      const cacheError = useCache ? await this.#save(task, live.value) : undefined;
      const success = {
        status: 'success',
        source: 'live',
        value: live.value,
        attempts: [live.attempt],
      } as const;
      return cacheError ? { ...success, cacheError } : success;
    }
    const error = live.error;
    if (!useCache || options.signal?.aborted === true || !shouldFallback(error)) {
      const attempts = [live.attempt];
      const untried = useCache ? ['cache'] : [];
      return {
        status: 'failed',
        reason: error.kind,
        error: new FallbackFailedError(attempts, untried),
        attempts,
      };
    }
    const cached = await recordStep('cache', clock, () => this.#load(task));
    const attempts = [live.attempt, cached.attempt];
    if (!cached.ok) {
      return { status: 'failed', reason: error.kind, error: new FallbackFailedError(attempts), attempts };
    }
    const { value, storedAt } = cached.value;
    return {
      status: 'degraded',
      source: 'cache',
      value,
      reason: error.kind,
      error,
      attempts,
      cachedAt: storedAt,
      ageMs: clock.now() - storedAt,
    };
  }

  /** Closes the store if this fallback opened it (a `store` path); a store you passed stays yours. */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.store.close();
  }

  async #save(task: string, value: T): Promise<AzcoreError | undefined> {
    try {
      const json = this.#codec.encode(value);
      const problem = jsonProblem(json);
      if (problem) {
        throw new ConfigurationError(
          `CachedFallback caches plain JSON only, and the result is not: ${problem}.`,
          {
            code: 'NOT_JSON',
            hint: 'Pass a codec that turns results into plain JSON (teamAnswerCodec for team answers).',
          },
        );
      }
      const now = this.#options.clock.now();
      await this.store.set(this.keyFor(task), { value: json, storedAt: now, expiresAt: now + this.ttlMs });
      return undefined;
    } catch (e) {
      return cacheFailure(e, 'store');
    }
  }

  async #load(task: string): Promise<{ value: T; storedAt: number }> {
    const key = this.keyFor(task);
    const entry = await this.store.get(key, this.#options.clock.now());
    if (!entry) {
      throw new ResourceError(
        `No cached result for this task younger than ${formatMs(this.ttlMs)} (key ${key.slice(0, 12)}): nothing to serve while the live call fails.`,
        {
          code: 'CACHE_MISS',
          retryable: false,
          hint: 'The cache fills on every live success; fix the live failure.',
        },
      );
    }
    try {
      return { value: this.#codec.decode(entry.value), storedAt: entry.storedAt };
    } catch (e) {
      throw cacheFailure(e, 'read');
    }
  }
}

function cacheFailure(e: unknown, step: 'store' | 'read'): AzcoreError {
  if (isAzcoreError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ConfigurationError(
    `The cache codec failed to ${step === 'store' ? 'encode' : 'decode'} a result: ${message}.`,
    {
      cause: e,
      code: 'CACHE_CODEC',
      hint: 'Fix the codec: decode(encode(result)) must give the result back.',
    },
  );
}

function formatMs(ms: number): string {
  if (ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}
