import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import type { Observable } from 'rxjs/internal/Observable';
import { Actor, type ActorRefFrom, type AnyActorRef, createActor } from 'xstate';
import type { ConnectionMachine } from '../../machines/connection.machine.js';
// Types only: the OAuth code loads when a connection with `oauth` is created (oauthLoader.ts).
import type { AuthorizationResponse, ConnectionAuth, LoginOptions } from '../auth/ConnectionAuth.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_HTTP_PING_INTERVAL_MS } from '../config/defaults.js';
import { parseServerConfig, type ServerConfig } from '../config/serverConfig.js';
import { AuthError } from '../errors/AuthError.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { redactedError } from '../errors/redactedError.js';
import { EventBus } from '../events/EventBus.js';
import type { ConnectionStateName, ListOperation, RuntimeEvent } from '../events/RuntimeEvent.js';
// rxjs loads when a stream is first read or awaited, not on import (rxjsOnUse.ts).
import { distinctUntilChanged, filter, firstValueFrom, from, map } from '../events/rxjsOnUse.js';
import { addSecrets, createLogger, defaultLogLevel, SILENT_LOGGER } from '../observe/logger.js';
import { systemClock } from '../resilience/Clock.js';
import { checkConnectionTimers } from '../resilience/durations.js';
import { VERSION } from '../version.js';
import type { CircuitBreaker } from './CircuitBreaker.js';
import { CallPath } from './callPath.js';
import { sharedConnectionParent, startHosted, stopSharedChild } from './connectionHost.js';
import { connectionLogic, registerConnectionDeps } from './connectionLogic.js';
import { ConnectionParts } from './connectionParts.js';
import { ConnectionWiring } from './connectionWiring.js';
import { type ClientInfo, McpSession } from './McpSession.js';
import { nextState } from './nextState.js';
import { noOAuthError, OAuthLoader } from './oauthLoader.js';
import { secretValuesOf } from './secretValuesOf.js';
import {
  type CallOptions,
  laterOptions,
  type NegotiatedProtocol,
  NO_OPTIONS,
  type ServerConnectionOptions,
} from './serverConnectionOptions.js';
import { ToolList } from './toolList.js';
import { topState, waitForClient } from './waitForClient.js';

/** The client identity sent when the options name none: one object for every connection. */
const AZCORE_CLIENT_INFO: ClientInfo = Object.freeze({ name: 'azcore', version: VERSION });

export type {
  CallOptions,
  CallProgress,
  CallRetryOptions,
  NegotiatedProtocol,
  RequestMetaInfo,
  ServerConnectionOptions,
} from './serverConnectionOptions.js';

/**
 * One MCP server made dependable: a long-lived connection actor (connect, keepalive, reconnect
 * with backoff and a restart budget, 404 re-initialize, auth failure) plus a circuit breaker,
 * retry and per-call deadlines. Calls made while reconnecting wait (within their deadline); calls
 * behind an open breaker fail fast with a CircuitOpenError.
 *
 * Composed of: the connection machine with its I/O (connectionLogic.ts, wired by
 * connectionWiring.ts), the call path (callPath.ts), the tool list (toolList.ts) and, for a config
 * with `oauth`, its loader (oauthLoader.ts); connectionParts.ts holds what they share.
 *
 * @example
 * const files = new ServerConnection({ config: { name: 'files', transport: 'stdio', command: 'mcp-server-filesystem', args: ['/tmp'] } });
 * await files.start();
 * const result = await files.callTool('list_directory', { path: '/tmp' }, { timeout: 5_000 });
 * await files.close();
 */
