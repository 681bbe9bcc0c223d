import { auth, type FetchLike } from '@modelcontextprotocol/client';
import type { InspectionEvent, Observer } from 'xstate';
import type { ConnectionEvent } from '../../machines/connection.machine.js';
import type { HttpServerConfigBase, OAuthConfig } from '../config/serverConfig.js';
import { AuthError } from '../errors/AuthError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { classifyError } from '../errors/classifyError.js';
import { TimeoutError } from '../errors/TimeoutError.js';
import { summarizeError } from '../events/EventBus.js';
import type {
  AuthCredentialChanged,
  AuthLoginStep,
  ConnectionStateName,
  ErrorSummary,
} from '../events/RuntimeEvent.js';
import type { Clock } from '../resilience/Clock.js';
import { Credential, type CredentialNotice } from './Credential.js';
import { FileTokenStore } from './FileTokenStore.js';
import { listenForAuthorizationCode } from './loopbackRedirect.js';
import type { AssertionSupplier } from './OAuthProvider.js';
import type { TokenStore } from './TokenStore.js';

/** OAuth options of a connection that are not config (they hold functions and objects). */
export interface ConnectionAuthOptions {
  /** Where credentials live. Default: a {@link FileTokenStore} (`~/.config/azcore/credentials.json`, mode 0600). */
  store?: TokenStore | undefined;
  /**
   * Shows a person the URL to log in. With it, a connection that needs a login starts one by
   * itself; without it, the connection waits in `authorizing` for `login()` or `azcore auth login`.
   */
  onAuthorizationUrl?: ((url: URL, server: string) => void | Promise<void>) | undefined;
  /** Overrides `oauth.redirectUri` of the config (e.g. your web app's callback; then call `finishAuth`). */
  redirectUri?: string | undefined;
  /** Refresh this long before expiry (at most half the token's life). Default 60 000 ms. */
  refreshSkewMs?: number | undefined;
  /** How long a login waits for the person. Default 10 minutes. */
  loginTimeoutMs?: number | undefined;
  /**
   * The `jwt_bearer` grant (enterprise-managed authorization): returns an ID-JAG from your identity
   * provider for the authorization server and resource it is given.
   */
  assertion?: AssertionSupplier | undefined;
}

/** Options of one {@link ServerConnection.login} run. */
export interface LoginOptions {
  onAuthorizationUrl?: ((url: URL, server: string) => void | Promise<void>) | undefined;
  redirectUri?: string | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** What an authorization redirect brought back. */
export interface AuthorizationResponse {
  code: string;
  state?: string | undefined;
  iss?: string | undefined;
}

type AuthEvent = Omit<AuthCredentialChanged, 'at' | 'source'> | Omit<AuthLoginStep, 'at' | 'source'>;

interface ConnectionAuthDeps {
  server: string;
  config: HttpServerConfigBase & { oauth: OAuthConfig };
  options: ConnectionAuthOptions;
  clock: Clock;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  send(event: ConnectionEvent): void;
  emit(event: AuthEvent): void;
  state(): ConnectionStateName;
  /** Registers values the logs and events must mask (tokens, as they are obtained). */
  addSecrets(values: string[]): void;
}

const DEFAULT_LOGIN_TIMEOUT_MS = 10 * 60_000;

/** The scopes of both lists, in first-seen order; undefined when neither names any. */
function unionScope(...lists: (string | undefined)[]): string | undefined {
  const scopes = [...new Set(lists.flatMap((l) => l?.split(' ').filter(Boolean) ?? []))];
  return scopes.length > 0 ? scopes.join(' ') : undefined;
}

/**
 * The OAuth side of one connection: its {@link Credential}, the mapping of what the credential
 * learns onto connection-machine events (`AUTH_STARTED`, `LOGIN_REQUIRED`, the login steps) and
 * `auth.*` runtime events, and the login itself (authorization code + PKCE, loopback redirect on
 * 127.0.0.1 unless a redirect URI is given, code exchange, reconnect).
 */
export class ConnectionAuth {
  readonly credential: Credential;
  readonly store: TokenStore;
  readonly #d: ConnectionAuthDeps;
  #authorizationUrl: URL | undefined;
  #login: Promise<void> | undefined;
  #pendingCode: { resolve(r: AuthorizationResponse): void; reject(e: unknown): void } | undefined;
  /** Set when only a person can go on (no token, refused refresh, a step-up); cleared by a login. */
  #loginWanted = false;
  /** Expiry of the newest tokens (epoch ms), for `auth.credential` events. */
  #expiresAt: number | undefined;

