import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ResourceError } from '../errors/ResourceError.js';
import {
  inTransaction,
  sqlMessageOf as messageOf,
  openSqliteFile,
  type SqlDatabase,
  type SqliteDriver,
  type SqlStatement,
} from '../sqlite/sqliteDriver.js';
import { type CacheEntry, type CacheStore, checkMaxEntries } from './CacheStore.js';
import type { JsonValue } from './canonicalJson.js';

export type { SqliteDriver } from '../sqlite/sqliteDriver.js';

/** Options of {@link SqliteCacheStore}. */
export interface SqliteCacheStoreOptions {
  /** Database file, created (mode 0600, directory 0700) when missing; `':memory:'` for a throwaway one. */
  path: string;
  /** Entries kept at most; the least recently used go first. Default 1000. */
  maxEntries?: number | undefined;
  /**
   * SQLite driver. Default: Node's built-in `node:sqlite` where Node has it (22.13+), else the
   * optional peer `better-sqlite3` (Node 20: `npm install better-sqlite3`).
   */
  driver?: SqliteDriver | undefined;
}

interface Row {
  value: string;
  stored_at: number;
  expires_at: number;
}

interface Statements {
  select: SqlStatement<Row>;
  touch: SqlStatement;
  upsert: SqlStatement;
  prune: SqlStatement;
  evict: SqlStatement;
  remove: SqlStatement;
  clear: SqlStatement;
  count: SqlStatement<{ n: number }>;
}

// `used` orders entries by last use; taking max + 1 inside the statement keeps it right even when
// several processes share the file.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS azcore_cache_v1 (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  stored_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS azcore_cache_v1_used ON azcore_cache_v1 (used);
CREATE INDEX IF NOT EXISTS azcore_cache_v1_expires ON azcore_cache_v1 (expires_at);
`;
const LABEL = { store: 'SqliteCacheStore', what: 'cache database', code: 'CACHE_DB' };
const NEXT_USE = '(SELECT COALESCE(MAX(used), 0) + 1 FROM azcore_cache_v1)';

/**
 * The embedded persistent {@link CacheStore}: one SQLite file (`node:sqlite` on Node 22.13+, else
 * better-sqlite3; WAL journal, prepared statements). Values are stored as JSON text and read back with `JSON.parse` only, so
 * a tampered file can change answers but never run code. Survives restarts; `close()` it at shutdown.
 *
 * @example
 * const store = new SqliteCacheStore({ path: join(dataDir, 'answers.sqlite'), maxEntries: 5_000 });
 * const cached = new CachedFallback(teamExecutor(team), { store, codec: teamAnswerCodec, ttlMs: 3_600_000 });
 * // ... at shutdown
 * store.close();
 */
export class SqliteCacheStore implements CacheStore {
  readonly path: string;
  readonly maxEntries: number;
  /** The binding in use. */
  readonly driver: SqliteDriver;
  #db: SqlDatabase | undefined;
  readonly #sql: Statements;
  readonly #storeEntry: (key: string, entry: CacheEntry) => void;

  constructor(options: SqliteCacheStoreOptions) {
    this.path = options.path;
    this.maxEntries = checkMaxEntries('SqliteCacheStore', options.maxEntries);
    const { db, driver } = openSqliteFile(options.path, options.driver, LABEL);
    this.#db = db;
    this.driver = driver;
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec(SCHEMA);
      this.#sql = {
        select: db.prepare(
          'SELECT value, stored_at, expires_at FROM azcore_cache_v1 WHERE key = ?',
        ) as SqlStatement<Row>,
        touch: db.prepare(`UPDATE azcore_cache_v1 SET used = ${NEXT_USE} WHERE key = ?`),
        upsert: db.prepare(
          `INSERT INTO azcore_cache_v1 (key, value, stored_at, expires_at, used)
           VALUES (?, ?, ?, ?, ${NEXT_USE})
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, stored_at = excluded.stored_at,
             expires_at = excluded.expires_at, used = excluded.used`,
        ),
        prune: db.prepare('DELETE FROM azcore_cache_v1 WHERE expires_at <= ?'),
        evict: db.prepare(
          'DELETE FROM azcore_cache_v1 WHERE key IN (SELECT key FROM azcore_cache_v1 ORDER BY used DESC LIMIT -1 OFFSET ?)',
        ),
        remove: db.prepare('DELETE FROM azcore_cache_v1 WHERE key = ?'),
        clear: db.prepare('DELETE FROM azcore_cache_v1'),
        count: db.prepare('SELECT COUNT(*) AS n FROM azcore_cache_v1') as SqlStatement<{ n: number }>,
      };
    } catch (e) {
      db.close();
      throw new ConfigurationError(`The cache database at ${options.path} cannot be used: ${messageOf(e)}.`, {
        cause: e,
        code: 'CACHE_DB',
        hint: 'Point `path` at a new file, or delete this one if it is not an azcore cache.',
      });
    }
    // One transaction per write (BEGIN IMMEDIATE: another process's writer waits on busy_timeout).
    this.#storeEntry = (key: string, entry: CacheEntry) => {
      const { value, storedAt, expiresAt } = entry;
      inTransaction(db, () => {
        this.#sql.upsert.run(key, JSON.stringify(value), storedAt, expiresAt);
        this.#sql.prune.run(storedAt);
        this.#sql.evict.run(this.maxEntries);
      });
    };
  }

  get(key: string, now: number): CacheEntry | undefined {
    return this.#use('read', () => {
      const row = this.#sql.select.get(key);
      if (!row) return undefined;
      const value = now < row.expires_at ? parseJson(row.value) : undefined;
      if (value === undefined) {
        this.#sql.remove.run(key);
        return undefined;
      }
      this.#sql.touch.run(key);
      return { value, storedAt: row.stored_at, expiresAt: row.expires_at };
    });
  }

  set(key: string, entry: CacheEntry): void {
    this.#use('write', () => this.#storeEntry(key, entry));
  }

  delete(key: string): boolean {
    return this.#use('delete', () => Number(this.#sql.remove.run(key).changes) > 0);
  }

  clear(): void {
    this.#use('clear', () => this.#sql.clear.run());
  }

  size(): number {
    return this.#use('count', () => Number(this.#sql.count.get()?.n ?? 0));
  }

  /** Checkpoints the WAL into the file and closes it. Idempotent. */
  close(): void {
    const db = this.#db;
    this.#db = undefined;
    db?.close();
  }

  #use<T>(operation: string, fn: () => T): T {
    if (!this.#db) {
      throw new ConfigurationError(`The cache database at ${this.path} is closed.`, {
        code: 'CACHE_CLOSED',
        hint: 'Open a new SqliteCacheStore, or close the store only at shutdown.',
      });
    }
    try {
      return fn();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new ResourceError(`The cache database at ${this.path} failed to ${operation}: ${messageOf(e)}.`, {
        cause: e,
        code: typeof code === 'string' ? code : 'CACHE_DB',
        hint: 'Check free disk space and file permissions; the cache is optional, so calls still run live.',
      });
    }
  }
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}
