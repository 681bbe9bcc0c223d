// RedisTokenStore on a real redis-server: the TokenStore contract (the expectations every store
// meets), records shared by replicas with their own connections, the refresh lease (SET NX PX) and
// refreshOnce: of four replicas that need a refresh at once exactly one refreshes.
import { describe, expect, it } from 'vitest';
import type { CredentialRecord } from '../../src/auth/TokenStore.js';
import { RedisTokenStore, refreshOnce } from '../../src/fleet/index.js';
import { describeTokenStoreContract } from '../auth/tokenStoreContract.js';
import { freshPrefix, rawClient } from './connections.js';
import { startRedisServer } from './redisServer.js';
import { clockAt, useRedisServer } from './setup.js';

const server = useRedisServer();

async function stores(n: number, clock = clockAt(), prefix = freshPrefix('k')) {
  const out: RedisTokenStore[] = [];
  for (let i = 0; i < n; i++) {
    const { redis } = await server.connect(`R${i + 1}`, { clock, prefix });
    out.push(new RedisTokenStore(redis));
  }
  return { stores: out, clock, prefix };
}

const record = (over: Partial<CredentialRecord> = {}): CredentialRecord => ({
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'client-1',
  tokens: { access_token: 'at-SECRET-1', token_type: 'Bearer', refresh_token: 'rt-SECRET-1' },
  obtainedAt: 1_000,
  expiresAt: 3_601_000,
  updatedAt: 1_000,
  ...over,
});

// The contract every store meets (test/auth/tokenStoreContract.ts), each test on a fresh keyspace.
describeTokenStoreContract('RedisTokenStore', async () => (await stores(1)).stores[0] as RedisTokenStore);