  constructor(deps: ConnectionAuthDeps) {
    this.#d = deps;
    this.store = deps.options.store ?? new FileTokenStore();
    this.credential = new Credential({
      server: deps.server,
      resource: deps.config.url,
      settings: deps.config.oauth,
      store: this.store,
      clock: deps.clock,
      refreshSkewMs: deps.options.refreshSkewMs,
      assertion: deps.options.assertion,
      inspect: deps.inspect,
      notify: (notice) => this.#onNotice(notice),
    });
    this.credential.load().catch(() => {});
  }

  /** The URL a person must open to finish the login in progress. */
  get authorizationUrl(): URL | undefined {
    return this.#authorizationUrl;
  }

  wrapFetch(next: FetchLike): FetchLike {
    return this.credential.wrapFetch(next);
  }

  /** True when the last authorization attempt needed a person (a step-up on a live connection included). */
  get loginWanted(): boolean {
    return this.#loginWanted;
  }

  /** True when a needed login starts by itself (the app gave `onAuthorizationUrl`, and the grant needs a person). */
  get logsInByItself(): boolean {
    return this.#d.options.onAuthorizationUrl !== undefined && this.credential.provider.interactive;
  }

  /** The connection entered a state: a needed login starts by itself when the app can show a URL. */
  onConnectionState(to: ConnectionStateName): void {
    if (to === 'authorizing' && this.logsInByItself && !this.#login) {
      this.login().catch(() => {});
    }
  }

