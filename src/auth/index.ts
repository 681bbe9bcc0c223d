// azcore/auth: OAuth 2.1 for servers configured with `oauth` (docs/auth.md): token stores, the
// provider and credential the runtime builds, the loopback redirect and credential summaries.
// Explicit named exports only (DESIGN rule 7).
export type {
  AuthorizationResponse,
  ConnectionAuthOptions,
  LoginOptions,
} from './ConnectionAuth.js';
export {
  Credential,
  type CredentialNotice,
  type CredentialOptions,
  DEFAULT_REFRESH_SKEW_MS,
} from './Credential.js';
export {
  type ClientRegistrationKind,
  type CredentialStatus,
  type CredentialSummary,
  registrationKind,
  summarizeCredential,
} from './credentialSummary.js';
export { defaultTokenFile, FileTokenStore, type FileTokenStoreOptions } from './FileTokenStore.js';
export {
  type AuthorizationCodeResponse,
  type LoopbackRedirect,
  type LoopbackRedirectOptions,
  listenForAuthorizationCode,
} from './loopbackRedirect.js';
export { MemoryTokenStore } from './MemoryTokenStore.js';
export { AzcoreOAuthProvider, type OAuthProviderHooks, type OAuthProviderOptions } from './OAuthProvider.js';
export { SqliteTokenStore, type SqliteTokenStoreOptions } from './SqliteTokenStore.js';
export {
  type CredentialKey,
  type CredentialRecord,
  credentialKeyString,
  matchesCredential,
  newestFirst,
  type StoredClient,
  type TokenStore,
} from './TokenStore.js';
