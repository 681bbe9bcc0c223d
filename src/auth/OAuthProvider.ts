import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type AddClientAuthentication,
  createPrivateKeyJwtAuth,
  type FetchLike,
  type OAuthClientInformationContext,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type OAuthTokens,
  type StoredOAuthClientInformation,
} from '@modelcontextprotocol/client';
import type { OAuthConfig } from '../config/serverConfig.js';
import { AuthError } from '../errors/AuthError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { Clock } from '../resilience/Clock.js';
import type { CredentialRecord, StoredClient, TokenStore } from './TokenStore.js';

/** What the provider tells its owner (src/auth/Credential.ts); none of it carries a secret. */
export interface OAuthProviderHooks {
  /** An authorization run began discovery (the first step of a grant). */
  onDiscovering(): void;
  /** New tokens were saved (a grant, a refresh by anyone, a step-up). */
  onTokens(record: CredentialRecord): void;
  /** The tokens were dropped (refused refresh token, logout). */
  onCleared(): void;
  /** A login produced the URL a person must open. */
  onAuthorizationUrl(url: URL): void;
  /** Only a person can go on (no token, refused refresh, more scope): the next login is wanted. */
  onLoginRequired(): void;
  /** Before the transport reads the bearer token for a request: wait for a refresh in flight. */
  beforeBearerRead(): Promise<void>;
}

/** What an `assertion` supplier is told: where the grant will be used. */
export interface AssertionContext {
  authorizationServerUrl: string;
  resourceUrl: string;
  scope?: string | undefined;
  fetchFn: FetchLike;
}

/** Supplies a JWT authorization grant (ID-JAG) for the `jwt_bearer` grant, e.g. via the SDK's `requestJwtAuthorizationGrant`. */
export type AssertionSupplier = (context: AssertionContext) => string | Promise<string>;

export interface OAuthProviderOptions {
  server: string;
  /** The MCP server URL as configured: the `resource` of every stored credential. */
  resource: string;
  settings: OAuthConfig;
  store: TokenStore;
  clock: Clock;
  hooks: OAuthProviderHooks;
  /** Required for the `jwt_bearer` grant. */
  assertion?: AssertionSupplier | undefined;
}

/** The redirect URI a connect attempt names; never used (a connect does not redirect anyone). */
const CONNECT_PLACEHOLDER_REDIRECT = 'http://127.0.0.1/callback';

/**
 * azcore's OAuthClientProvider: the SDK v2 runs discovery, registration, PKCE, token requests,
 * refresh and step-up; this class supplies identity and keeps what they produce in a
 * {@link TokenStore} (key: issuer + resource + client id).
 *
 * Two modes. In a connect (the default) it never involves a person: with no usable token for an
 * authorization-code client it throws AuthError `AUTH_REQUIRED` before any network request, and a
 * refused refresh ends the same way. In a login ({@link beginLogin}) it registers the client with
 * the login's redirect URI and hands the authorization URL to its owner. The PKCE verifier and
 * the `state` live in memory for one login only; the code never reaches this class.
 */
export class AzcoreOAuthProvider implements OAuthClientProvider {
  readonly #o: OAuthProviderOptions;
  #record: CredentialRecord | undefined;
  #loaded = false;
  #login: { redirectUri: string; state: string } | undefined;
  #verifier: string | undefined;
  #discovery: OAuthDiscoveryState | undefined;
  #pendingClient: StoredOAuthClientInformation | undefined;
  /** Where the last authorization run found the authorization server and the resource (jwt_bearer needs both). */
  #authorizationServerUrl: string | undefined;
  #resourceUrl: string | undefined;
  readonly addClientAuthentication?: AddClientAuthentication;

  constructor(options: OAuthProviderOptions) {
    this.#o = options;
    const { settings } = options;
    if (this.#authMethod() === 'private_key_jwt') {
      const clientId = settings.clientId;
      if (!clientId) throw this.#configProblem('private_key_jwt needs oauth.clientId');
      this.addClientAuthentication = createPrivateKeyJwtAuth({
        issuer: clientId,
        subject: clientId,
        privateKey: this.#privateKey(),
        alg: settings.signingAlgorithm ?? 'ES256',
      });
    }
  }

