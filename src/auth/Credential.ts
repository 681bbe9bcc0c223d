import { auth, extractWWWAuthenticateParams, type FetchLike } from '@modelcontextprotocol/client';
import { type Actor, createActor, fromPromise, type InspectionEvent, type Observer, waitFor } from 'xstate';
import type { FailureReason } from '../../machines/connection.machine.js';
import {
  type CredentialStateValue,
  credentialMachine,
  type RefreshOutput,
} from '../../machines/credential.machine.js';
import type { OAuthConfig } from '../config/serverConfig.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { summarizeError } from '../events/EventBus.js';
import type { Clock } from '../resilience/Clock.js';
import { type AssertionSupplier, AzcoreOAuthProvider } from './OAuthProvider.js';
import type { CredentialRecord, TokenStore } from './TokenStore.js';

/** Default margin before expiry at which a token is refreshed (at most half its lifetime). */
export const DEFAULT_REFRESH_SKEW_MS = 60_000;

/** What a credential tells the connection that uses it. */
export type CredentialNotice =
  | { type: 'discovering' }
  | { type: 'loginRequired' }
  | { type: 'authorizationUrl'; url: URL }
  | { type: 'tokens'; record: CredentialRecord }
  | {
      type: 'state';
      from: CredentialStateValue;
      to: CredentialStateValue;
      reason: FailureReason | undefined;
    };

export interface CredentialOptions {
  server: string;
  /** The MCP server URL as configured. */
  resource: string;
  settings: OAuthConfig;
  store: TokenStore;
  clock: Clock;
  /** fetch for the authorization server (discovery, registration, token requests). */
  fetch?: FetchLike | undefined;
  /** Margin before expiry at which to refresh; default {@link DEFAULT_REFRESH_SKEW_MS}. */
  refreshSkewMs?: number | undefined;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /** The ID-JAG supplier of the `jwt_bearer` grant. */
  assertion?: AssertionSupplier | undefined;
  notify(notice: CredentialNotice): void;
}

/**
 * One OAuth credential at run time: the provider the SDK authorizes with, the credential actor
 * (machines/credential.machine.ts: empty / valid / refreshing / stale) that plans refreshes on the
 * injected clock, and the fetch wrapper that turns a 401 from the MCP server into one shared
 * refresh and one repeat of the request. The actor is the single flight: every request that meets
 * a 401 while `refreshing` waits for that refresh instead of starting its own.
 */
export class Credential {
  readonly provider: AzcoreOAuthProvider;
  readonly actor: Actor<typeof credentialMachine>;
  readonly #o: CredentialOptions;
  /** The last `WWW-Authenticate` challenge of the MCP server: its scope and metadata URL guide a grant. */
  #challenge: { scope?: string | undefined; resourceMetadataUrl?: URL | undefined } = {};
  #ownRefresh = false;
  #state: CredentialStateValue = 'empty';

