import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { ConfigurationError } from '../errors/ConfigurationError.js';

/** Which SQLite binding a store runs on. */
export type SqliteDriver = 'node:sqlite' | 'better-sqlite3';

/** A value bound to a statement parameter. */
export type SqlParam = string | number | null;

/** What our stores need of a prepared statement: the common ground of `node:sqlite` and better-sqlite3. */
export interface SqlStatement<R = unknown> {
  get(...params: SqlParam[]): R | undefined;
  all(...params: SqlParam[]): R[];
  run(...params: SqlParam[]): { changes: number | bigint };
}

/** What our stores need of a database handle. */
export interface SqlDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqlStatement;
  close(): void;
}

type SqlDatabaseClass = new (path: string) => SqlDatabase;

/** How the errors of {@link openSqliteFile} name the file and the store. */
export interface SqliteFileLabel {
  /** The class the caller constructs, e.g. `SqliteCacheStore`. */
  store: string;
  /** What the file is, e.g. `cache database`. */
  what: string;
  /** Error code of every failure. */
  code: string;
}

/**
 * Opens (or creates) a SQLite file with the first available driver. A file it creates gets mode
 * 0600 and its missing directories 0700: our databases hold cached answers or credentials.
 * `':memory:'` opens a throwaway database.
 *
 * @example
 * const { db, driver } = openSqliteFile('./data/x.sqlite', undefined, { store: 'MyStore', what: 'database', code: 'MY_DB' });
 */
export function openSqliteFile(
  path: string,
  wanted: SqliteDriver | undefined,
  label: SqliteFileLabel,
): { db: SqlDatabase; driver: SqliteDriver } {
  if (typeof path !== 'string' || path.length === 0) {
    throw new ConfigurationError(
      `Invalid ${label.store} option 'path': must be a file path, got ${String(path)}.`,
      { hint: "Pass a file path such as './data/store.sqlite', or ':memory:'." },
    );
  }
  const inMemory = path === ':memory:';
  const { Database, driver } = loadSqliteDriver(wanted, label);
  try {
    const created = !inMemory && !existsSync(path);
    if (created) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path);
    if (created) chmodSync(path, 0o600);
    return { db, driver };
  } catch (e) {
    throw new ConfigurationError(`Cannot open the ${label.what} at ${path}: ${sqlMessageOf(e)}.`, {
      cause: e,
      code: label.code,
      hint: 'Check that the directory exists or can be created, and is writable.',
    });
  }
}

// The driver loads on first use, so importing azcore costs nothing for apps without SQLite.
const drivers = new Map<SqliteDriver, { Database: SqlDatabaseClass | null; why?: string }>();
function tryLoad(driver: SqliteDriver): { Database: SqlDatabaseClass | null; why?: string } {
  let loaded = drivers.get(driver);
  if (!loaded) {
    try {
      const require = createRequire(import.meta.url);
      if (driver === 'node:sqlite') {
        loaded = { Database: (require('node:sqlite') as { DatabaseSync: SqlDatabaseClass }).DatabaseSync };
      } else {
        const Database = require('better-sqlite3') as SqlDatabaseClass;
        // Its native binding loads on the first open: one built for another Node (another
        // NODE_MODULE_VERSION, e.g. installed under Node 20 and run on 24) fails here, not at require.
        new Database(':memory:').close();
        loaded = { Database };
      }
    } catch (e) {
      // not this Node (node:sqlite: 22.13+, or 22.5+ with --experimental-sqlite), not installed,
      // or a native build this Node cannot load
      const code = (e as { code?: unknown }).code;
      loaded = {
        Database: null,
        ...(code === 'MODULE_NOT_FOUND' || code === 'ERR_UNKNOWN_BUILTIN_MODULE'
          ? {}
          : { why: sqlMessageOf(e).replace(/\s+/g, ' ').slice(0, 300) }),
      };
    }
    drivers.set(driver, loaded);
  }
  return loaded;
}

/**
 * The database class of `wanted`, or of the first available driver: `node:sqlite` (Node 22.13+),
 * then the optional peer `better-sqlite3`. Throws a ConfigurationError naming the fix when none loads.
 *
 * @example
 * const { driver } = loadSqliteDriver(undefined, { store: 'SqliteTokenStore', what: 'token database', code: 'TOKEN_DB' });
 */
export function loadSqliteDriver(
  wanted: SqliteDriver | undefined,
  label: Pick<SqliteFileLabel, 'store' | 'code'>,
): { Database: SqlDatabaseClass; driver: SqliteDriver } {
  const order: SqliteDriver[] = wanted ? [wanted] : ['node:sqlite', 'better-sqlite3'];
  const reasons: string[] = [];
  for (const driver of order) {
    const { Database, why } = tryLoad(driver);
    if (Database) return { Database, driver };
    if (why) reasons.push(`'${driver}' does not load in it: ${why}`);
  }
  const problem = wanted
    ? `The SQLite driver '${wanted}' is not available in this Node (${process.version})`
    : `${label.store} needs SQLite: Node ${process.version} has no node:sqlite and 'better-sqlite3' is ${reasons.length > 0 ? 'unusable' : 'not installed'}`;
  throw new ConfigurationError(`${problem}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}.`, {
    code: label.code,
    hint:
      reasons.length > 0
        ? 'Use Node 22.13+ (built-in node:sqlite), or rebuild the driver for this Node: `npm rebuild better-sqlite3`.'
        : 'Use Node 22.13+ (built-in node:sqlite), or run `npm install better-sqlite3`.',
  });
}

/**
 * Runs `fn` in one `BEGIN IMMEDIATE` transaction (a writer in another process waits on
 * `busy_timeout`), rolling back when it throws.
 *
 * @example
 * inTransaction(db, () => { upsert.run(k, v); prune.run(now); });
 */
export function inTransaction<T>(db: SqlDatabase, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (e) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // no transaction left to roll back (SQLite ended it); the first error is the one to report
    }
    throw e;
  }
}

/** The message of a driver error, for the text of our own errors. */
export function sqlMessageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
