import { isAzcoreError } from '../errors/AzcoreError.js';
import { type CacheEntry, type CacheStore, checkMaxEntries } from '../fallback/CacheStore.js';
import type { JsonValue } from '../fallback/canonicalJson.js';
import { MemoryCacheStore } from '../fallback/MemoryCacheStore.js';
import { CACHE_CLEAR, CACHE_DELETE, CACHE_GET, CACHE_SET, CACHE_SIZE, cacheKeys } from './cacheScript.js';
import { FLEET_REDIS_UNAVAILABLE, type FleetConnection } from './FleetConnection.js';

/** Options of {@link RedisCacheStore}. */
export interface RedisCacheStoreOptions {
  /** Entries kept at most, fleet-wide; the least recently used (by any replica) go first. Default 1000. */
  maxEntries?: number | undefined;
  /** Keeps caches apart in one Redis (a `{hash tag}` of the keys). Default `'answers'`. */
  name?: string | undefined;
  /**
   * What this replica serves while Redis is unavailable: a store of its own that every `set` also
   * writes. Default a {@link MemoryCacheStore} with the same bound; `false` for none (then a read
   * while Redis is lost throws a retryable `FLEET_REDIS_UNAVAILABLE`).
   */
  local?: CacheStore | false | undefined;
}

interface Stored {
  v: JsonValue;
  s: number;
  e: number;
}

const isUnavailable = (e: unknown) => isAzcoreError(e) && e.code === FLEET_REDIS_UNAVAILABLE;

/**
 * A {@link CacheStore} in Redis, shared by the replicas of a fleet: an answer one replica cached is
 * served by the others. Keys are the ones `CachedFallback.keyFor` makes (sha256 of the canonical
 * request; nothing is hashed again here), values JSON text with Redis' own TTL (`PX`), the bound
 * and the least-recently-used order kept in a sorted set by Lua scripts (one round trip each).
 *
 * Redis lost or slow: `get` serves this replica's local copy, `set` writes the local copy and
 * shares the entry once Redis answers again (unless another replica stored that key meanwhile).
 *
 * @example
 * const redis = new FleetConnection({ url: process.env.REDIS_URL });
 * await redis.start();
 * const cached = new CachedFallback(teamExecutor(team), { store: new RedisCacheStore(redis), codec: teamAnswerCodec });
 */
export class RedisCacheStore implements CacheStore {
  readonly maxEntries: number;
  readonly #redis: FleetConnection;
  readonly #keys: ReturnType<typeof cacheKeys>;
  readonly #local: CacheStore | undefined;
  /** Keys set while Redis was unavailable: shared on the next resync. Bounded like the store. */
  readonly #unshared = new Set<string>();
  readonly #unregister: () => void;
  #closed = false;

  constructor(redis: FleetConnection, options: RedisCacheStoreOptions = {}) {
    this.maxEntries = checkMaxEntries('RedisCacheStore', options.maxEntries);
    this.#redis = redis;
    this.#keys = cacheKeys(redis.prefix, options.name ?? 'answers');
    this.#local =
      options.local === false
        ? undefined
        : (options.local ?? new MemoryCacheStore({ maxEntries: this.maxEntries }));
    this.#unregister = redis.onRestored(() => this.#share());
  }

  async get(key: string, now: number): Promise<CacheEntry | undefined> {
    let json: unknown;
    try {
      json = await this.#redis.script(
        'cache get',
        CACHE_GET,
        [this.#keys.lru, this.#keys.seq],
        [this.#keys.entry, key],
      );
    } catch (e) {
      if (this.#local && isUnavailable(e)) return this.#local.get(key, now);
      throw e;
    }
    if (typeof json !== 'string') return undefined;
    const stored = JSON.parse(json) as Stored;
    if (now >= stored.e) {
      // Redis' TTL runs on its clock, expiry on the owner's: whichever comes first wins.
      await this.delete(key).catch(() => false);
      return undefined;
    }
    return { value: stored.v, storedAt: stored.s, expiresAt: stored.e };
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    await this.#local?.set(key, entry);
    try {
      await this.#write(key, entry);
      this.#unshared.delete(key);
    } catch (e) {
      if (!(this.#local && isUnavailable(e))) throw e;
      this.#unshared.delete(key);
      this.#unshared.add(key);
      for (const k of this.#unshared) {
        if (this.#unshared.size <= this.maxEntries) break;
        this.#unshared.delete(k);
      }
    }
  }

  async delete(key: string): Promise<boolean> {
    await this.#local?.delete(key);
    this.#unshared.delete(key);
    const n = await this.#redis.script(
      'cache delete',
      CACHE_DELETE,
      [this.#keys.lru],
      [this.#keys.entry, key],
    );
    return Number(n) > 0;
  }

  /** Deletes every entry of this cache, fleet-wide. */
  async clear(): Promise<void> {
    await this.#local?.clear();
    this.#unshared.clear();
    await this.#redis.script(
      'cache clear',
      CACHE_CLEAR,
      [this.#keys.lru, this.#keys.seq],
      [this.#keys.entry],
    );
  }

  /** Entries held in Redis now (fleet-wide). */
  async size(): Promise<number> {
    return Number(await this.#redis.script('cache size', CACHE_SIZE, [this.#keys.lru], [this.#keys.entry]));
  }

  /** Forgets the local copy; the connection stays open (it is the caller's). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unregister();
    this.#unshared.clear();
    await this.#local?.close();
  }

  /** Stores `entry` with `PX` = what is left of its life (measured from `from`, default when stored). */
  async #write(key: string, entry: CacheEntry, from = entry.storedAt): Promise<void> {
    const ttlMs = Math.max(1, Math.ceil(entry.expiresAt - from));
    const json = JSON.stringify({ v: entry.value, s: entry.storedAt, e: entry.expiresAt } satisfies Stored);
    await this.#redis.script(
      'cache set',
      CACHE_SET,
      [this.#keys.lru, this.#keys.seq],
      [this.#keys.entry, key, json, ttlMs, this.maxEntries],
    );
  }

  /** After Redis comes back: shares what was cached while cut off, unless a replica stored it meanwhile. */
  async #share(): Promise<void> {
    const local = this.#local;
    if (!local || this.#closed) return;
    for (const key of [...this.#unshared]) {
      const now = this.#redis.clock.now();
      const entry = await local.get(key, now);
      const present = entry
        ? await this.#redis.run('cache resync', (r) => r.exists(`${this.#keys.entry}${key}`))
        : 1;
      if (entry && present === 0) await this.#write(key, entry, now);
      this.#unshared.delete(key);
    }
  }
}
