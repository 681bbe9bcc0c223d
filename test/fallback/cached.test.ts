import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { ResourceError } from '../../src/errors/ResourceError.js';
import {
  CachedFallback,
  type CachedFallbackOptions,
  type CachedFallbackResult,
} from '../../src/fallback/CachedFallback.js';
import type { CacheStore } from '../../src/fallback/CacheStore.js';
import type { FallbackFailedError } from '../../src/fallback/FallbackFailedError.js';
import { MemoryCacheStore } from '../../src/fallback/MemoryCacheStore.js';

const HOUR = 3_600_000;

/** An executor whose next outcome the test sets: a value, or an error to throw. */
function service<T>(first: T | Error) {
  let next: T | Error = first;
  let calls = 0;
  return {
    set: (outcome: T | Error) => {
      next = outcome;
    },
    calls: () => calls,
    run: async (_task: string): Promise<T> => {
      calls++;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}
/** The error of a result that must have failed. */
function failure(result: CachedFallbackResult<unknown>): FallbackFailedError {
  if (result.status !== 'failed') throw new Error(`expected a failed result, got ${result.status}`);
  return result.error;
}
const down = new ConnectionError('The analytics service is down.', { code: 'ECONNREFUSED' });

function setup<T>(first: T | Error, options: CachedFallbackOptions<T> = {}) {
  const clock = new SimulatedClock();
  const live = service<T>(first);
  const cached = new CachedFallback(live.run, { clock, ttlMs: HOUR, ...options });
  return { clock, live, cached };
}

describe('CachedFallback', () => {
  it('answers live and caches; serves the cache (degraded, with its age) when live fails', async () => {
    const { clock, live, cached } = setup<{ rows: number }>({ rows: 3 });
    const first = await cached.execute('Analyze data');
    expect(first).toEqual({
      status: 'success',
      source: 'live',
      value: { rows: 3 },
      attempts: [{ source: 'live', ok: true, durationMs: 0 }],
    });
    clock.increment(10 * 60_000);
    live.set(down);
    const second = await cached.execute('Analyze data');
    expect(second).toMatchObject({
      status: 'degraded',
      source: 'cache',
      value: { rows: 3 },
      reason: 'connection',
      error: down,
      cachedAt: 0,
      ageMs: 600_000,
    });
    expect(second.attempts.map((a) => `${a.source}:${a.ok}`)).toEqual(['live:false', 'cache:true']);
  });

  it('refreshes the entry on every success, so the newest result is served', async () => {
    const { live, cached } = setup('v1');
    await cached.execute('t');
    live.set('v2');
    await cached.execute('t');
    live.set(down);
    expect(await cached.execute('t')).toMatchObject({ status: 'degraded', value: 'v2' });
  });

  it('keys on the normalized task: surrounding spaces do not matter, other tasks miss', async () => {
    const { live, cached } = setup('report');
    await cached.execute('  Analyze data\n');
    live.set(down);
    expect(await cached.execute('Analyze data')).toMatchObject({ status: 'degraded', value: 'report' });
    const miss = await cached.execute('Analyze other data');
    expect(miss.status).toBe('failed');
    if (miss.status !== 'failed') return;
    expect(miss.reason).toBe('connection');
    expect(miss.error.lastError).toBeInstanceOf(ResourceError);
    expect(miss.error.lastError.code).toBe('CACHE_MISS');
    expect(miss.error.message).toMatch(
      /1\. live .*analytics service is down[\s\S]*2\. cache .*No cached result for this task younger than 1 h/,
    );
    expect(cached.keyFor('Analyze data')).toMatch(/^[0-9a-f]{64}$/);
    expect(cached.keyFor(' Analyze data ')).toBe(cached.keyFor('Analyze data'));
  });

  it('does not serve an entry older than the TTL (SimulatedClock)', async () => {
    const { clock, live, cached } = setup('old answer');
    await cached.execute('t');
    live.set(down);
    clock.increment(HOUR - 1);
    expect((await cached.execute('t')).status).toBe('degraded');
    clock.increment(1);
    const expired = await cached.execute('t');
    expect(expired.status).toBe('failed');
    expect(failure(expired).lastError.code).toBe('CACHE_MISS');
    expect(await cached.store.size()).toBe(0);
  });

  it('keeps namespaces apart in one store', async () => {
    const store = new MemoryCacheStore();
    const clock = new SimulatedClock();
    const a = service('from a');
    const b = service<string>(down);
    await new CachedFallback(a.run, { store, clock, namespace: 'a' }).execute('t');
    const result = await new CachedFallback(b.run, { store, clock, namespace: 'b' }).execute('t');
    expect(result.status).toBe('failed');
  });

  it('useCache: false neither reads nor writes', async () => {
    const { live, cached } = setup('fresh');
    await cached.execute('t', { useCache: false });
    expect(await cached.store.size()).toBe(0);
    await cached.execute('t');
    live.set(down);
    const result = await cached.execute('t', { useCache: false });
    expect(result).toMatchObject({ status: 'failed', reason: 'connection' });
    expect(result.attempts).toHaveLength(1);
  });

  it('a cancelled live call is not answered from the cache', async () => {
    const { live, cached } = setup('x');
    await cached.execute('t');
    live.set(new CancelledError('The caller cancelled.'));
    const result = await cached.execute('t');
    expect(result).toMatchObject({ status: 'failed', reason: 'cancelled' });
    expect(failure(result).untried).toEqual(['cache']);
  });

  it('caches JSON only: a result that is not plain JSON is returned, with cacheError saying why', async () => {
    const { cached } = setup<{ when: Date }>({ when: new Date(0) });
    const result = await cached.execute('t');
    expect(result.status).toBe('success');
    expect(result.status === 'success' && result.cacheError?.message).toMatch(
      /caches plain JSON only, and the result is not: \$\.when: a Date is not plain JSON\. Pass a codec/,
    );
    expect(await cached.store.size()).toBe(0);
  });

  it('a codec turns other results into JSON and back', async () => {
    const { live, cached } = setup<{ when: Date }>(
      { when: new Date(86_400_000) },
      {
        codec: {
          encode: (v) => ({ when: v.when.toISOString() }),
          decode: (j) => ({ when: new Date(String((j as { when: string }).when)) }),
        },
      },
    );
    await cached.execute('t');
    live.set(down);
    const result = await cached.execute('t');
    expect(result.status === 'degraded' && result.value.when).toEqual(new Date(86_400_000));
  });

  it('cached values are copies: mutating a result later does not change the cache', async () => {
    const value = { list: [1, 2] };
    const { live, cached } = setup(value);
    await cached.execute('t');
    value.list.push(3);
    live.set(down);
    expect(await cached.execute('t')).toMatchObject({ value: { list: [1, 2] } });
  });

  it('a failing store never loses the live answer, and a failing read is a failed attempt', async () => {
    const broken: CacheStore = {
      get: () => {
        throw new ResourceError('disk is gone', { code: 'SQLITE_IOERR' });
      },
      set: () => Promise.reject(new ResourceError('disk full', { code: 'SQLITE_FULL' })),
      delete: () => false,
      clear: () => undefined,
      size: () => 0,
      close: () => undefined,
    };
    const { live, cached } = setup('live answer', { store: broken });
    const ok = await cached.execute('t');
    expect(ok).toMatchObject({
      status: 'success',
      value: 'live answer',
      cacheError: { code: 'SQLITE_FULL' },
    });
    live.set(down);
    const failed = await cached.execute('t');
    expect(failed.status).toBe('failed');
    expect(failure(failed).lastError.code).toBe('SQLITE_IOERR');
  });

  it('rejects a bad TTL and a key that is not JSON', () => {
    expect(() => new CachedFallback(async () => 1, { ttlMs: Number.POSITIVE_INFINITY })).toThrow(
      /'ttlMs': must be a finite number/,
    );
    const cached = new CachedFallback(async () => 1, { keyOf: () => ({ at: new Date() }) });
    expect(() => cached.keyFor('t')).toThrow(/keys must be plain JSON: keyOf\(task\)\.at: a Date/);
  });
});

describe('MemoryCacheStore', () => {
  const entry = (value: string, at = 0) => ({ value, storedAt: at, expiresAt: at + 1_000 });

  it('evicts the least recently used entry beyond its bound', () => {
    const store = new MemoryCacheStore({ maxEntries: 2 });
    store.set('a', entry('A'));
    store.set('b', entry('B'));
    expect(store.get('a', 0)?.value).toBe('A');
    store.set('c', entry('C'));
    expect(store.size()).toBe(2);
    expect(store.get('b', 0)).toBeUndefined();
    expect(store.get('a', 0)?.value).toBe('A');
    expect(store.get('c', 0)?.value).toBe('C');
  });

  it('drops expired entries before evicting live ones', () => {
    const store = new MemoryCacheStore({ maxEntries: 2 });
    store.set('old', entry('O', 0));
    store.set('recent', entry('R', 900));
    store.set('new', entry('N', 1_000));
    expect(store.get('recent', 1_000)?.value).toBe('R');
    expect(store.size()).toBe(2);
  });

  it('deletes, clears and checks its bound', () => {
    const store = new MemoryCacheStore();
    store.set('a', entry('A'));
    expect(store.delete('a')).toBe(true);
    expect(store.delete('a')).toBe(false);
    store.set('a', entry('A'));
    store.clear();
    expect(store.size()).toBe(0);
    expect(() => new MemoryCacheStore({ maxEntries: 0 })).toThrow(/'maxEntries': must be an integer >= 1/);
  });
});