export class ServerConnection {
  readonly name: string;
  readonly actor: ActorRefFrom<ConnectionMachine>;
  // What an idle connection may never need is made on first use (heap per idle connection, bench/scale.ts).
  #events$: Observable<RuntimeEvent> | undefined;
  #state$: Observable<ConnectionStateName> | undefined;
  readonly #parts: ConnectionParts;
  readonly #tools: ToolList;
  #calls: CallPath | undefined;
  readonly #ownBus: boolean;
  /** Set when the config has `oauth`: loads and creates its ConnectionAuth (started by the constructor). */
  readonly #oauth: OAuthLoader | undefined;
  readonly #ownsActor: boolean;
  /** The shared parent of a standalone connection's actor (connectionHost.ts), else undefined. */
  readonly #host: AnyActorRef | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: ServerConnectionOptions) {
    const config = parseServerConfig(options.config);
    checkConnectionTimers(options.connection, config.name);
    this.name = config.name;
    const clock = options.clock ?? systemClock;
    this.#ownBus = !options.bus;
    const bus = options.bus ?? new EventBus();
    // Silent by default: with no logger and no AZCORE_LOG_LEVEL nothing is written, and pino is not loaded.
    const logger = options.logger ?? (defaultLogLevel() === 'silent' ? SILENT_LOGGER : createLogger());
    // Logs and events share the secrets: both channels scrub them (src/errors/redact.ts).
    addSecrets([logger, bus], secretValuesOf(config));
    const later = laterOptions(options);
    const parts = new ConnectionParts(config, later, clock, bus, logger);
    this.#parts = parts;
    this.#tools = new ToolList(parts);
    const oauth = OAuthLoader.of(parts, [logger, bus]);
    this.#oauth = oauth;
    const wiring = new ConnectionWiring(parts, this.#tools);
    parts.session = new McpSession(
      config,
      wiring,
      options.clientInfo ?? AZCORE_CLIENT_INFO,
      options.transportFactory,
      // The options hold the elicitation and sampling handlers: no object of their own unless OAuth adds two.
      oauth
        ? {
            elicitation: options.elicitation,
            sampling: options.sampling,
            authProvider: async () => (await oauth.load()).credential.provider,
            wrapFetch: (next) => (parts.auth as ConnectionAuth).wrapFetch(next),
          }
        : later,
    );
    const input = {
      server: this.name,
      connectTimeoutMs: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      pingIntervalMs: config.transport === 'stdio' ? 0 : DEFAULT_HTTP_PING_INTERVAL_MS,
      ...options.connection,
    };
    this.#ownsActor = !options.spawn;
    const host = options.spawn ? undefined : sharedConnectionParent(clock, options.inspect !== undefined);
    this.#host = host;
    this.actor = options.spawn
      ? options.spawn(connectionLogic(), { id: `server:${this.name}`, input })
      : createActor(connectionLogic(), {
          clock,
          input,
          ...(host ? { parent: host } : {}),
          ...(options.inspect ? { inspect: options.inspect } : {}),
        });
    parts.actor = this.actor;
    this.actor.subscribe(wiring);
    // Before CONNECT can be sent: the shared machine's actors find their I/O here.
    registerConnectionDeps(this.actor, wiring);
    // OAuth code loads now, off the import path; the credential reads its store before any connect
    // starts, as it did when ConnectionAuth was imported statically. A bad setting rejects start().
    oauth?.load().catch(() => {});
    if (host) startHosted(this.actor);
    else if (this.actor instanceof Actor) this.actor.start();
    parts.linkBreaker();
  }

  /**
   * The circuit breaker of this server's calls. Made on first use (the first call, or this read): until
   * then the connection has none, and counts as a closed breaker with nothing counted.
   */
  get breaker(): CircuitBreaker {
    return this.#parts.breaker;
  }

  /** This server's events: the bus's own stream, or the shared bus's filtered to this server. */
  get events$(): Observable<RuntimeEvent> {
    const bus = this.#parts.bus;
    this.#events$ ??= this.#ownBus
      ? bus.events$
      : bus.events$.pipe(filter((e) => 'server' in e && e.server === this.name));
    return this.#events$;
  }

