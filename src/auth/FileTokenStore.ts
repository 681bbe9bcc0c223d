import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import {
  type CredentialKey,
  type CredentialRecord,
  credentialKeyString,
  matchesCredential,
  newestFirst,
  type TokenStore,
} from './TokenStore.js';

/** Options of {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** The credentials file. Default {@link defaultTokenFile}(). */
  path?: string | undefined;
  /**
   * Told once per store when the file was readable or writable by group or others (it is
   * rewritten as 0600 on the next save). Never given any file content.
   */
  onWarning?: ((message: string) => void) | undefined;
}

/** The file as written: a version, so a newer layout is refused rather than misread. */
interface CredentialsFile {
  version: 1;
  credentials: CredentialRecord[];
}

const CODE = 'TOKEN_FILE';

/**
 * Where azcore keeps OAuth credentials unless told otherwise: `$AZCORE_TOKEN_FILE`, else
 * `$XDG_CONFIG_HOME/azcore/credentials.json` (an absolute XDG_CONFIG_HOME only, as the XDG spec
 * says), else `~/.config/azcore/credentials.json`.
 *
 * @example
 * defaultTokenFile({ XDG_CONFIG_HOME: '/home/ada/.config' }); // '/home/ada/.config/azcore/credentials.json'
 */
export function defaultTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AZCORE_TOKEN_FILE) return resolve(env.AZCORE_TOKEN_FILE);
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'azcore', 'credentials.json');
}

// Saves to one file from one process go one at a time, whichever store object makes them.
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(path: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.catch(() => undefined);
  queues.set(path, settled);
  void settled.then(() => {
    if (queues.get(path) === settled) queues.delete(path);
  });
  return run;
}

/**
 * The default {@link TokenStore}: one JSON file, mode 0600 in a 0700 directory created when
 * missing. Every write goes to a temporary file in the same directory, is flushed to disk and then
 * renamed over the old file, so a crash leaves the old file or the new one, never half of one.
 * Saves are serialized, within a process by a queue and across processes by `<file>.lock`; every
 * operation re-reads the file, so what another process wrote is seen at once. A broken file is a {@link ConfigurationError} naming the path
 * and the fix, never quoting the file (it holds tokens).
 *
 * @example
 * const store = new FileTokenStore({ onWarning: (m) => console.warn(m) });
 * await store.save({ issuer: 'https://as.example.com', resource: 'https://mcp.example.com/mcp', clientId: 'azcore', updatedAt: Date.now() });
 * const [newest] = await store.find('https://mcp.example.com/mcp');
 */
export class FileTokenStore implements TokenStore {
  /** The absolute path of the credentials file. */
  readonly path: string;
  readonly #onWarning: ((message: string) => void) | undefined;
  #warned = false;

  constructor(options: FileTokenStoreOptions = {}) {
    this.path = resolve(options.path ?? defaultTokenFile());
    this.#onWarning = options.onWarning;
  }

