import {
  type CredentialKey,
  type CredentialRecord,
  credentialKeyString,
  matchesCredential,
  newestFirst,
  type TokenStore,
} from './TokenStore.js';

/**
 * Credentials in this process only (tests, short-lived apps). Records are copied in and out, so
 * a caller mutating what it got back changes nothing stored.
 *
 * @example
 * const conn = new ServerConnection({ config, auth: { store: new MemoryTokenStore() } });
 */
export class MemoryTokenStore implements TokenStore {
  readonly #records = new Map<string, CredentialRecord>();

  async find(resource: string): Promise<CredentialRecord[]> {
    return [...this.#records.values()]
      .filter((r) => r.resource === resource)
      .sort(newestFirst)
      .map((r) => structuredClone(r));
  }

  async save(record: CredentialRecord): Promise<void> {
    this.#records.set(credentialKeyString(record), structuredClone(record));
  }

  async remove(match: Partial<CredentialKey> & { resource: string }): Promise<number> {
    let removed = 0;
    for (const [key, record] of this.#records) {
      if (matchesCredential(record, match)) {
        this.#records.delete(key);
        removed++;
      }
    }
    return removed;
  }

  async list(): Promise<CredentialRecord[]> {
    return [...this.#records.values()].sort(newestFirst).map((r) => structuredClone(r));
  }
}
