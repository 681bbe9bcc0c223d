// Single-flight refresh of one OAuth credential across the replicas of a fleet: the holder of the
// refresh lease refreshes and saves; the others wait for the record it saves (polling the store on
// the injected clock), so a rotating refresh token is used once, not once per replica.
import type { CredentialKey, CredentialRecord } from '../auth/TokenStore.js';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { sleep } from '../resilience/sleep.js';
import { FLEET_REDIS_UNAVAILABLE } from './FleetConnection.js';
import type { RedisTokenStore } from './RedisTokenStore.js';

/** Options of {@link refreshOnce}. */
export interface RefreshOnceOptions {
  /** The record's `updatedAt` the caller saw: a record newer than it is the refreshed one. */
  newerThan: number;
  /** Refreshes (talks to the authorization server) and returns the new record; called on one replica only. */
  refresh: () => Promise<CredentialRecord>;
  /** Lease time: longer than one refresh takes. Also how long a waiting replica waits before it asks again. Default 30 000 ms. */
  ttlMs?: number | undefined;
  /** How often a waiting replica reads the store. Default 100 ms. */
  pollMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** How a credential was refreshed: here (`refreshed`), by another replica (`waited`), or here because Redis could not coordinate (`alone`). */
export interface RefreshOutcome {
  record: CredentialRecord;
  how: 'refreshed' | 'waited' | 'alone';
}

const ROUNDS = 3;
const isUnavailable = (e: unknown) => isAzcoreError(e) && e.code === FLEET_REDIS_UNAVAILABLE;

/**
 * Refreshes `key` once for the whole fleet. The lease holder first reads the store (a replica that
 * saw an old record may arrive just after another one refreshed), then calls `refresh` and saves the
 * result; every other replica polls the store until a record newer than `newerThan` appears, or the
 * lease is gone (its holder failed or died), in which case it asks for the lease itself. Redis lost:
 * the replica refreshes alone, as without a fleet. After three rounds without a record, alone too.
 *
 * @example
 * const { record } = await refreshOnce(tokens, key, {
 *   newerThan: current.updatedAt,
 *   refresh: async () => ({ ...current, tokens: await refreshTokens(current), updatedAt: clock.now() }),
 * });
 */
export async function refreshOnce(
  store: RedisTokenStore,
  key: CredentialKey,
  options: RefreshOnceOptions,
): Promise<RefreshOutcome> {
  const ttlMs = options.ttlMs ?? 30_000;
  const pollMs = options.pollMs ?? 100;
  const clock = store.clock;
  const alone = async (): Promise<RefreshOutcome> => {
    const record = await options.refresh();
    await store.save(record);
    return { record, how: 'alone' };
  };
  for (let round = 0; round < ROUNDS; round++) {
    let lease: Awaited<ReturnType<RedisTokenStore['refreshLease']>>;
    try {
      lease = await store.refreshLease(key, ttlMs);
    } catch (e) {
      if (isUnavailable(e)) return alone();
      throw e;
    }
    if (lease) {
      try {
        const fresh = await newer(store, key, options.newerThan);
        if (fresh) return { record: fresh, how: 'waited' };
        const record = await options.refresh();
        await store.save(record);
        return { record, how: 'refreshed' };
      } finally {
        await lease.release();
      }
    }
    const waitUntil = clock.now() + ttlMs;
    while (clock.now() < waitUntil) {
      await sleep(pollMs, { clock, signal: options.signal });
      try {
        const fresh = await newer(store, key, options.newerThan);
        if (fresh) return { record: fresh, how: 'waited' };
        if (!(await store.leaseHeld(key))) break; // the holder gave up: ask for the lease
      } catch (e) {
        if (isUnavailable(e)) return alone();
        throw e;
      }
    }
  }
  return alone();
}

async function newer(
  store: RedisTokenStore,
  key: CredentialKey,
  after: number,
): Promise<CredentialRecord | undefined> {
  const records = await store.find(key.resource);
  return records.find((r) => r.issuer === key.issuer && r.clientId === key.clientId && r.updatedAt > after);
}