  /** Runs one login (a second call while one runs joins it). Resolves once tokens are stored. */
  login(options: LoginOptions = {}): Promise<void> {
    this.#login ??= this.#runLogin(options).finally(() => {
      this.#login = undefined;
    });
    return this.#login;
  }

  /** Hands the login in progress the authorization code your own redirect handler received. */
  finishAuth(response: AuthorizationResponse): void {
    if (!this.#pendingCode) {
      throw new AuthError('No login is in progress to finish.', {
        server: this.#d.server,
        code: 'NO_LOGIN',
        hint: 'Call login() first (its onAuthorizationUrl gets the URL), then finishAuth with the code of that redirect.',
      });
    }
    this.#pendingCode.resolve(response);
  }

  close(): void {
    this.#pendingCode?.reject(
      new AuthError('The connection closed during the login.', { server: this.#d.server, code: 'CLOSED' }),
    );
    this.credential.stop();
  }

  async #runLogin(options: LoginOptions): Promise<void> {
    const { server, config, clock } = this.#d;
    const show = options.onAuthorizationUrl ?? this.#d.options.onAuthorizationUrl;
    const provider = this.credential.provider;
    if (!provider.interactive) {
      throw new ConfigurationError(
        'This server uses the client_credentials grant: there is nothing to log in to.',
        { server },
      );
    }
    if (!show) {
      throw new ConfigurationError('A login needs somewhere to show the authorization URL.', {
        server,
        hint: 'Pass onAuthorizationUrl (to login() or the connection auth options), or run `azcore auth login`.',
      });
    }
    const fixed = options.redirectUri ?? this.#d.options.redirectUri ?? config.oauth.redirectUri;
    const code = this.#codeSource(options);
    const listener = fixed ? undefined : await listenForAuthorizationCode({ signal: options.signal });
    listener?.code.then(code.resolve, code.reject);
    try {
      this.#d.send({ type: 'LOGIN_STARTED' });
      this.#d.emit({ type: 'auth.login', server, step: 'started' });
      provider.beginLogin(fixed ?? (listener as { redirectUri: string }).redirectUri);
      // A step-up keeps what was granted and adds what the server asked for (its 403 challenge).
      const granted = (await provider.tokens())?.scope;
      const scope = unionScope(this.credential.challenge.scope ?? config.oauth.scope, granted);
      const base = {
        serverUrl: config.url,
        ...(config.oauth.allowIssuerMismatch ? { skipIssuerMetadataValidation: true } : {}),
        ...(scope ? { scope } : {}),
        ...(this.credential.challenge.resourceMetadataUrl
          ? { resourceMetadataUrl: this.credential.challenge.resourceMetadataUrl }
          : {}),
      };
      // A login always asks the person: a stored refresh token would renew the old grant, not widen it.
      if ((await auth(provider, { ...base, forceReauthorization: true })) === 'REDIRECT') {
        const url = this.#authorizationUrl as URL;
        await show(url, server);
        const response = await code.promise;
        if (response.state !== undefined && response.state !== provider.loginState) {
          throw new AuthError('The authorization response does not belong to this login (state mismatch).', {
            server,
            code: 'STATE_MISMATCH',
            hint: 'Start the login again and use the newest URL.',
          });
        }
        this.#d.send({ type: 'CODE_RECEIVED' });
        this.#d.emit({ type: 'auth.login', server, step: 'exchanging' });
        await auth(provider, {
          ...base,
          authorizationCode: response.code,
          ...(response.iss ? { iss: response.iss } : {}),
        });
      }
      this.#loginWanted = false;
      this.#d.emit({ type: 'auth.login', server, step: 'authorized' });
      this.#d.send({ type: 'AUTHORIZED', at: clock.now() });
    } catch (e) {
      const error = classifyError(e, { server });
      this.#d.emit({ type: 'auth.login', server, step: 'failed', error: summarizeError(error) });
      this.#d.send({ type: 'LOGIN_FAILED', at: clock.now(), reason: summarizeError(error) });
      throw error;
    } finally {
      provider.endLogin();
      listener?.close();
      this.#authorizationUrl = undefined;
      this.#pendingCode = undefined;
    }
  }

  /** Where the login's code comes from: the loopback listener or finishAuth, bounded by time and signal. */
  #codeSource(options: LoginOptions) {
    const { server, clock } = this.#d;
    let resolve!: (r: AuthorizationResponse) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<AuthorizationResponse>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timeoutMs = options.timeoutMs ?? this.#d.options.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
    const timer = clock.setTimeout(
      () =>
        reject(
          new TimeoutError(`Nobody finished the login within ${timeoutMs} ms.`, {
            server,
            code: 'LOGIN_TIMEOUT',
            hint: 'Open the authorization URL and approve it, then the runtime continues; or start the login again.',
          }),
        ),
      timeoutMs,
    );
    const onAbort = () => reject(classifyError(options.signal?.reason, { server, signal: options.signal }));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    promise
      .finally(() => {
        clock.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      })
      .catch(() => {});
    this.#pendingCode = { resolve, reject };
    return { promise, resolve, reject };
  }

  #onNotice(notice: CredentialNotice): void {
    const { server } = this.#d;
    switch (notice.type) {
      case 'loginRequired':
        this.#loginWanted = true;
        return;
      case 'discovering':
        if (this.#d.state() === 'connecting') this.#d.send({ type: 'AUTH_STARTED' });
        return;
      case 'authorizationUrl':
        this.#authorizationUrl = notice.url;
        this.#d.send({ type: 'AUTHORIZATION_URL' });
        this.#d.emit({ type: 'auth.login', server, step: 'awaitingUser' });
        return;
      case 'tokens': {
        this.#expiresAt = notice.record.expiresAt;
        const { access_token, refresh_token, id_token } = notice.record.tokens ?? {};
        this.#d.addSecrets([access_token, refresh_token, id_token].filter((v): v is string => !!v));
        return;
      }
      case 'state': {
        const { from, to, reason } = notice;
        const expiresAt = to === 'valid' ? this.#expiresAt : undefined;
        this.#d.emit({
          type: 'auth.credential',
          server,
          from,
          to,
          ...(expiresAt !== undefined ? { expiresAt } : {}),
          ...(reason && to !== 'valid' ? { reason: reason as ErrorSummary } : {}),
        });
        const live = this.#d.state() === 'ready' || this.#d.state() === 'degraded';
        if (to === 'empty' && reason?.code === 'AUTH_REQUIRED' && live) {
          this.#d.send({ type: 'LOGIN_REQUIRED', at: this.#d.clock.now(), reason });
        }
        return;
      }
    }
  }
}
