import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registrationKind, summarizeCredential } from '../../src/auth/credentialSummary.js';
import { defaultTokenFile, FileTokenStore } from '../../src/auth/FileTokenStore.js';
import { MemoryTokenStore } from '../../src/auth/MemoryTokenStore.js';
import { SqliteTokenStore } from '../../src/auth/SqliteTokenStore.js';
import type { TokenStore } from '../../src/auth/TokenStore.js';
import {
  describeTokenStoreContract,
  contractRecord as record,
  CONTRACT_SECRET as SECRET,
} from './tokenStoreContract.js';

const root = new URL('../../', import.meta.url).pathname;

interface RawDatabase {
  prepare(sql: string): { all(): unknown[]; run(...params: string[]): unknown };
  close(): void;
}
/**
 * The file opened behind the store's back with this Node's SQLite: node:sqlite where Node has it,
 * else better-sqlite3 (on Node 24, CI's second leg, a better-sqlite3 built under Node 20 does not load).
 */
function rawDatabase(path: string): RawDatabase {
  const require = createRequire(import.meta.url);
  try {
    return new (require('node:sqlite') as { DatabaseSync: new (path: string) => RawDatabase }).DatabaseSync(
      path,
    );
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_BUILTIN_MODULE') throw e;
  }
  return new (require('better-sqlite3') as new (path: string) => RawDatabase)(path);
}
const dirs: string[] = [];
const sqlite: SqliteTokenStore[] = [];
afterAll(() => {
  for (const s of sqlite) s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'azcore-tokens-'));
  dirs.push(dir);
  return dir;
}

const stores: Record<string, () => TokenStore> = {
  MemoryTokenStore: () => new MemoryTokenStore(),
  FileTokenStore: () => new FileTokenStore({ path: join(tempDir(), 'azcore', 'credentials.json') }),
  SqliteTokenStore: () => {
    const store = new SqliteTokenStore({ path: join(tempDir(), 'tokens.sqlite') });
    sqlite.push(store);
    return store;
  },
};
for (const [name, make] of Object.entries(stores)) describeTokenStoreContract(name, make);