  /** Current top-level connection state, then every change. */
  get state$(): Observable<ConnectionStateName> {
    this.#state$ ??= from(this.actor).pipe(
      map((s) => topState(s.value)),
      distinctUntilChanged(),
    );
    return this.#state$;
  }

  /** Current top-level connection state. */
  get state(): ConnectionStateName {
    return this.#parts.state;
  }

  /**
   * True when a call would be sent now: connected (ready or degraded) and the breaker admits calls.
   * Teams leave the tools of unavailable servers out of the model's next turn.
   */
  get available(): boolean {
    if (!this.#parts.isUsable()) return false;
    const made = this.#parts.madeBreaker;
    if (!made) return true; // no breaker yet: closed
    const breaker = made.state;
    return (
      breaker === 'closed' ||
      breaker === 'halfOpen' ||
      (breaker === 'open' && this.#parts.clock.now() >= (made.retryAt ?? 0))
    );
  }

  /** The cached tool list, if one is loaded (see {@link listTools}); no I/O. */
  get cachedTools(): readonly Tool[] | undefined {
    return this.#tools.cached;
  }

  /**
   * The protocol era and revision negotiated with this server (kept across reconnects, so a
   * reconnect does not probe again); undefined before the first successful connect.
   */
  get protocol(): NegotiatedProtocol | undefined {
    const { era, protocolVersion } = this.actor.getSnapshot().context;
    return era ? { era, version: protocolVersion } : undefined;
  }

  /**
   * The transport this server is reached over: the configured one, or `sse` for a
   * `streamableHttp` URL that answered as a legacy HTTP+SSE server (remembered for reconnects).
   */
  get transport(): ServerConfig['transport'] {
    return this.#parts.session.transport;
  }

  /** Process id of a stdio server while connected. */
  get pid(): number | undefined {
    return this.#parts.session.pid;
  }

  /**
   * The failure that put the connection in its current state (undefined while ready): the
   * machine's `context.lastError`, as the typed error with its `cause` when this side still holds it.
   */
  get lastError(): AzcoreError | undefined {
    return this.#parts.lastError;
  }

  /**
   * Connects and resolves once ready. Rejects with the typed cause if the first attempt fails; the
   * actor then keeps reconnecting in the background (until its restart budget runs out).
   */
  async start(): Promise<void> {
    // An app that can show a login URL gets the login as part of the start.
    // A bad `oauth` setting (e.g. private_key_jwt without its key) rejects here, before any connect.
    if (this.#oauth && (await this.#oauth.load()).logsInByItself) return this.login();
    if (this.state === 'idle') this.actor.send({ type: 'CONNECT', at: this.#parts.clock.now() });
    await waitForClient(this.#parts, { firstAttemptOnly: true });
  }

  /** @internal used by waitForClient: a call is waiting, the machine wakes an idle or failed connection. */
  wake(): void {
    this.#parts.wake();
  }

  /** Drops the current connection (if any) and connects again now, with a fresh restart budget. */
  reconnect(): void {
    const state = this.state;
    if (state !== 'closing' && state !== 'closed') {
      this.actor.send({ type: state === 'idle' ? 'CONNECT' : 'RECONNECT', at: this.#parts.clock.now() });
    }
  }

  /**
   * Calls a tool through breaker, retry and deadline. Resolves with the MCP result, including
   * `isError: true` results (a tool failure is the model's business); rejects with a typed error.
   */
  callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: CallOptions = NO_OPTIONS,
  ): Promise<CallToolResult> {
    // Made by the first call: an idle connection has no call path.
    this.#calls ??= new CallPath(this.#parts, this.#tools);
    return this.#calls.callTool(name, args, options);
  }

  /**
   * The server's tools, cached until the server announces a change, the connection is renewed, or
   * the `ttlMs` freshness hint of the listing (2026-07-28) runs out on the injected clock. Pages
   * are followed up to the SDK's page cap (a server that pages forever fails with a ResourceError).
   */
  async listTools(options: CallOptions = {}): Promise<Tool[]> {
    return this.#tools.list(options, false);
  }

  /**
   * @internal resourcesAndPrompts.ts reports its list operations here, so they reach this server's
   * bus like `tools/list`.
   */
  reportList(
    operation: ListOperation,
    durationMs: number,
    count: number | undefined,
    error?: AzcoreError,
  ): void {
    this.#tools.completed(operation, durationMs, count, false, error);
  }

  /**
   * Round-trip time in ms of the era's liveness request: MCP `ping` (2025) or `server/discover`
   * (2026-07-28, which has no ping).
   */
  async ping(options: CallOptions = {}): Promise<number> {
    const parts = this.#parts;
    const deadline = parts.deadlineFor('ping', options);
    const started = parts.clock.now();
    try {
      await waitForClient(parts, { deadline });
      await parts.session.keepalive(Math.max(1, deadline.remaining()), deadline.signal);
      return parts.clock.now() - started;
    } catch (e) {
      throw redactedError(
        classifyError(e, { server: this.name, signal: deadline.signal }),
        parts.bus.redactor,
      );
    } finally {
      deadline.dispose();
    }
  }

  /** Closes the connection, kills a stdio server's process group, stops the actors. Idempotent. */
  close(): Promise<void> {
    this.#parts.closing = true;
    this.#closed ??= (async () => {
      if (this.state !== 'closed') {
        this.actor.send({ type: 'CLOSE' });
        await nextState(this.actor, (s) => s === 'closed', 'closed');
      }
      await this.#parts.session.close();
      (await this.#oauth?.loaded())?.close();
      if (this.#host) stopSharedChild(this.#host, this.actor);
      else if (this.#ownsActor && this.actor instanceof Actor) this.actor.stop();
      this.#parts.stopBreaker();
    })();
    return this.#closed;
  }

  /**
   * OAuth login (authorization code + PKCE) for a server configured with `oauth`: connects if
   * needed; when the server wants a token only a person can get, hands `onAuthorizationUrl` the URL,
   * receives the redirect on a loopback listener on 127.0.0.1 (or through {@link finishAuth} when a
   * `redirectUri` is given), exchanges the code, stores the tokens and resolves once ready.
   *
   * @example
   * await conn.login({ onAuthorizationUrl: (url) => console.log(`Open ${url}`) });
   */
  async login(options: LoginOptions = {}): Promise<void> {
    if (!this.#oauth) throw noOAuthError(this.name, 'login');
    const auth = await this.#oauth.load();
    if (this.state === 'idle') this.actor.send({ type: 'CONNECT', at: this.#parts.clock.now() });
    const isSettled = (s: ConnectionStateName) => s !== 'idle' && s !== 'connecting' && s !== 'reconnecting';
    const settled = isSettled(this.state)
      ? this.state
      : await firstValueFrom(this.state$.pipe(filter(isSettled)), { defaultValue: this.state });
    // Connected and nothing asked for a person (a 403 step-up does): already logged in.
    if ((settled === 'ready' || settled === 'degraded') && !auth.loginWanted) return;
    const needsPerson = settled === 'authorizing' || settled === 'authFailed' || auth.loginWanted;
    if (!needsPerson) return waitForClient(this.#parts, { firstAttemptOnly: true }).then(() => {});
    await auth.login(options);
    await waitForClient(this.#parts, { firstAttemptOnly: true });
  }

  /**
   * Finishes the login in progress with what your own redirect handler received (when the login
   * was given a `redirectUri` of yours instead of the built-in loopback listener).
   *
   * @example
   * app.get('/callback', (req) => conn.finishAuth({ code: req.query.code, state: req.query.state, iss: req.query.iss }));
   */
  finishAuth(response: AuthorizationResponse): void {
    if (!this.#oauth) throw noOAuthError(this.name, 'finishAuth');
    const auth = this.#parts.auth;
    if (!auth) {
      throw new AuthError('No login is in progress to finish.', {
        server: this.name,
        code: 'NO_LOGIN',
        hint: 'Call login() first (its onAuthorizationUrl gets the URL), then finishAuth with the code of that redirect.',
      });
    }
    auth.finishAuth(response);
  }

  /** The URL a person must open to finish the login in progress (OAuth), else undefined. */
  get authorizationUrl(): URL | undefined {
    return this.#parts.auth?.authorizationUrl;
  }

  /** @internal used by waitForClient and resourcesAndPrompts */
  get session(): McpSession {
    return this.#parts.session;
  }
}