describe('RedisTokenStore', () => {
  it('a record saved by one replica is found by another; keys are one hash per resource, values JSON', async () => {
    const { stores: s, prefix } = await stores(2);
    const [a, b] = s as [RedisTokenStore, RedisTokenStore];
    await a.save(record());
    expect(await b.find('https://mcp.example/mcp')).toEqual([record()]);
    const hash = await server.raw.hgetall(`${prefix}tokens:{oauth}:r:https://mcp.example/mcp`);
    expect(Object.keys(hash)).toEqual([
      JSON.stringify(['https://as.example', 'https://mcp.example/mcp', 'client-1']),
    ]);
    expect(JSON.parse(Object.values(hash)[0] as string)).toEqual(record());
  });

  it('a record Redis lost (FLUSHALL) comes back from a replica’s mirror; one another replica removed does not', async () => {
    const { stores: s, prefix } = await stores(2);
    const [a, b] = s as [RedisTokenStore, RedisTokenStore];
    await a.save(record());
    await a.save(record({ clientId: 'client-2', updatedAt: 2_000 }));
    expect(await a.find(record().resource)).toHaveLength(2);
    await server.raw.flushall();
    expect(await b.find(record().resource)).toEqual([]); // B never saw them
    expect((await a.find(record().resource)).map((r) => r.clientId)).toEqual(['client-2', 'client-1']);
    expect((await b.find(record().resource)).map((r) => r.clientId)).toEqual(['client-2', 'client-1']);
    expect(await b.remove({ resource: record().resource, clientId: 'client-2' })).toBe(1);
    expect((await a.find(record().resource)).map((r) => r.clientId)).toEqual(['client-1']);
    expect(await server.raw.hkeys(`${prefix}tokens:{oauth}:gone:${record().resource}`)).toHaveLength(1);
    // A new login after a logout is a save: it clears the mark.
    await b.save(record({ clientId: 'client-2', updatedAt: 3_000 }));
    expect(await a.find(record().resource)).toHaveLength(2);
  });

  it('refreshLease: SET NX PX, one holder at a time; freed by release or by its TTL', async () => {
    const { stores: s, prefix } = await stores(2);
    const [a, b] = s as [RedisTokenStore, RedisTokenStore];
    const key = record();
    const lease = await a.refreshLease(key, 5_000);
    expect(lease).toBeDefined();
    expect(await b.refreshLease(key, 5_000)).toBeUndefined();
    expect(await b.leaseHeld(key)).toBe(true);
    const leaseKey = `${prefix}tokens:{oauth}:lease:${JSON.stringify([key.issuer, key.resource, key.clientId])}`;
    const pttl = await server.raw.pttl(leaseKey);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
    await lease?.release();
    const second = await b.refreshLease(key, 5_000);
    expect(second).toBeDefined();
    await lease?.release(); // a stale holder cannot free another's lease
    expect(await a.leaseHeld(key)).toBe(true);
    // What the TTL does to a crashed holder's lease, without waiting for it: expire it now.
    await server.raw.pexpireat(leaseKey, 1);
    expect(await a.leaseHeld(key)).toBe(false);
    expect(await a.refreshLease(key, 5_000)).toBeDefined();
  });

  it('refreshOnce: four replicas need a refresh at once; exactly one refreshes, the others get its record', async () => {
    const { stores: s, clock } = await stores(4);
    const old = record();
    await (s[0] as RedisTokenStore).save(old);
    let refreshes = 0;
    let started: (() => void) | undefined;
    const refreshing = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finish: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const refresh = async (): Promise<CredentialRecord> => {
      refreshes++;
      started?.();
      await gate; // the authorization server takes its time: the others must wait, not refresh
      return record({ tokens: { access_token: 'at-NEW', token_type: 'Bearer' }, updatedAt: clock.now() });
    };
    const settled: boolean[] = s.map(() => false);
    const runs = s.map((store, i) =>
      refreshOnce(store, old, { newerThan: old.updatedAt, refresh, pollMs: 100, ttlMs: 10_000 }).finally(
        () => {
          settled[i] = true;
        },
      ),
    );
    await refreshing;
    clock.increment(100); // the waiters poll once: nothing new yet, the lease is held
    finish?.();
    // Drive the waiters' polls on the simulated clock until every replica has the record.
    for (let i = 0; i < 500 && settled.includes(false); i++) {
      clock.increment(100);
      await server.raw.ping();
    }
    const outcomes = await Promise.all(runs);
    expect(refreshes).toBe(1);
    expect(outcomes.map((o) => o.how).sort()).toEqual(['refreshed', 'waited', 'waited', 'waited']);
    for (const o of outcomes) expect(o.record.tokens?.access_token).toBe('at-NEW');
  });

  it('Redis down: find answers from the local mirror, save is kept and pushed on return; errors hold no secret', async () => {
    const own = await startRedisServer();
    try {
      const clock = clockAt();
      const { redis } = await server.connect('A', { url: own.url, clock, prefix: freshPrefix('k') });
      const store = new RedisTokenStore(redis);
      await store.save(record());
      const lost = new Promise((resolve) =>
        redis.events$.subscribe((e) => e.type === 'fleet.redis.lost' && resolve(e)),
      );
      await own.kill();
      await lost;
      expect(await store.find('https://mcp.example/mcp')).toEqual([record()]);
      const refreshed = record({
        tokens: { access_token: 'at-OFFLINE', token_type: 'Bearer' },
        updatedAt: 9_000,
      });
      await store.save(refreshed);
      expect((await store.find(refreshed.resource))[0]?.tokens?.access_token).toBe('at-OFFLINE');
      const error = await store.remove({ resource: refreshed.resource }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'resource', code: 'FLEET_REDIS_UNAVAILABLE', retryable: true });
      expect(JSON.stringify(error)).not.toMatch(/SECRET|OFFLINE/);
      expect(String((error as Error).stack)).not.toMatch(/SECRET|OFFLINE/);
      await expect(store.refreshLease(refreshed, 1_000)).rejects.toMatchObject({
        code: 'FLEET_REDIS_UNAVAILABLE',
      });
      // Redis back, empty: the record saved while cut off is pushed.
      const resynced = new Promise((resolve) =>
        redis.events$.subscribe((e) => e.type === 'fleet.resynced' && resolve(e)),
      );
      await own.restart();
      await resynced;
      const check = rawClient(own.url);
      const values = await check.hvals(`${redis.prefix}tokens:{oauth}:r:${refreshed.resource}`);
      check.disconnect();
      expect(values.map((v) => JSON.parse(v).tokens.access_token)).toEqual(['at-OFFLINE']);
    } finally {
      await own.stop();
    }
  }, 30_000);
});
