import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { ResourceError } from '../../src/errors/ResourceError.js';
import { CachedFallback } from '../../src/fallback/CachedFallback.js';
import type { CacheStore } from '../../src/fallback/CacheStore.js';
import { type CachedSourceOptions, cached, cacheKeyOf } from '../../src/fallback/cached.js';
import { MemoryCacheStore } from '../../src/fallback/MemoryCacheStore.js';
import { type FallbackFailedError, isFallbackFailedError } from '../../src/policy/FallbackFailedError.js';
import { fallback } from '../../src/policy/fallback.js';
import type { Outcome } from '../../src/policy/Outcome.js';
import { run } from '../../src/policy/run.js';

const HOUR = 3_600_000;

/** Work whose next outcome the test sets: a value, or an error to throw. */
function service<T>(first: T | Error) {
  let next: T | Error = first;
  let calls = 0;
  return {
    set: (outcome: T | Error) => {
      next = outcome;
    },
    calls: () => calls,
    run: async (): Promise<T> => {
      calls++;
      if (next instanceof Error) throw next;
      return next;
    },
  };
}
/** The error of an outcome that must have failed. */
function failure(outcome: Outcome<unknown>): FallbackFailedError {
  if (outcome.status !== 'failed' || !isFallbackFailedError(outcome.error))
    throw new Error(`expected a failed fallback, got ${outcome.status}`);
  return outcome.error;
}
const down = new ConnectionError('The analytics service is down.', { code: 'ECONNREFUSED' });

/** The live service, a clock and a store; `ask(task)` runs the live call with the cache as fallback. */
function setup<T>(first: T | Error, options: Partial<CachedSourceOptions<T>> & { store?: CacheStore } = {}) {
  const clock = new SimulatedClock();
  const live = service<T>(first);
  const store = options.store ?? new MemoryCacheStore();
  const ask = (task: string) =>
    run(fallback(cached<T>(store, { ttlMs: HOUR, ...options, key: task })), live.run, {
      clock,
      source: 'live',
    });
  return { clock, live, store, ask };
}