  /** True for grants that need a person (authorization code). */
  get interactive(): boolean {
    return (this.#o.settings.grant ?? 'authorization_code') === 'authorization_code';
  }

  /** The `state` of the login in progress, for the redirect listener to check. */
  get loginState(): string | undefined {
    return this.#login?.state;
  }

  /** Starts a login: the next authorization run may register a client and produce a URL. */
  beginLogin(redirectUri: string): void {
    this.#login = { redirectUri, state: randomUUID() };
  }

  endLogin(): void {
    this.#login = undefined;
    this.#verifier = undefined;
  }

  get redirectUrl(): string | undefined {
    if (!this.interactive) return undefined;
    return this.#login?.redirectUri ?? this.#o.settings.redirectUri ?? CONNECT_PLACEHOLDER_REDIRECT;
  }

  get clientMetadataUrl(): string | undefined {
    return this.#o.settings.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    const { settings } = this.#o;
    const redirect = this.redirectUrl;
    return {
      client_name: settings.clientName ?? 'azcore',
      redirect_uris: redirect ? [redirect] : [],
      grant_types: this.interactive ? ['authorization_code', 'refresh_token'] : [this.#grantType()],
      response_types: this.interactive ? ['code'] : [],
      token_endpoint_auth_method: this.#authMethod(),
      ...(settings.scope ? { scope: settings.scope } : {}),
    };
  }

  state(): string {
    return this.#login?.state ?? randomUUID();
  }

  async clientInformation(
    ctx?: OAuthClientInformationContext,
  ): Promise<StoredOAuthClientInformation | undefined> {
    const { settings } = this.#o;
    if (settings.clientId) {
      // Configured for this server: bound to the authorization server it resolves to (SEP-2352 stamp).
      return {
        client_id: settings.clientId,
        ...(settings.clientSecret ? { client_secret: settings.clientSecret } : {}),
        token_endpoint_auth_method: this.#authMethod(),
        ...(ctx ? { issuer: ctx.issuer } : {}),
      };
    }
    const record = await this.#current();
    if (record?.client && (!ctx || record.issuer === ctx.issuer))
      return record.client as StoredOAuthClientInformation;
    if (this.#pendingClient) return this.#pendingClient;
    if (!this.#login && this.interactive && !this.clientMetadataUrl)
      throw this.#loginRequired('no client is registered yet');
    return undefined;
  }

  async saveClientInformation(
    info: StoredOAuthClientInformation,
    ctx?: OAuthClientInformationContext,
  ): Promise<void> {
    this.#pendingClient = info;
    const record = await this.#current();
    if (record && ctx && record.issuer === ctx.issuer && record.clientId === info.client_id) {
      await this.#save({ ...record, client: info as StoredClient });
    }
  }

  async tokens(ctx?: OAuthClientInformationContext): Promise<OAuthTokens | undefined> {
    if (!ctx) await this.#o.hooks.beforeBearerRead();
    const record = await this.#current();
    if (!record?.tokens) return undefined;
    return !ctx || record.issuer === ctx.issuer ? record.tokens : undefined;
  }

  async saveTokens(tokens: OAuthTokens, ctx?: OAuthClientInformationContext): Promise<void> {
    const now = this.#o.clock.now();
    const previous = await this.#current();
    const client = (this.#pendingClient ?? previous?.client ?? this.#configuredClient()) as
      | StoredClient
      | undefined;
    const issuer = ctx?.issuer ?? previous?.issuer ?? '';
    const record: CredentialRecord = {
      issuer,
      resource: this.#o.resource,
      clientId: client?.client_id ?? this.#o.settings.clientId ?? '',
      // A refresh response may omit the refresh token: the old one stays valid (RFC 6749 6).
      tokens: {
        ...tokens,
        ...(tokens.refresh_token || !previous?.tokens?.refresh_token
          ? {}
          : { refresh_token: previous.tokens.refresh_token }),
      },
      obtainedAt: now,
      expiresAt: typeof tokens.expires_in === 'number' ? now + tokens.expires_in * 1000 : undefined,
      client: client && !this.#o.settings.clientId ? client : undefined,
      discovery: this.#discovery ?? previous?.discovery,
      updatedAt: now,
    };
    await this.#save(record);
    this.#o.hooks.onTokens(record);
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    if (!this.#login) throw this.#loginRequired('the authorization server wants a person to sign in');
    this.#o.hooks.onAuthorizationUrl(authorizationUrl);
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.#verifier) throw this.#loginRequired('no login is in progress (the PKCE verifier is gone)');
    return this.#verifier;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    this.#discovery = state;
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    this.#o.hooks.onDiscovering();
    const record = await this.#current();
    // Nothing to refresh and nobody to ask: say so before any network request.
    if (!this.#login && this.interactive && !record?.tokens?.refresh_token) {
      throw this.#loginRequired(
        record?.tokens ? 'the token expired and there is no refresh token' : 'no token is stored',
      );
    }
    return this.#discovery ?? record?.discovery;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    const record = await this.#current();
    if (scope === 'verifier') this.#verifier = undefined;
    if (scope === 'discovery' || scope === 'all') this.#discovery = undefined;
    if (scope === 'client' || scope === 'all') this.#pendingClient = undefined;
    if (!record) return;
    if (scope === 'all') {
      await this.#o.store.remove({
        resource: record.resource,
        issuer: record.issuer,
        clientId: record.clientId,
      });
      this.#record = undefined;
    } else if (scope === 'tokens' || scope === 'client') {
      await this.#save({
        ...record,
        tokens: undefined,
        obtainedAt: undefined,
        expiresAt: undefined,
        ...(scope === 'client' ? { client: undefined } : {}),
        discovery: scope === 'client' ? undefined : record.discovery,
        updatedAt: this.#o.clock.now(),
      });
    } else if (scope === 'discovery') {
      await this.#save({ ...record, discovery: undefined, updatedAt: this.#o.clock.now() });
    }
    if (scope !== 'verifier' && scope !== 'discovery') this.#o.hooks.onCleared();
  }

  saveAuthorizationServerUrl(url: string): void {
    this.#authorizationServerUrl = url;
  }

  saveResourceUrl(url: string): void {
    this.#resourceUrl = url;
  }

  async prepareTokenRequest(scope?: string): Promise<URLSearchParams | undefined> {
    if (this.interactive) return undefined;
    const params = new URLSearchParams({ grant_type: this.#grantType() });
    if (this.#o.settings.grant === 'jwt_bearer') params.set('assertion', await this.#assertion(scope));
    if (scope) params.set('scope', scope);
    return params;
  }

  #grantType(): string {
    return this.#o.settings.grant === 'jwt_bearer'
      ? 'urn:ietf:params:oauth:grant-type:jwt-bearer'
      : 'client_credentials';
  }

  async #assertion(scope: string | undefined): Promise<string> {
    const supply = this.#o.assertion;
    if (!supply)
      throw this.#configProblem('oauth.grant "jwt_bearer" needs the connection option auth.assertion');
    return supply({
      authorizationServerUrl: this.#authorizationServerUrl ?? '',
      resourceUrl: this.#resourceUrl ?? this.#o.resource,
      scope,
      fetchFn: fetch,
    });
  }

  /** The stored record for this server (newest, of the configured client when one is set). */
  async current(): Promise<CredentialRecord | undefined> {
    return this.#current();
  }

  /** Forgets what was read from the store, so the next read sees another process's writes. */
  reload(): void {
    this.#loaded = false;
  }

  async #current(): Promise<CredentialRecord | undefined> {
    if (this.#loaded) return this.#record;
    const records = await this.#o.store.find(this.#o.resource);
    const clientId = this.#o.settings.clientId ?? this.#o.settings.clientMetadataUrl;
    this.#record = clientId ? records.find((r) => r.clientId === clientId) : records[0];
    this.#loaded = true;
    return this.#record;
  }

  async #save(record: CredentialRecord): Promise<void> {
    await this.#o.store.save(record);
    this.#record = record;
    this.#loaded = true;
  }

  #configuredClient(): StoredClient | undefined {
    const { clientId, clientMetadataUrl } = this.#o.settings;
    const id = clientId ?? clientMetadataUrl;
    return id ? { client_id: id } : undefined;
  }