describe('FileTokenStore', () => {
  it('defaults to $AZCORE_TOKEN_FILE, then $XDG_CONFIG_HOME/azcore, then ~/.config/azcore', () => {
    expect(defaultTokenFile({ AZCORE_TOKEN_FILE: '/x/creds.json', XDG_CONFIG_HOME: '/y' })).toBe(
      '/x/creds.json',
    );
    expect(defaultTokenFile({ XDG_CONFIG_HOME: '/home/ada/.cfg' })).toBe(
      '/home/ada/.cfg/azcore/credentials.json',
    );
    expect(defaultTokenFile({ XDG_CONFIG_HOME: 'relative' })).toMatch(
      /\/\.config\/azcore\/credentials\.json$/,
    );
    expect(defaultTokenFile({})).toMatch(/\/\.config\/azcore\/credentials\.json$/);
    expect(new FileTokenStore().path).toBe(defaultTokenFile());
  });

  it('creates the file 0600 in a 0700 directory and leaves no temporary file behind', async () => {
    const dir = join(tempDir(), 'nested', 'azcore');
    const store = new FileTokenStore({ path: join(dir, 'credentials.json') });
    await store.save(record());
    await store.save(record({ clientId: 'second' }));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['credentials.json']);
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toMatchObject({ version: 1, credentials: [{}, {}] });
  });

  it('re-reads the file on every operation: what another process wrote is seen at once', async () => {
    const path = join(tempDir(), 'credentials.json');
    const mine = new FileTokenStore({ path });
    const theirs = new FileTokenStore({ path });
    await mine.save(record({ clientId: 'mine' }));
    expect((await theirs.list()).map((r) => r.clientId)).toEqual(['mine']);
    writeFileSync(
      path,
      JSON.stringify({ version: 1, credentials: [record({ clientId: 'edited', updatedAt: 9 })] }),
    );
    expect((await mine.list()).map((r) => r.clientId)).toEqual(['edited']);
    await theirs.save(record({ clientId: 'theirs', updatedAt: 10 }));
    expect((await mine.find(record().resource)).map((r) => r.clientId)).toEqual(['theirs', 'edited']);
  });

  it('loses no update when 50 saves race, from one store or from two over the same file', async () => {
    const path = join(tempDir(), 'credentials.json');
    const a = new FileTokenStore({ path });
    const b = new FileTokenStore({ path });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).save(record({ clientId: `c${i}`, updatedAt: i }))),
    );
    const all = await a.list();
    expect(all).toHaveLength(50);
    expect(all[0]?.clientId).toBe('c49');
    await Promise.all([
      a.remove({ resource: record().resource, clientId: 'c0' }),
      b.save(record({ clientId: 'x' })),
    ]);
    expect(await b.list()).toHaveLength(50);
    expect(readdirSync(join(path, '..'))).toEqual(['credentials.json']);
  });

  it('an empty file is an empty store', async () => {
    const path = join(tempDir(), 'credentials.json');
    writeFileSync(path, '\n', { mode: 0o600 });
    expect(await new FileTokenStore({ path }).list()).toEqual([]);
  });

  it('a damaged file is a ConfigurationError naming the path and the fix, never quoting the file', async () => {
    const path = join(tempDir(), 'credentials.json');
    const store = new FileTokenStore({ path });
    const cases: [string, RegExp][] = [
      [`{"version":1,"credentials":[{"tokens":{"access_token":"${SECRET}"`, /it is not valid JSON/],
      [`["${SECRET}"]`, /not an azcore credentials file \(expected a JSON object\)/],
      [
        `{"version":1,"credentials":[{"issuer":"${SECRET}"}]}`,
        /credential #1 lacks issuer, resource, clientId/,
      ],
      [`{"version":2,"credentials":[],"x":"${SECRET}"}`, /written by a newer azcore \(format version 2/],
    ];
    for (const [content, why] of cases) {
      writeFileSync(path, content);
      const error = await store.list().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ kind: 'configuration', code: 'TOKEN_FILE' });
      const e = error as Error & { hint: string };
      expect(e.message).toContain(`The credentials file ${path} cannot be used:`);
      expect(e.message).toMatch(why);
      expect(e.hint).toMatch(
        /Move it aside \(or delete it\) and log in again with `azcore auth login <server>`/,
      );
      const everything = `${e.message} ${JSON.stringify(e)} ${String(e.cause)} ${e.stack}`;
      expect(everything).not.toContain('SECRET');
      await expect(store.save(record())).rejects.toMatchObject({ code: 'TOKEN_FILE' });
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
  });

  it('a path that cannot be read as a file says why and what to do', async () => {
    const path = join(tempDir(), 'credentials.json');
    mkdirSync(path);
    await expect(new FileTokenStore({ path }).list()).rejects.toThrow(
      /cannot be used: it cannot be read \(EISDIR\)\. That path is a directory: set AZCORE_TOKEN_FILE/,
    );
  });

  it('tightens a file open to others to 0600 on the next save and warns once', async () => {
    const path = join(tempDir(), 'credentials.json');
    await new FileTokenStore({ path }).save(record({ clientId: 'before' }));
    chmodSync(path, 0o644);
    const warnings: string[] = [];
    const store = new FileTokenStore({ path, onWarning: (m) => warnings.push(m) });
    await store.list();
    await store.find(record().resource);
    expect(warnings).toEqual([
      `The credentials file ${path} is open to other users (mode 0644); azcore rewrites it as 0600 on the next save. Run \`chmod 600 ${path}\` to fix it now.`,
    ]);
    await store.save(record({ clientId: 'after' }));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await store.list();
    expect(warnings).toHaveLength(1);
    expect(warnings.join()).not.toContain('SECRET');
  });

  it('a save that cannot write leaves the old file intact (the rename never happens) and says so', async () => {
    const dir = join(tempDir(), 'readonly');
    const path = join(dir, 'credentials.json');
    await new FileTokenStore({ path }).save(record({ clientId: 'kept' }));
    const before = readFileSync(path, 'utf8');
    chmodSync(dir, 0o500);
    // Root writes through a read-only directory: run the save as an unprivileged user instead.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      for (const p of [join(dir, '..'), dir, path]) chownSync(p, 65_534, 65_534);
    }
    const outcome = asRoot ? await saveAsNobody(path) : await saveHere(path);
    chmodSync(dir, 0o700);
    expect(outcome).toMatchObject({ kind: 'configuration', code: 'TOKEN_FILE' });
    expect(outcome.message).toMatch(
      new RegExp(`Cannot save OAuth credentials to ${path}: EACCES\\. The previous file is unchanged\\.`),
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['credentials.json']);
  });
});

