import type { AzcoreError } from '../errors/AzcoreError.js';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ResourceError } from '../errors/ResourceError.js';
import type { FallbackSource } from '../policy/FallbackSource.js';
import type { CacheStore } from './CacheStore.js';
import { cacheKey, type JsonValue, jsonProblem } from './canonicalJson.js';

/**
 * Turns results into plain JSON for the cache and back.
 *
 * @example const dates: CacheCodec<Date> = { encode: (d) => d.toISOString(), decode: (j) => new Date(String(j)) };
 */
export interface CacheCodec<T> {
  encode(value: T): JsonValue;
  decode(json: JsonValue): T;
}

/**
 * Options of {@link cached}.
 *
 * @example cached(store, { key: { tool: 'search', args }, ttlMs: 10 * 60_000, namespace: 'search' })
 */
export interface CachedSourceOptions<V> {
  /**
   * The request the answer belongs to (a task, `{ tool, args }`): plain JSON, hashed with the
   * namespace into the key. A string is NFC-normalized and trimmed first.
   */
  key: unknown;
  /** How long an answer may be served after it was stored, in ms. Default 1 hour. */
  ttlMs?: number | undefined;
  /** Keeps the entries of different work apart in one store. Default `'default'`. */
  namespace?: string | undefined;
  /** Needed when answers are not plain JSON (team answers: `teamAnswerCodec`). */
  codec?: CacheCodec<V> | undefined;
  /** Name in attempts and outcomes. Default `cache`. */
  name?: string | undefined;
}

const HOUR = 3_600_000;

/**
 * The cache key of a request: sha256 (hex) of the canonical JSON of `{ namespace, request }`, a
 * string request NFC-normalized and trimmed. Every replica computes the same key for the same task.
 *
 * @example cacheKeyOf('Analyze data', 'reports') === cacheKeyOf('  Analyze data\n', 'reports') // true
 */
export function cacheKeyOf(key: unknown, namespace = 'default'): string {
  const request = typeof key === 'string' ? key.normalize('NFC').trim() : key;
  const problem = jsonProblem(request, 'key');
  if (problem) {
    throw new ConfigurationError(`Cache keys must be plain JSON: ${problem}.`, {
      code: 'NOT_JSON',
      hint: 'Key on strings, numbers, arrays and plain objects only.',
    });
  }
  return cacheKey({ namespace, request });
}

/**
 * A fallback source that serves the last answer the work gave for the same `key`, if younger than
 * `ttlMs`; the outcome says how old (`cachedAt`, `ageMs`). Every answer of the work is stored
 * (plain JSON only; a failed write is a warning and never costs the answer). The cache is read
 * after a failure, never before. The store stays yours to close.
 *
 * @example
 * const store = new SqliteCacheStore({ path: './cache/answers.sqlite' });
 * const outcome = await run(wrap(fallback(cached(store, { key: task, codec: teamAnswerCodec })), timeout(30_000)),
 *   (ctx) => teamExecutor(team)(task, ctx));
 */
export function cached<V>(store: CacheStore, options: CachedSourceOptions<V>): FallbackSource<V> {
  const ttlMs = options.ttlMs ?? HOUR;
  if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new ConfigurationError(
      `Invalid cached option 'ttlMs': must be a finite number of ms > 0, got ${String(options.ttlMs)}.`,
      { hint: 'Leave it out for one hour.' },
    );
  }
  const codec = options.codec;
  const key = cacheKeyOf(options.key, options.namespace);
  return {
    name: options.name ?? 'cache',
    async answer(_error, ctx) {
      const entry = await store.get(key, ctx.clock.now());
      if (!entry) {
        throw new ResourceError(
          `No cached result for this task younger than ${formatMs(ttlMs)} (key ${key.slice(0, 12)}): nothing to serve while the live call fails.`,
          {
            code: 'CACHE_MISS',
            retryable: false,
            hint: 'The cache fills on every live success; fix the live failure.',
          },
        );
      }
      try {
        const value = codec ? codec.decode(entry.value) : (entry.value as V);
        return { value, cachedAt: entry.storedAt };
      } catch (e) {
        throw codecFailure(e, 'read');
      }
    },
    async remember(value, ctx) {
      try {
        const json = codec ? codec.encode(value as V) : value;
        const problem = jsonProblem(json);
        if (problem) {
          throw new ConfigurationError(
            `The cache keeps plain JSON only, and the result is not: ${problem}.`,
            {
              code: 'NOT_JSON',
              hint: 'Pass a codec that turns results into plain JSON (teamAnswerCodec for team answers).',
            },
          );
        }
        const now = ctx.clock.now();
        await store.set(key, { value: json as JsonValue, storedAt: now, expiresAt: now + ttlMs });
        return undefined;
      } catch (e) {
        return codecFailure(e, 'store');
      }
    },
  };
}

function codecFailure(e: unknown, step: 'store' | 'read'): AzcoreError {
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
