import type { OAuthDiscoveryState, OAuthTokens } from '@modelcontextprotocol/client';

/**
 * What identifies one stored credential: the authorization server that issued it (`issuer`), the
 * MCP server it is for (`resource`, the server URL as configured) and the OAuth client it was
 * issued to (`clientId`). Two servers behind one authorization server get two records; one server
 * reached by two clients (two apps, two registrations) gets two records too.
 */
export interface CredentialKey {
  issuer: string;
  resource: string;
  clientId: string;
}

/** The OAuth client as registered (dynamically, by metadata URL, or from config). */
export interface StoredClient {
  client_id: string;
  client_secret?: string | undefined;
  client_id_issued_at?: number | undefined;
  client_secret_expires_at?: number | undefined;
  /** The rest of the registration response, kept as the server sent it. */
  [field: string]: unknown;
}

/**
 * Everything azcore keeps for one credential. `obtainedAt`/`expiresAt` are epoch ms from the
 * runtime's clock (the token response only says `expires_in`). The PKCE verifier and the
 * authorization code are never stored: they live in memory for one login only.
 */
export interface CredentialRecord extends CredentialKey {
  tokens?: OAuthTokens | undefined;
  /** When `tokens` were obtained, and when the access token expires (undefined: the server did not say). */
  obtainedAt?: number | undefined;
  expiresAt?: number | undefined;
  client?: StoredClient | undefined;
  /** Discovery results (protected resource + authorization server metadata), to skip discovery next time. */
  discovery?: OAuthDiscoveryState | undefined;
  updatedAt: number;
}

/**
 * Where credentials live. Implementations: {@link MemoryTokenStore} (tests, short-lived apps),
 * `FileTokenStore` (the default: one JSON file, mode 0600, atomic writes), `SqliteTokenStore`,
 * and the fleet's Redis store. A store holds secrets: it must never log a record.
 *
 * @example
 * const store: TokenStore = new MemoryTokenStore();
 * await store.save({ issuer: 'https://as', resource: 'https://mcp/mcp', clientId: 'c', updatedAt: Date.now() });
 * const [newest] = await store.find('https://mcp/mcp');
 */
export interface TokenStore {
  /** Every record for this resource (MCP server URL), newest `updatedAt` first. */
  find(resource: string): Promise<CredentialRecord[]>;
  /** Inserts, or replaces the record with the same key. */
  save(record: CredentialRecord): Promise<void>;
  /** Removes the records for `resource` that match the given key fields; returns how many. */
  remove(match: Partial<CredentialKey> & { resource: string }): Promise<number>;
  /** Every record (for `azcore auth status`). */
  list(): Promise<CredentialRecord[]>;
  /**
   * Optional: a store shared by several processes (the fleet's Redis store) runs `refresh` in one
   * of them only; the others wait until a record newer than `current` is saved. Without it every
   * process refreshes for itself (fine for one process; with rotating refresh tokens, two
   * processes sharing a file would each try the same token).
   */
  coordinateRefresh?(current: CredentialRecord, refresh: () => Promise<void>): Promise<void>;
}

/** The store key as one string: the three parts, JSON-encoded so no separator can collide. */
export const credentialKeyString = (key: CredentialKey): string =>
  JSON.stringify([key.issuer, key.resource, key.clientId]);

/** True when `record` matches every field given in `match`. */
export const matchesCredential = (
  record: CredentialKey,
  match: Partial<CredentialKey> & { resource: string },
): boolean =>
  record.resource === match.resource &&
  (match.issuer === undefined || record.issuer === match.issuer) &&
  (match.clientId === undefined || record.clientId === match.clientId);

/** Newest first, the order `find` returns. */
export const newestFirst = (a: CredentialRecord, b: CredentialRecord): number => b.updatedAt - a.updatedAt;