  constructor(options: CredentialOptions) {
    this.#o = options;
    this.provider = new AzcoreOAuthProvider({
      server: options.server,
      resource: options.resource,
      settings: options.settings,
      store: options.store,
      clock: options.clock,
      assertion: options.assertion,
      hooks: {
        onDiscovering: () => options.notify({ type: 'discovering' }),
        onTokens: (record) => {
          options.notify({ type: 'tokens', record });
          if (!this.#ownRefresh)
            this.actor.send({ type: 'TOKENS', at: options.clock.now(), refreshAt: this.#refreshAt(record) });
        },
        onCleared: () => this.actor.send({ type: 'CLEARED', at: options.clock.now() }),
        onAuthorizationUrl: (url) => options.notify({ type: 'authorizationUrl', url }),
        beforeBearerRead: () => this.settled(),
        onLoginRequired: () => options.notify({ type: 'loginRequired' }),
      },
    });
    const logic = credentialMachine.provide({
      actors: { refresh: fromPromise<RefreshOutput, { credential: string }>(() => this.#refresh()) },
    });
    this.actor = createActor(logic, {
      clock: options.clock,
      input: { credential: options.server },
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    this.actor.subscribe({
      next: (snapshot) => {
        const to = snapshot.value as CredentialStateValue;
        if (to === this.#state) return;
        const from = this.#state;
        this.#state = to;
        options.notify({ type: 'state', from, to, reason: snapshot.context.lastError });
      },
      error: () => {},
    });
    this.actor.start();
  }

  get state(): CredentialStateValue {
    return this.#state;
  }

  /** Reads the store once at start: a stored token makes the credential `valid` (refresh planned). */
  async load(): Promise<void> {
    const record = await this.provider.current();
    if (record?.tokens && this.#state === 'empty') {
      this.actor.send({ type: 'TOKENS', at: this.#o.clock.now(), refreshAt: this.#refreshAt(record) });
    }
  }

  /** The scope and metadata URL of the server's last challenge (for a login's first request). */
  get challenge(): { scope?: string | undefined; resourceMetadataUrl?: URL | undefined } {
    return this.#challenge;
  }

  /**
   * fetch for requests to the MCP server: a 401 to the token we sent starts (or joins) the one
   * refresh, and the request is sent once more with the new token; anything else passes through.
   * Requests to other URLs (the authorization server) pass through untouched.
   */
  wrapFetch(next: FetchLike): FetchLike {
    const resource = this.#o.resource;
    return async (input, init) => {
      const response = await next(input, init);
      if (response.status !== 401 && response.status !== 403) return response;
      if (!String(input instanceof Request ? input.url : input).startsWith(resource)) return response;
      this.#challenge = extractWWWAuthenticateParams(response);
      const sent = new Headers(init?.headers).get('authorization');
      if (response.status !== 401 || !sent) return response;
      const token = await this.#renewedToken(sent);
      if (!token) return response;
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      await response.body?.cancel().catch(() => {});
      return next(input, { ...init, headers });
    };
  }

  /** Waits for a refresh in flight, so a request does not go out with the token being replaced. */
  async settled(): Promise<void> {
    if (this.#state !== 'refreshing') return;
    await waitFor(this.actor, (s) => !s.matches('refreshing')).catch(() => {});
  }

  stop(): void {
    this.actor.stop();
  }

  /** A fresh access token after a 401 to `sentHeader`, or undefined when none can be had without a person. */
  async #renewedToken(sentHeader: string): Promise<string | undefined> {
    const current = (await this.provider.tokens())?.access_token;
    // Someone else already replaced the token this request carried: just use the new one.
    if (current && sentHeader !== `Bearer ${current}`) return current;
    if (!current) return undefined;
    this.actor.send({ type: 'UNAUTHORIZED', at: this.#o.clock.now() });
    await this.settled();
    if (this.#state !== 'valid') return undefined;
    const renewed = (await this.provider.tokens())?.access_token;
    return renewed && renewed !== current ? renewed : undefined;
  }

  /** The `refresh` actor: one authorization run in connect mode (refresh token, or a new client-credentials grant). */
  async #refresh(): Promise<RefreshOutput> {
    this.#ownRefresh = true;
    try {
      // A store shared by replicas (the fleet's) lets one of them refresh; the rest read its record.
      const current = await this.provider.current();
      if (current?.tokens && this.#o.store.coordinateRefresh) {
        await this.#o.store.coordinateRefresh(current, () => this.#authorize());
        this.provider.reload();
        // Another replica may have refreshed: its tokens are ours now (and secrets to mask).
        const fresh = await this.provider.current();
        if (fresh && fresh.updatedAt !== current.updatedAt) this.#o.notify({ type: 'tokens', record: fresh });
      } else {
        await this.#authorize();
      }
      const record = await this.provider.current();
      return { at: this.#o.clock.now(), refreshAt: record ? this.#refreshAt(record) : undefined };
    } catch (e) {
      throw { reason: summarizeError(this.#classify(e)), at: this.#o.clock.now() };
    } finally {
      this.#ownRefresh = false;
    }
  }

  /** One authorization run without a person: a refresh-token grant, or a new client-credentials / jwt-bearer grant. */
  async #authorize(): Promise<void> {
    const result = await auth(this.provider, {
      serverUrl: this.#o.resource,
      ...(this.#challenge.resourceMetadataUrl
        ? { resourceMetadataUrl: this.#challenge.resourceMetadataUrl }
        : {}),
      ...(this.#o.fetch ? { fetchFn: this.#o.fetch } : {}),
      ...(this.#o.settings.allowIssuerMismatch ? { skipIssuerMetadataValidation: true } : {}),
    });
    if (result !== 'AUTHORIZED') throw new Error(`authorization ended with ${result}`);
  }

  #classify(e: unknown): AzcoreError {
    return classifyError(e, { server: this.#o.server });
  }

  /** Refresh `skew` before expiry, but never earlier than half-way through the token's life. */
  #refreshAt(record: CredentialRecord): number | undefined {
    if (record.expiresAt === undefined || record.obtainedAt === undefined) return undefined;
    const life = record.expiresAt - record.obtainedAt;
    const skew = Math.min(this.#o.refreshSkewMs ?? DEFAULT_REFRESH_SKEW_MS, life / 2);
    return record.expiresAt - skew;
  }
}
