import { randomUUID } from 'node:crypto';
import {
  type CredentialKey,
  type CredentialRecord,
  credentialKeyString,
  matchesCredential,
  newestFirst,
  type TokenStore,
} from '../auth/TokenStore.js';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { Clock } from '../resilience/Clock.js';
import { FLEET_REDIS_UNAVAILABLE, type FleetConnection } from './FleetConnection.js';
import { refreshOnce } from './refreshOnce.js';
import { LEASE_RELEASE, TOKEN_FIND, TOKEN_LIST, TOKEN_REMOVE, TOKEN_SAVE, tokenKeys } from './tokenScript.js';

/** Options of {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /** Keeps stores apart in one Redis (a `{hash tag}` of the keys). Default `'oauth'`. */
  name?: string | undefined;
}

/** The right to refresh one credential for a while: one replica at a time holds it. */
export interface RefreshLease {
  readonly key: CredentialKey;
  /** Epoch ms (store clock) after which Redis frees it by itself. */
  readonly expiresAt: number;
  /** Frees it now if this replica still holds it. Never throws. */
  release(): Promise<void>;
}

const isUnavailable = (e: unknown) => isAzcoreError(e) && e.code === FLEET_REDIS_UNAVAILABLE;
const copy = (r: CredentialRecord): CredentialRecord => structuredClone(r);

/**
 * The OAuth {@link TokenStore} of a fleet: every replica reads and writes the same records in Redis
 * (one hash per resource, JSON values), so a token one replica obtained or refreshed is the one the
 * others use. `refreshLease` (`SET NX PX`) lets exactly one replica refresh a credential while the
 * others wait for the new record (see `refreshOnce`).
 *
 * Local first: every record read or written is mirrored in memory. While Redis is unavailable `find`
 * and `list` answer from that mirror and `save` writes it (and pushes it to Redis when Redis answers
 * again, unless a newer record is there); `remove` needs Redis and throws a retryable
 * `FLEET_REDIS_UNAVAILABLE`. A removal leaves a mark, so a record Redis lost (flushed, restarted
 * empty) is written back from the mirror but a record another replica removed is not. Records hold secrets: nothing here logs, and the errors carry no record
 * and no Redis command (ioredis keeps a command's arguments on its errors).
 *
 * @example
 * const redis = new FleetConnection({ url: process.env.REDIS_URL });
 * await redis.start();
 * const tokens = new RedisTokenStore(redis);
 */
export class RedisTokenStore implements TokenStore {
  readonly #redis: FleetConnection;
  readonly #keys: ReturnType<typeof tokenKeys>;
  /** The last known record of every credential, by key string. */
  readonly #mirror = new Map<string, CredentialRecord>();
  /** Keys saved while Redis was unavailable: pushed on the next resync. */
  readonly #unshared = new Set<string>();

  /** The connection's clock (lease expiry, refreshOnce's polls). */
  get clock(): Clock {
    return this.#redis.clock;
  }