  #authMethod(): NonNullable<OAuthConfig['tokenEndpointAuthMethod']> {
    const { settings } = this.#o;
    if (settings.tokenEndpointAuthMethod) return settings.tokenEndpointAuthMethod;
    if (settings.privateKey || settings.privateKeyFile) return 'private_key_jwt';
    return settings.clientSecret ? 'client_secret_basic' : 'none';
  }

  #privateKey(): string {
    const { privateKey, privateKeyFile } = this.#o.settings;
    if (privateKey) return privateKey;
    if (!privateKeyFile)
      throw this.#configProblem('private_key_jwt needs oauth.privateKey or oauth.privateKeyFile');
    try {
      return readFileSync(privateKeyFile, 'utf8');
    } catch (e) {
      throw this.#configProblem(
        `oauth.privateKeyFile ${JSON.stringify(privateKeyFile)} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }

  #configProblem(problem: string): ConfigurationError {
    return new ConfigurationError(`${problem}.`, { server: this.#o.server });
  }

  #loginRequired(why: string): AuthError {
    this.#o.hooks.onLoginRequired();
    return new AuthError(`The server needs an OAuth login: ${why}.`, {
      server: this.#o.server,
      code: 'AUTH_REQUIRED',
      hint: `Run \`azcore auth login ${this.#o.server}\`, or give the connection an auth.onAuthorizationUrl handler (docs/auth.md).`,
    });
  }
}