describe('fallback(cached(store, { key })) (was CachedFallback)', () => {
  it('answers live and caches; serves the cache (degraded, with its age) when live fails', async () => {
    const { clock, live, ask } = setup<{ rows: number }>({ rows: 3 });
    const first = await ask('Analyze data');
    expect(first).toEqual({
      status: 'success',
      source: 'live',
      value: { rows: 3 },
      attempts: [{ source: 'live', ok: true, durationMs: 0, attempt: 1 }],
    });
    clock.increment(10 * 60_000);
    live.set(down);
    const second = await ask('Analyze data');
    expect(second).toMatchObject({
      status: 'degraded',
      source: 'cache',
      value: { rows: 3 },
      error: down,
      reasons: ['live failed: connection ECONNREFUSED'],
      cachedAt: 0,
      ageMs: 600_000,
    });
    expect(second.attempts.map((a) => `${a.source}:${a.ok}`)).toEqual(['live:false', 'cache:true']);
  });

  it('refreshes the entry on every success, so the newest result is served', async () => {
    const { live, ask } = setup('v1');
    await ask('t');
    live.set('v2');
    await ask('t');
    live.set(down);
    expect(await ask('t')).toMatchObject({ status: 'degraded', value: 'v2' });
  });

  it('keys on the normalized task: surrounding spaces do not matter, other tasks miss', async () => {
    const { live, ask } = setup('report');
    await ask('  Analyze data\n');
    live.set(down);
    expect(await ask('Analyze data')).toMatchObject({ status: 'degraded', value: 'report' });
    const miss = failure(await ask('Analyze other data'));
    expect(miss.kind).toBe('connection');
    expect(miss.lastError).toBeInstanceOf(ResourceError);
    expect(miss.lastError.code).toBe('CACHE_MISS');
    expect(miss.message).toMatch(
      /1\. live .*analytics service is down[\s\S]*2\. cache .*No cached result for this task younger than 1 h/,
    );
    expect(cacheKeyOf('Analyze data')).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKeyOf(' Analyze data ')).toBe(cacheKeyOf('Analyze data'));
    expect(cacheKeyOf('Analyze data', 'a')).not.toBe(cacheKeyOf('Analyze data', 'b'));
  });

  it('does not serve an entry older than the TTL (SimulatedClock)', async () => {
    const { clock, live, store, ask } = setup('old answer');
    await ask('t');
    live.set(down);
    clock.increment(HOUR - 1);
    expect((await ask('t')).status).toBe('degraded');
    clock.increment(1);
    expect(failure(await ask('t')).lastError.code).toBe('CACHE_MISS');
    expect(await store.size()).toBe(0);
  });

  it('keeps namespaces apart in one store', async () => {
    const store = new MemoryCacheStore();
    const a = setup('from a', { store, namespace: 'a' });
    const b = setup<string>(down, { store, namespace: 'b' });
    await a.ask('t');
    expect((await b.ask('t')).status).toBe('failed');
  });

  it('a pipeline without the cached source neither reads nor writes', async () => {
    const { live, store, ask } = setup('fresh');
    await run(fallback(), live.run);
    expect(await store.size()).toBe(0);
    await ask('t');
    live.set(down);
    const outcome = await run(fallback(), live.run, { source: 'live' });
    expect(failure(outcome).kind).toBe('connection');
    expect(outcome.attempts).toHaveLength(1);
  });

  it('a cancelled live call is not answered from the cache', async () => {
    const { live, ask } = setup('x');
    await ask('t');
    live.set(new CancelledError('The caller cancelled.'));
    const error = failure(await ask('t'));
    expect(error.kind).toBe('cancelled');
    expect(error.untried).toEqual(['cache']);
  });

  it('caches JSON only: a result that is not plain JSON is returned, with a warning saying why', async () => {
    const { store, ask } = setup<{ when: Date }>({ when: new Date(0) });
    const outcome = await ask('t');
    expect(outcome.status).toBe('success');
    expect(outcome.warnings?.[0]?.message).toMatch(
      /keeps plain JSON only, and the result is not: \$\.when: a Date is not plain JSON\. Pass a codec/,
    );
    expect(await store.size()).toBe(0);
  });

  it('a codec turns other results into JSON and back', async () => {
    const { live, ask } = setup<{ when: Date }>(
      { when: new Date(86_400_000) },
      {
        codec: {
          encode: (v) => ({ when: v.when.toISOString() }),
          decode: (j) => ({ when: new Date(String((j as { when: string }).when)) }),
        },
      },
    );
    await ask('t');
    live.set(down);
    const outcome = await ask('t');
    expect(outcome.status === 'degraded' && outcome.value.when).toEqual(new Date(86_400_000));
  });

  it('cached values are copies: mutating a result later does not change the cache', async () => {
    const value = { list: [1, 2] };
    const { live, ask } = setup(value);
    await ask('t');
    value.list.push(3);
    live.set(down);
    expect(await ask('t')).toMatchObject({ value: { list: [1, 2] } });
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
    const { live, ask } = setup('live answer', { store: broken });
    const ok = await ask('t');
    expect(ok).toMatchObject({
      status: 'success',
      value: 'live answer',
      warnings: [{ code: 'SQLITE_FULL' }],
    });
    live.set(down);
    expect(failure(await ask('t')).lastError.code).toBe('SQLITE_IOERR');
  });

  it('rejects a bad TTL and a key that is not JSON', () => {
    const store = new MemoryCacheStore();
    expect(() => cached(store, { key: 't', ttlMs: Number.POSITIVE_INFINITY })).toThrow(
      /'ttlMs': must be a finite number/,
    );
    expect(() => cached(store, { key: { at: new Date() } })).toThrow(
      /keys must be plain JSON: key\.at: a Date/,
    );
  });
});

describe('CachedFallback (deprecated: the same composition, kept for the fleet code)', () => {
  it('keys as before and answers an Outcome from live or cache', async () => {
    const clock = new SimulatedClock();
    const live = service<string>('answer');
    const answers = new CachedFallback(live.run, { clock, namespace: 'reports' });
    expect(answers.keyFor('  Analyze data\n')).toBe(cacheKeyOf('Analyze data', 'reports'));
    expect(await answers.execute('Analyze data')).toMatchObject({ status: 'success', source: 'live' });
    clock.increment(1_000);
    live.set(down);
    expect(await answers.execute('Analyze data')).toMatchObject({
      status: 'degraded',
      source: 'cache',
      value: 'answer',
      ageMs: 1_000,
    });
    expect(() => new CachedFallback(live.run, { ttlMs: 0 })).toThrow(/'ttlMs'/);
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
