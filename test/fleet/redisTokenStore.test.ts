// RedisTokenStore on a real redis-server: the TokenStore contract (the expectations every store
// meets), records shared by replicas with their own connections, the refresh lease (SET NX PX) and
// refreshOnce: of four replicas that need a refresh at once exactly one refreshes.
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { CredentialRecord } from '../../src/auth/TokenStore.js';
import { type FleetConnection, RedisTokenStore, refreshOnce } from '../../src/fleet/index.js';
import { connect, freshPrefix, rawClient } from './connections.js';
import { type RedisServer, startRedisServer } from './redisServer.js';

let server: RedisServer;
let raw: Redis;
const open: FleetConnection[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  raw = rawClient(server.url);
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.stop();
});
afterAll(async () => {
  raw?.disconnect();
  await server?.stop();
});

function clockAt(ms = 1_750_000_000_000): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(ms);
  return clock;
}

async function stores(n: number, clock = clockAt(), prefix = freshPrefix('k')) {
  const out: RedisTokenStore[] = [];
  for (let i = 0; i < n; i++) {
    const { redis } = await connect(`R${i + 1}`, { url: server.url, clock, prefix });
    open.push(redis);
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

/**
 * The expectations of test/auth/tokenStores.test.ts (the contract suite of Memory, File and SQLite),
 * run here because this store needs a redis-server: same records, same assertions.
 */
describe('TokenStore contract: RedisTokenStore', () => {
  const make = async () => (await stores(1)).stores[0] as RedisTokenStore;
  const full = (over: Partial<CredentialRecord> = {}): CredentialRecord =>
    record({
      client: { client_id: 'client-1', client_secret: 'SECRET-client', client_id_issued_at: 1 },
      discovery: {
        authorizationServerUrl: 'https://as.example',
        resourceMetadataUrl: 'https://mcp.example/.well-known/oauth-protected-resource',
      },
      ...over,
    });
  const resource = 'https://mcp.example/mcp';

  it('finds the records of one resource, newest first, with every field kept', async () => {
    const store = await make();
    expect(await store.find(resource)).toEqual([]);
    await store.save(full({ clientId: 'old', updatedAt: 10 }));
    await store.save(full({ clientId: 'new', updatedAt: 30 }));
    await store.save(full({ clientId: 'mid', updatedAt: 20 }));
    await store.save(full({ resource: 'https://other.example/mcp', updatedAt: 99 }));
    const found = await store.find(resource);
    expect(found.map((r) => r.clientId)).toEqual(['new', 'mid', 'old']);
    expect(found[0]).toEqual(full({ clientId: 'new', updatedAt: 30 }));
  });

  it('replaces the record with the same key and keeps keys apart that a separator would merge', async () => {
    const store = await make();
    await store.save(full({ updatedAt: 1 }));
    await store.save(
      full({ tokens: { access_token: 'second', token_type: 'Bearer' }, expiresAt: undefined, updatedAt: 2 }),
    );
    const [only, ...rest] = await store.find(resource);
    expect(rest).toEqual([]);
    expect(only?.tokens).toEqual({ access_token: 'second', token_type: 'Bearer' });
    expect(only?.expiresAt).toBeUndefined();
    await store.save(full({ issuer: 'a|b', clientId: 'c', updatedAt: 3 }));
    await store.save(full({ issuer: 'a', clientId: 'b|c', updatedAt: 4 }));
    await store.save(full({ issuer: 'x","y', clientId: 'z', updatedAt: 5 }));
    await store.save(full({ issuer: 'x', clientId: 'y","z', updatedAt: 6 }));
    expect(await store.find(resource)).toHaveLength(5);
  });

  it('removes by partial key within one resource and says how many', async () => {
    const store = await make();
    const other = 'https://other.example/mcp';
    await store.save(full({ issuer: 'https://as1', clientId: 'a', updatedAt: 1 }));
    await store.save(full({ issuer: 'https://as1', clientId: 'b', updatedAt: 2 }));
    await store.save(full({ issuer: 'https://as2', clientId: 'a', updatedAt: 3 }));
    await store.save(full({ issuer: 'https://as2', clientId: 'b', updatedAt: 4 }));
    await store.save(full({ resource: other, issuer: 'https://as1', clientId: 'a', updatedAt: 5 }));
    expect(await store.remove({ resource, issuer: 'https://as1', clientId: 'a' })).toBe(1);
    expect(await store.remove({ resource, clientId: 'b' })).toBe(2);
    expect(await store.remove({ resource, issuer: 'https://nobody' })).toBe(0);
    expect((await store.find(resource)).map((r) => [r.issuer, r.clientId])).toEqual([['https://as2', 'a']]);
    expect(await store.remove({ resource })).toBe(1);
    expect(await store.find(resource)).toEqual([]);
    expect((await store.find(other)).map((r) => r.clientId)).toEqual(['a']);
  });

  it('lists every record newest first', async () => {
    const store = await make();
    expect(await store.list()).toEqual([]);
    await store.save(full({ resource: 'https://a/mcp', updatedAt: 5 }));
    await store.save(full({ resource: 'https://b/mcp', updatedAt: 7 }));
    await store.save(full({ resource: 'https://c/mcp', updatedAt: 6 }));
    expect((await store.list()).map((r) => r.resource)).toEqual([
      'https://b/mcp',
      'https://c/mcp',
      'https://a/mcp',
    ]);
  });

  it('hands out copies: mutating what was saved or found changes nothing stored', async () => {
    const store = await make();
    const saved = full();
    await store.save(saved);
    saved.tokens!.access_token = 'mutated after save';
    const [found] = await store.find(saved.resource);
    expect(found?.tokens?.access_token).toBe('at-SECRET-1');
    found!.tokens!.access_token = 'mutated after find';
    const [listed] = await store.list();
    expect(listed?.tokens?.access_token).toBe('at-SECRET-1');
  });
});

describe('RedisTokenStore', () => {
  it('a record saved by one replica is found by another; keys are one hash per resource, values JSON', async () => {
    const { stores: s, prefix } = await stores(2);
    const [a, b] = s as [RedisTokenStore, RedisTokenStore];
    await a.save(record());
    expect(await b.find('https://mcp.example/mcp')).toEqual([record()]);
    const hash = await raw.hgetall(`${prefix}tokens:{oauth}:r:https://mcp.example/mcp`);
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
    await raw.flushall();
    expect(await b.find(record().resource)).toEqual([]); // B never saw them
    expect((await a.find(record().resource)).map((r) => r.clientId)).toEqual(['client-2', 'client-1']);
    expect((await b.find(record().resource)).map((r) => r.clientId)).toEqual(['client-2', 'client-1']);
    expect(await b.remove({ resource: record().resource, clientId: 'client-2' })).toBe(1);
    expect((await a.find(record().resource)).map((r) => r.clientId)).toEqual(['client-1']);
    expect(await raw.hkeys(`${prefix}tokens:{oauth}:gone:${record().resource}`)).toHaveLength(1);
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
    const pttl = await raw.pttl(leaseKey);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
    await lease?.release();
    const second = await b.refreshLease(key, 5_000);
    expect(second).toBeDefined();
    await lease?.release(); // a stale holder cannot free another's lease
    expect(await a.leaseHeld(key)).toBe(true);
    // What the TTL does to a crashed holder's lease, without waiting for it: expire it now.
    await raw.pexpireat(leaseKey, 1);
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
      await raw.ping();
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
      const { redis } = await connect('A', { url: own.url, clock, prefix: freshPrefix('k') });
      open.push(redis);
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
