import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { CachedFallback } from '../../src/fallback/CachedFallback.js';
import { SqliteCacheStore } from '../../src/fallback/SqliteCacheStore.js';

const require = createRequire(import.meta.url);
const hasNodeSqlite = (() => {
  try {
    require('node:sqlite');
    return true;
  } catch {
    return false;
  }
})();
// better-sqlite3 installed under Node 20 is a native build for Node 20's ABI: Node 24 (CI's second
// leg) cannot load it, so what these tests say about it depends on the running Node.
const betterSqliteLoads = (() => {
  try {
    const Better = require('better-sqlite3') as new (path: string) => { close(): void };
    new Better(':memory:').close();
    return true;
  } catch {
    return false;
  }
})();

interface RawDatabase {
  prepare(sql: string): { get(): unknown; run(): unknown };
  close(): void;
}
/** The file opened behind the store's back, with this Node's SQLite (node:sqlite, else better-sqlite3). */
function rawDatabase(path: string): RawDatabase {
  const Database = hasNodeSqlite
    ? (require('node:sqlite') as { DatabaseSync: new (path: string) => RawDatabase }).DatabaseSync
    : (require('better-sqlite3') as new (
        path: string,
      ) => RawDatabase);
  return new Database(path);
}

const dirs: string[] = [];
const stores: SqliteCacheStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempPath(name = 'cache.sqlite'): string {
  const dir = mkdtempSync(join(tmpdir(), 'azcore-cache-'));
  dirs.push(dir);
  return join(dir, 'nested', name);
}
function open(path: string, maxEntries?: number): SqliteCacheStore {
  const store = new SqliteCacheStore({ path, maxEntries });
  stores.push(store);
  return store;
}
const entry = (value: unknown, storedAt = 0, ttl = 1_000) => ({
  value: value as never,
  storedAt,
  expiresAt: storedAt + ttl,
});

describe('SqliteCacheStore', () => {
  it('persists entries across close and reopen, in a WAL-mode file only its owner can read', () => {
    const path = tempPath();
    const first = open(path);
    first.set('k', entry({ answer: 'kept', list: [1, null, 'x'] }));
    first.close();
    first.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = open(path);
    expect(again.get('k', 10)).toEqual({
      value: { answer: 'kept', list: [1, null, 'x'] },
      storedAt: 0,
      expiresAt: 1_000,
    });
    expect(again.size()).toBe(1);
    const raw = rawDatabase(path);
    expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    raw.close();
  });

  it('does not serve expired entries and removes them', () => {
    const store = open(tempPath());
    store.set('k', entry('v', 0, 1_000));
    expect(store.get('k', 999)?.value).toBe('v');
    expect(store.get('k', 1_000)).toBeUndefined();
    expect(store.size()).toBe(0);
  });

  it('keeps at most maxEntries, evicting the least recently used, also across reopen', () => {
    const path = tempPath();
    const store = open(path, 2);
    store.set('a', entry('A'));
    store.set('b', entry('B'));
    expect(store.get('a', 0)?.value).toBe('A');
    store.set('c', entry('C'));
    expect(store.size()).toBe(2);
    expect(store.get('b', 0)).toBeUndefined();
    store.close();
    const reopened = open(path, 2);
    reopened.set('d', entry('D'));
    expect(reopened.get('a', 0)).toBeUndefined();
    expect(reopened.get('c', 0)?.value).toBe('C');
    expect(reopened.get('d', 0)?.value).toBe('D');
  });

  it('drops expired rows on write before evicting live ones', () => {
    const store = open(tempPath(), 2);
    store.set('old', entry('O', 0, 100));
    store.set('live', entry('L', 0, 10_000));
    store.set('new', entry('N', 500, 10_000));
    expect(store.size()).toBe(2);
    expect(store.get('live', 500)?.value).toBe('L');
  });

  it('treats a row that is not valid JSON as a miss (it never evaluates stored text)', () => {
    const path = tempPath();
    const store = open(path);
    store.set('k', entry('v'));
    const raw = rawDatabase(path);
    raw.prepare("UPDATE azcore_cache_v1 SET value = 'require(\"child_process\")' WHERE key = 'k'").run();
    raw.close();
    expect(store.get('k', 0)).toBeUndefined();
    expect(store.size()).toBe(0);
  });

  it('deletes and clears', () => {
    const store = open(tempPath());
    store.set('a', entry(1));
    store.set('b', entry(2));
    expect(store.delete('a')).toBe(true);
    expect(store.delete('a')).toBe(false);
    store.clear();
    expect(store.size()).toBe(0);
  });

  it('fails with typed errors: a closed store, a file that is not a database, a bad bound', () => {
    const path = tempPath();
    const store = open(path);
    store.close();
    expect(() => store.get('k', 0)).toThrow(/cache database at .* is closed/);
    const notDb = join(dirs[0]!, 'not-a-db.sqlite');
    writeFileSync(notDb, 'this is not sqlite'.repeat(100));
    expect(() => open(notDb)).toThrow(
      /cache database at .*not-a-db\.sqlite cannot be used: file is not a database/,
    );
    expect(() => open(tempPath(), 0)).toThrow(/'maxEntries'/);
    expect(() => new SqliteCacheStore({ path: '' })).toThrow(/'path': must be a file path/);
  });

  it('backs a CachedFallback given a path: a result cached before a restart is served after it', async () => {
    const path = tempPath();
    const clock = new SimulatedClock();
    const before = new CachedFallback(async () => ({ total: 42 }), { store: path, clock });
    await before.execute('sum the invoices');
    await before.close();

    const after = new CachedFallback<{ total: number }>(
      async () => {
        throw new ConnectionError('Billing is down.');
      },
      { store: path, clock },
    );
    clock.increment(5_000);
    const result = await after.execute('sum the invoices');
    expect(result).toMatchObject({ status: 'degraded', source: 'cache', value: { total: 42 }, ageMs: 5_000 });
    await after.close();
    expect(() => after.store.size()).toThrow(/closed/);
  });
});

describe('SqliteCacheStore drivers', () => {
  it('uses node:sqlite where Node has it, else better-sqlite3', () => {
    const store = open(tempPath());
    expect(store.driver).toBe(hasNodeSqlite ? 'node:sqlite' : 'better-sqlite3');
  });

  it('node:sqlite where this Node has it (better-sqlite3 reads the same file where it loads), else a ConfigurationError naming the fix', () => {
    if (!hasNodeSqlite) {
      expect(() => new SqliteCacheStore({ path: ':memory:', driver: 'node:sqlite' })).toThrow(
        expect.objectContaining({ kind: 'configuration', hint: expect.stringContaining('better-sqlite3') }),
      );
      return;
    }
    const path = tempPath();
    const viaNode = new SqliteCacheStore({ path, driver: 'node:sqlite' });
    viaNode.set('k', entry({ from: 'node:sqlite' }));
    viaNode.close();
    if (!betterSqliteLoads) {
      // e.g. Node 24 with a better-sqlite3 built under Node 20: named as such, with the fix
      expect(() => new SqliteCacheStore({ path, driver: 'better-sqlite3' })).toThrow(
        expect.objectContaining({
          kind: 'configuration',
          message: expect.stringMatching(/'better-sqlite3' does not load in it: /),
          hint: expect.stringContaining('npm rebuild better-sqlite3'),
        }),
      );
      return;
    }
    const viaBetter = new SqliteCacheStore({ path, driver: 'better-sqlite3' });
    expect(viaBetter.get('k', 1)?.value).toEqual({ from: 'node:sqlite' });
    viaBetter.close();
  });
});
