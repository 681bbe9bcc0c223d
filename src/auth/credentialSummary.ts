import { redactUrls } from '../errors/redact.js';
import type { CredentialRecord, StoredClient } from './TokenStore.js';

/**
 * How the OAuth client was registered: `dynamic` (RFC 7591 registration at the authorization
 * server), `metadataUrl` (the client id is the https URL of a client metadata document), `static`
 * (a client id from config or registered by hand).
 */
export type ClientRegistrationKind = 'dynamic' | 'metadataUrl' | 'static';

/** Where a credential stands at `now`: `valid` (expiry unknown counts as valid), `expired`, or `noToken`. */
export type CredentialStatus = 'valid' | 'expired' | 'noToken';

/**
 * A stored credential without its secrets: no access, refresh or id token, no client secret, no
 * registration access token. JSON-safe (numbers are epoch ms; unknown is `null`), for
 * `azcore auth status`, health reports and the dashboard.
 */
export interface CredentialSummary {
  issuer: string;
  resource: string;
  clientId: string;
  /** The scope the tokens were granted for, as the server said (space-separated), or `null`. */
  scope: string | null;
  tokenType: string | null;
  status: CredentialStatus;
  hasAccessToken: boolean;
  hasRefreshToken: boolean;
  /** When the access token expires (epoch ms), or `null` when the server did not say. */
  expiresAt: number | null;
  /** Time left at `now` (0 once expired), or `null` when the expiry is unknown. */
  expiresInMs: number | null;
  /** `null` when the expiry is unknown. */
  expired: boolean | null;
  obtainedAt: number | null;
  updatedAt: number;
  clientRegistration: ClientRegistrationKind;
  hasClientSecret: boolean;
  /** When the client secret of a dynamic registration expires (epoch ms), or `null` (never / unknown). */
  clientSecretExpiresAt: number | null;
  /** True when discovery results are cached (the next connect skips discovery). */
  hasDiscovery: boolean;
}

/**
 * The secret-free view of one stored credential at `now` (epoch ms).
 *
 * @example
 * const rows = (await store.list()).map((r) => summarizeCredential(r, Date.now()));
 * console.log(JSON.stringify(rows)); // no token, no client secret
 */
export function summarizeCredential(record: CredentialRecord, now: number): CredentialSummary {
  const tokens = record.tokens;
  const hasAccessToken = typeof tokens?.access_token === 'string' && tokens.access_token.length > 0;
  const expiresAt = expiryOf(record);
  const expired = expiresAt === null ? null : now >= expiresAt;
  return {
    issuer: redactUrls(record.issuer),
    resource: redactUrls(record.resource),
    clientId: record.clientId,
    scope: typeof tokens?.scope === 'string' ? tokens.scope : null,
    tokenType: typeof tokens?.token_type === 'string' ? tokens.token_type : null,
    status: !hasAccessToken ? 'noToken' : expired ? 'expired' : 'valid',
    hasAccessToken,
    hasRefreshToken: typeof tokens?.refresh_token === 'string' && tokens.refresh_token.length > 0,
    expiresAt,
    expiresInMs: expiresAt === null ? null : Math.max(0, expiresAt - now),
    expired,
    obtainedAt: finite(record.obtainedAt),
    updatedAt: record.updatedAt,
    clientRegistration: registrationKind(record.clientId, record.client),
    hasClientSecret: typeof record.client?.client_secret === 'string' && record.client.client_secret !== '',
    // RFC 7591: 0 means the secret never expires; the field is in seconds.
    clientSecretExpiresAt:
      typeof record.client?.client_secret_expires_at === 'number' &&
      record.client.client_secret_expires_at > 0
        ? record.client.client_secret_expires_at * 1000
        : null,
    hasDiscovery: record.discovery !== undefined,
  };
}

/**
 * How a client was registered, from what was stored.
 *
 * @example
 * registrationKind('https://app.example.com/oauth/client.json', undefined); // 'metadataUrl'
 */
export function registrationKind(clientId: string, client: StoredClient | undefined): ClientRegistrationKind {
  if (/^https:\/\//i.test(clientId)) return 'metadataUrl';
  if (
    client &&
    (client.client_id_issued_at !== undefined ||
      client.registration_client_uri !== undefined ||
      client.registration_access_token !== undefined)
  ) {
    return 'dynamic';
  }
  return 'static';
}

function expiryOf(record: CredentialRecord): number | null {
  const explicit = finite(record.expiresAt);
  if (explicit !== null) return explicit;
  // An older record may only have the token response's `expires_in` beside `obtainedAt`.
  const seconds = Number(record.tokens?.expires_in);
  const obtainedAt = finite(record.obtainedAt);
  return obtainedAt !== null && Number.isFinite(seconds) && record.tokens?.expires_in !== undefined
    ? obtainedAt + seconds * 1000
    : null;
}

function finite(n: number | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}