  constructor(redis: FleetConnection, options: RedisTokenStoreOptions = {}) {
    this.#redis = redis;
    this.#keys = tokenKeys(redis.prefix, options.name ?? 'oauth');
    redis.onRestored(() => this.#share());
  }

  /**
   * The resource's records in Redis. A record this replica knows that Redis lost (a FLUSHALL, a
   * restart without persistence), and nobody removed, is kept and written back.
   */
  async find(resource: string): Promise<CredentialRecord[]> {
    let reply: [string[], string[]];
    try {
      reply = (await this.#redis.script(
        'token find',
        TOKEN_FIND,
        [this.#keys.resource(resource), this.#keys.removed(resource)],
        [],
      )) as [string[], string[]];
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      return this.#mirrored(resource);
    }
    const records = parse(reply[0]);
    const removed = new Set(reply[1]);
    const inRedis = new Set(records.map(credentialKeyString));
    for (const [key, known] of this.#mirror) {
      if (known.resource !== resource || inRedis.has(key)) continue;
      if (removed.has(key)) this.#mirror.delete(key);
      else this.#unshared.add(key); // lost by Redis: written back now (or on the next resync)
    }
    for (const record of records) this.#remember(record);
    if (this.#unshared.size > 0) await this.#share().catch(() => undefined);
    return this.#mirrored(resource);
  }

  async save(record: CredentialRecord): Promise<void> {
    const key = credentialKeyString(record);
    this.#mirror.set(key, copy(record));
    try {
      await this.#write(record, false);
      this.#unshared.delete(key);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      this.#unshared.add(key);
    }
  }

  async remove(match: Partial<CredentialKey> & { resource: string }): Promise<number> {
    const n = await this.#redis.script(
      'token remove',
      TOKEN_REMOVE,
      [this.#keys.resource(match.resource), this.#keys.resources, this.#keys.removed(match.resource)],
      [
        match.resource,
        match.issuer === undefined ? '0' : '1',
        match.issuer ?? '',
        match.clientId === undefined ? '0' : '1',
        match.clientId ?? '',
        this.#redis.clock.now(),
      ],
    );
    for (const [key, record] of this.#mirror) {
      if (matchesCredential(record, match)) {
        this.#mirror.delete(key);
        this.#unshared.delete(key);
      }
    }
    return Number(n);
  }

  #mirrored(resource: string): CredentialRecord[] {
    return [...this.#mirror.values()]
      .filter((r) => r.resource === resource)
      .sort(newestFirst)
      .map(copy);
  }

  async list(): Promise<CredentialRecord[]> {
    try {
      const values = await this.#redis.script(
        'token list',
        TOKEN_LIST,
        [this.#keys.resources],
        [this.#keys.resourcePrefix],
      );
      return parse(values as string[]).sort(newestFirst);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      return [...this.#mirror.values()].sort(newestFirst).map(copy);
    }
  }

  /**
   * Asks for the right to refresh `key` for `ttlMs` (`SET NX PX`): a lease when this replica got
   * it, `undefined` when another replica holds it. Throws a retryable `FLEET_REDIS_UNAVAILABLE`
   * when Redis cannot say (then refresh alone, as without a fleet).
   */
  /**
   * One refresh for the fleet ({@link refreshOnce}): the lease holder runs `refresh` (which saves
   * through this store), the others wait for the record it saved.
   */
  async coordinateRefresh(current: CredentialRecord, refresh: () => Promise<void>): Promise<void> {
    await refreshOnce(this, current, {
      newerThan: current.updatedAt,
      refresh: async () => {
        await refresh();
        const [saved] = (await this.find(current.resource)).filter(
          (r) => r.issuer === current.issuer && r.clientId === current.clientId,
        );
        if (!saved)
          throw new ConfigurationError('The refreshed credential was not saved.', { code: 'TOKEN_REFRESH' });
        return saved;
      },
    });
  }

  async refreshLease(key: CredentialKey, ttlMs: number): Promise<RefreshLease | undefined> {
    if (!(Number.isFinite(ttlMs) && ttlMs >= 1)) {
      throw new ConfigurationError(
        `Invalid refreshLease ttlMs: must be a number of ms >= 1, got ${String(ttlMs)}.`,
      );
    }
    const leaseKey = this.#keys.lease(credentialKeyString(key));
    const holder = `${this.#redis.replica}:${randomUUID()}`;
    const ms = Math.ceil(ttlMs);
    const reply = await this.#redis.run('token refresh lease', (r) =>
      r.set(leaseKey, holder, 'PX', ms, 'NX'),
    );
    if (reply !== 'OK') return undefined;
    const redis = this.#redis;
    return {
      key: { issuer: key.issuer, resource: key.resource, clientId: key.clientId },
      expiresAt: redis.clock.now() + ms,
      release: () =>
        redis.script('token lease release', LEASE_RELEASE, [leaseKey], [holder]).then(
          () => undefined,
          () => undefined,
        ),
    };
  }

  /** Whether some replica holds the refresh lease of `key` now. */
  async leaseHeld(key: CredentialKey): Promise<boolean> {
    const leaseKey = this.#keys.lease(credentialKeyString(key));
    return (await this.#redis.run('token lease check', (r) => r.exists(leaseKey))) === 1;
  }

  #remember(record: CredentialRecord): void {
    const key = credentialKeyString(record);
    const known = this.#mirror.get(key);
    if (this.#unshared.has(key) && known && known.updatedAt > record.updatedAt) return;
    this.#mirror.set(key, copy(record));
  }

  #write(record: CredentialRecord, onlyOverOlder: boolean): Promise<unknown> {
    return this.#redis.script(
      onlyOverOlder ? 'token resync' : 'token save',
      TOKEN_SAVE,
      [this.#keys.resource(record.resource), this.#keys.resources, this.#keys.removed(record.resource)],
      [
        credentialKeyString(record),
        JSON.stringify(record),
        record.resource,
        record.updatedAt,
        onlyOverOlder ? '1' : '0',
      ],
    );
  }

  /** After Redis comes back: pushes what was saved while cut off, unless Redis holds a newer record. */
  async #share(): Promise<void> {
    for (const key of [...this.#unshared]) {
      const record = this.#mirror.get(key);
      if (record) await this.#write(record, true);
      this.#unshared.delete(key);
    }
  }
}

/** Records from Redis; a value that is not a record (hand-edited, another version) is skipped. */
function parse(values: string[]): CredentialRecord[] {
  const out: CredentialRecord[] = [];
  for (const value of values) {
    try {
      const record = JSON.parse(value) as CredentialRecord;
      if (record && typeof record.resource === 'string' && typeof record.updatedAt === 'number')
        out.push(record);
    } catch {
      // skipped: never echo the value, it may hold a token
    }
  }
  return out;
}
