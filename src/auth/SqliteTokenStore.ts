import { chmodSync } from 'node:fs';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ResourceError } from '../errors/ResourceError.js';
import {
  inTransaction,
  openSqliteFile,
  type SqlDatabase,
  type SqliteDriver,
  type SqlStatement,
  sqlMessageOf,
} from '../sqlite/sqliteDriver.js';
import type { CredentialKey, CredentialRecord, TokenStore } from './TokenStore.js';

/** Options of {@link SqliteTokenStore}. */
export interface SqliteTokenStoreOptions {
  /** Database file, created (mode 0600, directory 0700) when missing; `':memory:'` for a throwaway one. */
  path: string;
  /** SQLite driver. Default: `node:sqlite` where Node has it (22.13+), else the optional peer `better-sqlite3`. */
  driver?: SqliteDriver | undefined;
}

interface Row {
  issuer: string;
  resource: string;
  client_id: string;
  value: string;
  updated_at: number;
}

const LABEL = { store: 'SqliteTokenStore', what: 'token database', code: 'TOKEN_DB' };
const TABLE = 'azcore_credentials_v1';
const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${TABLE} (
  issuer TEXT NOT NULL,
  resource TEXT NOT NULL,
  client_id TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, resource, client_id)
);
CREATE INDEX IF NOT EXISTS ${TABLE}_resource ON ${TABLE} (resource, updated_at);
`;
const COLUMNS = 'issuer, resource, client_id, value, updated_at';
// A NULL parameter matches every value of that column: remove() by a partial key.
const MATCH = 'resource = ? AND (? IS NULL OR issuer = ?) AND (? IS NULL OR client_id = ?)';

/**
 * A {@link TokenStore} in one SQLite file (`node:sqlite` on Node 22.13+, else better-sqlite3):
 * one row per credential keyed by issuer, resource and client id, the rest of the record as JSON,
 * `updated_at` for ordering. The file is kept at mode 0600; several processes can share it (WAL
 * journal, writers wait on a busy timeout). `close()` it at shutdown.
 *
 * @example
 * const store = new SqliteTokenStore({ path: join(dataDir, 'credentials.sqlite') });
 * await store.save({ issuer: 'https://as.example.com', resource: 'https://mcp.example.com/mcp', clientId: 'azcore', updatedAt: Date.now() });
 * const [newest] = await store.find('https://mcp.example.com/mcp');
 * store.close();
 */
export class SqliteTokenStore implements TokenStore {
  readonly path: string;
  /** The binding in use. */
  readonly driver: SqliteDriver;
  #db: SqlDatabase | undefined;
  readonly #sql: {
    find: SqlStatement<Row>;
    list: SqlStatement<Row>;
    upsert: SqlStatement;
    remove: SqlStatement;
  };

  constructor(options: SqliteTokenStoreOptions) {
    this.path = options.path;
    const { db, driver } = openSqliteFile(options.path, options.driver, LABEL);
    this.#db = db;
    this.driver = driver;
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec(SCHEMA);
      this.#sql = {
        find: db.prepare(
          `SELECT ${COLUMNS} FROM ${TABLE} WHERE resource = ? ORDER BY updated_at DESC`,
        ) as SqlStatement<Row>,
        list: db.prepare(`SELECT ${COLUMNS} FROM ${TABLE} ORDER BY updated_at DESC`) as SqlStatement<Row>,
        upsert: db.prepare(
          `INSERT INTO ${TABLE} (${COLUMNS}) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (issuer, resource, client_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        ),
        remove: db.prepare(`DELETE FROM ${TABLE} WHERE ${MATCH}`),
      };
    } catch (e) {
      db.close();
      throw new ConfigurationError(
        `The token database at ${options.path} cannot be used: ${sqlMessageOf(e)}.`,
        {
          cause: e,
          code: LABEL.code,
          hint: 'Point `path` at a new file, or move this one aside if it is not an azcore token database.',
        },
      );
    }
    tighten(options.path);
  }

  async find(resource: string): Promise<CredentialRecord[]> {
    return this.#use('read', () => this.#sql.find.all(resource).map((row) => this.#record(row)));
  }

  async save(record: CredentialRecord): Promise<void> {
    const { issuer, resource, clientId, updatedAt, ...rest } = record;
    const value = JSON.stringify(rest);
    this.#use('write', () => {
      const db = this.#db as SqlDatabase;
      inTransaction(db, () => this.#sql.upsert.run(issuer, resource, clientId, value, updatedAt));
    });
  }

  async remove(match: Partial<CredentialKey> & { resource: string }): Promise<number> {
    const issuer = match.issuer ?? null;
    const clientId = match.clientId ?? null;
    return this.#use('delete', () =>
      Number(this.#sql.remove.run(match.resource, issuer, issuer, clientId, clientId).changes),
    );
  }

  async list(): Promise<CredentialRecord[]> {
    return this.#use('read', () => this.#sql.list.all().map((row) => this.#record(row)));
  }

  /** Closes the database. Idempotent; any later operation fails with a ConfigurationError. */
  close(): void {
    const db = this.#db;
    this.#db = undefined;
    db?.close();
  }

  #record(row: Row): CredentialRecord {
    let rest: unknown;
    try {
      rest = JSON.parse(row.value);
    } catch {
      rest = undefined; // the parse error would quote the value, which holds tokens
    }
    if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) {
      throw new ConfigurationError(
        `The token database at ${this.path} holds a damaged credential (issuer ${row.issuer}, resource ${row.resource}, client ${row.client_id}).`,
        {
          code: LABEL.code,
          hint: `Remove it with \`azcore auth logout\` for that server (or delete the row) and log in again.`,
        },
      );
    }
    const record = {
      ...(rest as Partial<CredentialRecord>),
      issuer: row.issuer,
      resource: row.resource,
      clientId: row.client_id,
      updatedAt: Number(row.updated_at),
    };
    return record;
  }

  #use<T>(operation: string, fn: () => T): T {
    if (!this.#db) {
      throw new ConfigurationError(`The token database at ${this.path} is closed.`, {
        code: 'TOKEN_DB_CLOSED',
        hint: 'Open a new SqliteTokenStore, or close the store only at shutdown.',
      });
    }
    try {
      return fn();
    } catch (e) {
      if (e instanceof ConfigurationError) throw e;
      const code = (e as { code?: unknown }).code;
      throw new ResourceError(
        `The token database at ${this.path} failed to ${operation}: ${sqlMessageOf(e)}.`,
        {
          cause: e,
          code: typeof code === 'string' ? code : LABEL.code,
          hint: 'Check free disk space and file permissions.',
        },
      );
    }
  }
}

// A file made by someone else's umask, or copied in, is brought back to owner-only.
function tighten(path: string): void {
  if (path === ':memory:' || process.platform === 'win32') return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch {
      // not there (no WAL yet) or not ours: SQLite creates the WAL with the database's mode
    }
  }
}