type Outcome = { kind?: string; code?: string; message: string };
async function saveHere(path: string): Promise<Outcome> {
  try {
    await new FileTokenStore({ path }).save(record({ clientId: 'lost' }));
    return { message: 'saved' };
  } catch (e) {
    return e as Outcome;
  }
}
function saveAsNobody(path: string): Promise<Outcome> {
  const script = `
    const { FileTokenStore } = await import(${JSON.stringify(join(root, 'src/auth/FileTokenStore.ts'))});
    const store = new FileTokenStore({ path: ${JSON.stringify(path)} });
    try { await store.save({ issuer: 'i', resource: 'r', clientId: 'lost', updatedAt: 2 }); console.log(JSON.stringify({ message: 'saved' })); }
    catch (e) { console.log(JSON.stringify({ kind: e.kind, code: e.code, message: e.message })); }`;
  return runScript(script, { uid: 65_534, gid: 65_534 }).then((out) => JSON.parse(out) as Outcome);
}

/** Runs an ES module script in a new Node process (TypeScript through tsx); resolves with its stdout. */
function runScript(script: string, options: { uid?: number; gid?: number } = {}): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    ...options,
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  return new Promise((resolve, reject) => {
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`)),
    );
  });
}

describe('FileTokenStore across processes', () => {
  it('loses no update when three processes save at once (lock file beside the credentials file)', async () => {
    const path = join(tempDir(), 'azcore', 'credentials.json');
    const script = (worker: number) => `
      const { FileTokenStore } = await import(${JSON.stringify(join(root, 'src/auth/FileTokenStore.ts'))});
      const store = new FileTokenStore({ path: ${JSON.stringify(path)} });
      await Promise.all(Array.from({ length: 15 }, (_, i) =>
        store.save({ issuer: 'https://as', resource: 'https://mcp/mcp', clientId: 'w${worker}-' + i, updatedAt: i })));
      console.log('done');`;
    const outputs = await Promise.all([1, 2, 3].map((w) => runScript(script(w))));
    expect(outputs).toEqual(['done\n', 'done\n', 'done\n']);
    const all = await new FileTokenStore({ path }).list();
    expect(all).toHaveLength(45);
    expect(readdirSync(join(path, '..'))).toEqual(['credentials.json']);
  }, 60_000);

  it('takes over a lock left by a process that died mid-save', async () => {
    const path = join(tempDir(), 'credentials.json');
    const dead = Number(await runScript('console.log(process.pid)'));
    writeFileSync(`${path}.lock`, `${dead}\n`);
    await new FileTokenStore({ path }).save(record());
    expect(readdirSync(join(path, '..'))).toEqual(['credentials.json']);
  }, 30_000);
});

describe('SqliteTokenStore', () => {
  it('keeps one row per key (issuer, resource, client_id) with the rest as JSON, in a 0600 file', async () => {
    const path = join(tempDir(), 'deeper', 'tokens.sqlite');
    const store = new SqliteTokenStore({ path });
    await store.save(record({ updatedAt: 5 }));
    await store.save(record({ updatedAt: 6 }));
    store.close();
    store.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    const raw = rawDatabase(path);
    const rows = raw
      .prepare('SELECT issuer, resource, client_id, value, updated_at FROM azcore_credentials_v1')
      .all();
    raw.close();
    expect(rows).toEqual([
      {
        issuer: 'https://as.example.com',
        resource: 'https://mcp.example.com/mcp',
        client_id: 'azcore-cli',
        value: expect.stringContaining(SECRET),
        updated_at: 6,
      },
    ]);
    const again = new SqliteTokenStore({ path });
    sqlite.push(again);
    expect(await again.list()).toEqual([record({ updatedAt: 6 })]);
  });

  it('fails with typed errors: closed store, damaged row (no secret quoted), not a database', async () => {
    const dir = tempDir();
    const path = join(dir, 'tokens.sqlite');
    const store = new SqliteTokenStore({ path });
    await store.save(record());
    const raw = rawDatabase(path);
    raw.prepare('UPDATE azcore_credentials_v1 SET value = ?').run(`{"tokens":{"access_token":"${SECRET}"`);
    raw.close();
    const damaged = (await store.list().catch((e: unknown) => e)) as Error;
    expect(damaged).toMatchObject({ kind: 'configuration', code: 'TOKEN_DB' });
    expect(damaged.message).toMatch(
      /holds a damaged credential \(issuer https:\/\/as\.example\.com, resource/,
    );
    expect(`${damaged.message} ${String(damaged.cause)}`).not.toContain('SECRET');
    store.close();
    await expect(store.find('x')).rejects.toMatchObject({ kind: 'configuration', code: 'TOKEN_DB_CLOSED' });
    const notDb = join(dir, 'not.sqlite');
    writeFileSync(notDb, 'not sqlite at all'.repeat(100));
    expect(() => new SqliteTokenStore({ path: notDb })).toThrow(
      /token database at .*not\.sqlite cannot be used: file is not a database/,
    );
  });
});

describe('summarizeCredential', () => {
  it('keeps what people need and drops every secret', () => {
    const summary = summarizeCredential(record(), 1_801_000);
    expect(summary).toEqual({
      issuer: 'https://as.example.com',
      resource: 'https://mcp.example.com/mcp',
      clientId: 'azcore-cli',
      scope: 'read',
      tokenType: 'Bearer',
      status: 'valid',
      hasAccessToken: true,
      hasRefreshToken: true,
      expiresAt: 3_601_000,
      expiresInMs: 1_800_000,
      expired: false,
      obtainedAt: 1_000,
      updatedAt: 1,
      clientRegistration: 'dynamic',
      hasClientSecret: true,
      clientSecretExpiresAt: null,
      hasDiscovery: true,
    });
    expect(JSON.stringify(summary)).not.toContain('SECRET');
  });

  it('expired, unknown expiry, expires_in fallback, no token, masked URL credentials', () => {
    expect(summarizeCredential(record(), 3_601_000)).toMatchObject({
      status: 'expired',
      expired: true,
      expiresInMs: 0,
    });
    expect(summarizeCredential(record({ expiresAt: undefined }), 5)).toMatchObject({
      status: 'valid',
      expiresAt: null,
      expiresInMs: null,
      expired: null,
    });
    const fromExpiresIn = record({ expiresAt: undefined, obtainedAt: 10_000 });
    fromExpiresIn.tokens = { access_token: 'a', token_type: 'Bearer', expires_in: 60 };
    expect(summarizeCredential(fromExpiresIn, 10_000)).toMatchObject({
      expiresAt: 70_000,
      expiresInMs: 60_000,
    });
    expect(summarizeCredential(record({ tokens: undefined, client: undefined }), 0)).toMatchObject({
      status: 'noToken',
      hasAccessToken: false,
      hasRefreshToken: false,
      scope: null,
      clientRegistration: 'static',
      hasClientSecret: false,
    });
    const leaky = summarizeCredential(
      record({ resource: 'https://u:SECRET-pw@mcp.example.com/mcp?token=SECRET-q' }),
      0,
    );
    expect(JSON.stringify(leaky)).not.toContain('SECRET');
    const expiring = record();
    expiring.client = { client_id: 'azcore-cli', client_secret_expires_at: 2_000 };
    expect(summarizeCredential(expiring, 0).clientSecretExpiresAt).toBe(2_000_000);
  });

  it('tells how the client was registered', () => {
    expect(registrationKind('https://app.example.com/client.json', undefined)).toBe('metadataUrl');
    expect(registrationKind('abc', { client_id: 'abc', registration_client_uri: 'https://as/reg/abc' })).toBe(
      'dynamic',
    );
    expect(registrationKind('abc', { client_id: 'abc', client_secret: 'x' })).toBe('static');
    expect(registrationKind('abc', undefined)).toBe('static');
  });
});