  async find(resource: string): Promise<CredentialRecord[]> {
    return (await this.#read()).filter((r) => r.resource === resource).sort(newestFirst);
  }

  async save(record: CredentialRecord): Promise<void> {
    const key = credentialKeyString(record);
    await this.#mutate((records) => ({
      records: [...records.filter((r) => credentialKeyString(r) !== key), record],
      result: undefined,
    }));
  }

  async remove(match: Partial<CredentialKey> & { resource: string }): Promise<number> {
    return this.#mutate((records) => {
      const kept = records.filter((r) => !matchesCredential(r, match));
      const removed = records.length - kept.length;
      return { records: removed > 0 ? kept : undefined, result: removed };
    });
  }

  async list(): Promise<CredentialRecord[]> {
    return (await this.#read()).sort(newestFirst);
  }

  /**
   * Read, change, write, one at a time: in this process through the queue, across processes
   * through a lock file beside the credentials file (`<file>.lock`, holding the owner's pid).
   */
  async #mutate<T>(
    change: (records: CredentialRecord[]) => { records: CredentialRecord[] | undefined; result: T },
  ) {
    return serialized(this.path, async () => {
      const lock = `${this.path}.lock`;
      try {
        await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        await acquireLock(lock);
      } catch (e) {
        throw this.#cannotSave(e);
      }
      try {
        const { records, result } = change(await this.#read());
        if (records) await this.#write(records);
        return result;
      } finally {
        await rm(lock, { force: true });
      }
    });
  }

  async #read(): Promise<CredentialRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return [];
      throw this.#unusable(`it cannot be read (${code ?? 'unknown error'})`, e, readHint(code));
    }
    await this.#checkMode();
    if (text.trim() === '') return []; // created empty (touch + chmod 600) ahead of the first login
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // No cause: V8's parse error quotes the text around the fault, and the text holds tokens.
      throw this.#unusable('it is not valid JSON (the file is damaged or was edited by hand)');
    }
    return credentialsOf(parsed, (why) => this.#unusable(why));
  }

  async #checkMode(): Promise<void> {
    if (this.#warned || !this.#onWarning || process.platform === 'win32') return;
    try {
      const mode = (await stat(this.path)).mode & 0o777;
      if ((mode & 0o077) === 0) return;
      this.#warned = true;
      this.#onWarning(
        `The credentials file ${this.path} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); azcore rewrites it as 0600 on the next save. Run \`chmod 600 ${this.path}\` to fix it now.`,
      );
    } catch {
      // gone since the read: nothing to warn about
    }
  }

  async #write(records: CredentialRecord[]): Promise<void> {
    const dir = dirname(this.path);
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const body: CredentialsFile = { version: 1, credentials: records };
    try {
      const file = await open(temp, 'wx', 0o600);
      try {
        await file.chmod(0o600); // the umask may not clear what we need cleared; 0600 is the contract
        await file.writeFile(`${JSON.stringify(body, null, 2)}\n`, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, this.path);
    } catch (e) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw this.#cannotSave(e);
    }
    await syncDirectory(dir);
  }

  #cannotSave(e: unknown): ConfigurationError {
    if (e instanceof ConfigurationError) return e;
    const code = (e as NodeJS.ErrnoException).code;
    return new ConfigurationError(
      `Cannot save OAuth credentials to ${this.path}: ${code ?? (e instanceof Error ? e.message : String(e))}. The previous file is unchanged.`,
      {
        cause: e,
        code: CODE,
        hint: `Check that ${dirname(this.path)} can be created and written by you, or set AZCORE_TOKEN_FILE to a writable path.`,
      },
    );
  }

  #unusable(why: string, cause?: unknown, hint?: string): ConfigurationError {
    return new ConfigurationError(`The credentials file ${this.path} cannot be used: ${why}.`, {
      ...(cause === undefined ? {} : { cause }),
      code: CODE,
      hint:
        hint ??
        `Move it aside (or delete it) and log in again with \`azcore auth login <server>\`; do not paste it anywhere, it holds tokens.`,
    });
  }
}

const LOCK_WAIT_MS = 10_000;
// A save holds the lock for milliseconds; an older lock was left by a process that died mid-save.
const LOCK_STALE_MS = 30_000;

async function acquireLock(lock: string): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`).finally(() => handle.close());
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await isStale(lock)) {
      await rm(lock, { force: true });
      continue;
    }
    if (Date.now() - started > LOCK_WAIT_MS) {
      throw new ConfigurationError(`The credentials file is locked by another process (${lock}).`, {
        code: CODE,
        hint: `If no azcore process is saving credentials, delete ${lock}.`,
      });
    }
    await new Promise((r) => setTimeout(r, Math.min(50, 2 * attempt) + Math.random() * 5));
  }
}

async function isStale(lock: string): Promise<boolean> {
  try {
    const [info, text] = await Promise.all([stat(lock), readFile(lock, 'utf8')]);
    if (Date.now() - info.mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number.parseInt(text, 10);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    if (pid === process.pid) return true; // not ours: this process's saves queue before locking
    process.kill(pid, 0); // throws ESRCH when no such process
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function readHint(code: string | undefined): string {
  return code === 'EACCES' || code === 'EPERM'
    ? 'It should belong to you with mode 0600: fix its owner or permissions, or set AZCORE_TOKEN_FILE to another path.'
    : code === 'EISDIR'
      ? 'That path is a directory: set AZCORE_TOKEN_FILE (or the path option) to a file path.'
      : 'Check the disk and the path, or set AZCORE_TOKEN_FILE to another path.';
}

/** Validates the parsed file, naming the problem without quoting any value. */
function credentialsOf(parsed: unknown, unusable: (why: string) => Error): CredentialRecord[] {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw unusable('it is not an azcore credentials file (expected a JSON object)');
  }
  const { version, credentials } = parsed as { version?: unknown; credentials?: unknown };
  if (typeof version === 'number' && version > 1) {
    throw unusable(`it was written by a newer azcore (format version ${version}; this one reads version 1)`);
  }
  if (version !== 1 || !Array.isArray(credentials)) {
    throw unusable('it is not an azcore credentials file (expected "version": 1 and a "credentials" list)');
  }
  credentials.forEach((r: unknown, i) => {
    const record = r as Partial<Record<keyof CredentialRecord, unknown>> | null;
    const ok =
      typeof record === 'object' &&
      record !== null &&
      typeof record.issuer === 'string' &&
      typeof record.resource === 'string' &&
      typeof record.clientId === 'string' &&
      typeof record.updatedAt === 'number';
    if (!ok) {
      throw unusable(`credential #${i + 1} lacks issuer, resource, clientId or updatedAt`);
    }
  });
  return credentials as CredentialRecord[];
}

// The rename is durable only once the directory entry is on disk; not every platform can open a directory.
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows and some file systems refuse: the data itself was synced before the rename
  }
}
