// The fallback answer cache in Redis: the CacheStore contract on a real redis-server, and an answer
// cached by one runtime (its own connection) served by another when that one's live call fails.
import { describe, expect, it } from 'vitest';
import type { SimulatedClock } from 'xstate';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { CachedFallback } from '../../src/fallback/CachedFallback.js';
import { RedisCacheStore } from '../../src/fleet/index.js';
import { freshPrefix } from './connections.js';
import { clockAt, useRedisServer } from './setup.js';

const HOUR = 3_600_000;
const server = useRedisServer();

async function runtime(name: string, clock: SimulatedClock, prefix: string) {
  const { redis } = await server.connect(name, { clock, prefix });
  return redis;
}

describe('RedisCacheStore: the CacheStore contract on a real redis-server', () => {
  it('stores JSON under the given key with Redis PX = the TTL, and never serves an expired entry', async () => {
    const clock = clockAt();
    const prefix = freshPrefix('c');
    const store = new RedisCacheStore(await runtime('A', clock, prefix));
    const now = clock.now();
    await store.set('k1', { value: { answer: 'ok', n: [1, 2] }, storedAt: now, expiresAt: now + 60_000 });
    expect(await store.get('k1', now + 1)).toEqual({
      value: { answer: 'ok', n: [1, 2] },
      storedAt: now,
      expiresAt: now + 60_000,
    });
    const pttl = await server.raw.pttl(`${prefix}cache:{answers}:e:k1`);
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await store.size()).toBe(1);
    // Expiry on the owner's clock: served until expiresAt, gone at it (and removed from Redis).
    expect(await store.get('k1', now + 59_999)).toBeDefined();
    expect(await store.get('k1', now + 60_000)).toBeUndefined();
    expect(await server.raw.exists(`${prefix}cache:{answers}:e:k1`)).toBe(0);
    expect(await store.size()).toBe(0);
  });

  it('a mutated result does not change what is served; delete and clear; keys of other caches stay apart', async () => {
    const clock = clockAt();
    const prefix = freshPrefix('c');
    const redis = await runtime('A', clock, prefix);
    const store = new RedisCacheStore(redis);
    const other = new RedisCacheStore(redis, { name: 'other' });
    const now = clock.now();
    const value = { list: ['a'] };
    await store.set('k', { value, storedAt: now, expiresAt: now + HOUR });
    await other.set('k', { value: 'theirs', storedAt: now, expiresAt: now + HOUR });
    value.list.push('b');
    expect((await store.get('k', now))?.value).toEqual({ list: ['a'] });
    expect(await store.delete('k')).toBe(true);
    expect(await store.delete('k')).toBe(false);
    await store.set('a', { value: 1, storedAt: now, expiresAt: now + HOUR });
    await store.set('b', { value: 2, storedAt: now, expiresAt: now + HOUR });
    await store.clear();
    expect(await store.size()).toBe(0);
    expect((await other.get('k', now))?.value).toBe('theirs');
  });

  it('keeps at most maxEntries fleet-wide, evicting the least recently used by any replica', async () => {
    const clock = clockAt();
    const prefix = freshPrefix('c');
    const a = new RedisCacheStore(await runtime('A', clock, prefix), { maxEntries: 3 });
    const b = new RedisCacheStore(await runtime('B', clock, prefix), { maxEntries: 3, local: false });
    const now = clock.now();
    const entry = (value: number) => ({ value, storedAt: now, expiresAt: now + HOUR });
    await a.set('k1', entry(1));
    await a.set('k2', entry(2));
    await b.set('k3', entry(3));
    expect(await b.get('k1', now)).toBeDefined(); // B's read makes k1 recently used
    await b.set('k4', entry(4)); // k2 is now the least recently used
    expect(await a.size()).toBe(3);
    expect(await b.get('k2', now)).toBeUndefined();
    expect((await b.get('k1', now))?.value).toBe(1);
    expect((await a.get('k4', now))?.value).toBe(4);
  });
});

describe('RedisCacheStore across runtimes', () => {
  it('an answer cached by runtime A is served by runtime B when B’s live call fails (same key normalisation)', async () => {
    const clock = clockAt();
    const prefix = freshPrefix('c');
    const storeA = new RedisCacheStore(await runtime('A', clock, prefix));
    const storeB = new RedisCacheStore(await runtime('B', clock, prefix), { local: false });
    const liveA = async () => ({ answer: 'revenue grew 4%' });
    const liveB = async (): Promise<{ answer: string }> => {
      throw new ConnectionError('analytics is down', { code: 'ECONNREFUSED' });
    };
    const a = new CachedFallback(liveA, { store: storeA, clock, ttlMs: HOUR });
    const b = new CachedFallback(liveB, { store: storeB, clock, ttlMs: HOUR });
    expect((await a.execute('Analyze  data')).status).toBe('success');
    clock.increment(90_000);
    // Another spelling of the same task: CachedFallback's key (NFC, trimmed) is the one both use.
    const served = await b.execute('  Analyze  data\n');
    expect(served).toMatchObject({
      status: 'degraded',
      source: 'cache',
      value: { answer: 'revenue grew 4%' },
      ageMs: 90_000,
    });
    expect(a.keyFor('Analyze  data')).toBe(b.keyFor('  Analyze  data\n'));
    // Past the TTL nobody serves it.
    clock.increment(HOUR);
    expect((await b.execute('Analyze  data')).status).toBe('failed');
  });
});
