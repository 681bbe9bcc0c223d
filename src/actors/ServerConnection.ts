import type { CallToolResult, Client, Tool } from '@modelcontextprotocol/client';
// rxjs by module, not its index (which loads every operator: about a quarter of this entry's cold
// import). Node resolves these, as it resolves 'rxjs', to rxjs's CommonJS build: the same module
// instances an application's `import { Observable } from 'rxjs'` gets (test/actors/rxjsInterop.test.ts).
import { firstValueFrom } from 'rxjs/internal/firstValueFrom';
import type { Observable } from 'rxjs/internal/Observable';
import { from } from 'rxjs/internal/observable/from';
import { distinctUntilChanged } from 'rxjs/internal/operators/distinctUntilChanged';
import { filter } from 'rxjs/internal/operators/filter';
import { map } from 'rxjs/internal/operators/map';
import { Actor, type ActorRefFrom, createActor, type InspectionEvent, type Observer } from 'xstate';
import {
  type ConnectionOptions,
  connectionDefaults,
  type connectionMachine,
  type ProtocolEra,
} from '../../machines/connection.machine.js';
// Types only: the OAuth code (ConnectionAuth, its Credential, provider, token store, loopback listener)
// loads when a connection with `oauth` is created (#loadAuth), not by importing this module.
import type {
  AuthorizationResponse,
  ConnectionAuth,
  ConnectionAuthOptions,
  LoginOptions,
} from '../auth/ConnectionAuth.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_HTTP_PING_INTERVAL_MS,
  DEFAULT_PING_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from '../config/defaults.js';
import { parseServerConfig, type ServerConfig } from '../config/serverConfig.js';
import { AuthError } from '../errors/AuthError.js';
import { type AzcoreError, type ErrorKind, isAzcoreError } from '../errors/AzcoreError.js';
import { type CircuitOpenError, isCircuitOpenError } from '../errors/CircuitOpenError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { errorFromSummary } from '../errors/errorFromSummary.js';
import { secretsOfUrl } from '../errors/redact.js';
import { redactedError } from '../errors/redactedError.js';
import { EventBus, summarizeError } from '../events/EventBus.js';
import type {
  ConnectionStateName,
  ErrorSummary,
  ListOperation,
  RuntimeEvent,
} from '../events/RuntimeEvent.js';
import { LogFloodGuard } from '../observe/LogFloodGuard.js';
import { addSecrets, createLogger, defaultLogLevel, type Logger, SILENT_LOGGER } from '../observe/logger.js';
import type { ElicitationHandler, SamplingHandler } from '../protocol/serverRequests.js';
import { type Backoff, decorrelatedJitter, type Random } from '../resilience/backoff.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
import { checkConnectionTimers, clampTimerMs, MAX_TIMER_MS } from '../resilience/durations.js';
import { NEVER_RETRIED, type RetryOptions, retry } from '../resilience/retry.js';
import { VERSION } from '../version.js';
import type { ServerRequestOutcome } from './answerServerRequests.js';
import { type BreakerPermit, CircuitBreaker, type CircuitBreakerOptions } from './CircuitBreaker.js';
import {
  closedWhileRunning,
  isOwnRequestTimeout,
  provenNotSent,
  SDK_TIMEOUT_SLACK_MS,
} from './callOutcome.js';
import { type ConnectionLogicDeps, connectionLogic, registerConnectionDeps } from './connectionLogic.js';
import { type ClientInfo, McpSession, type SessionHooks, type TransportFactory } from './McpSession.js';
import type { SpawnChild } from './SpawnChild.js';
import type { ServerLogEntry } from './serverLogs.js';
import { topState, waitForClient } from './waitForClient.js';

/** Per-call options of {@link ServerConnection.callTool}. */
export interface CallOptions {
  /** Budget of this call in ms (default: the server's `requestTimeoutMs`), capped by `deadline`. */
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
  /** A caller's budget (e.g. the team turn's); this call never outlives it. */
  deadline?: Deadline | undefined;
  /** Progress the server reports for this call (`notifications/progress`). */
  onProgress?: ((progress: CallProgress) => void) | undefined;
  /**
   * Each progress report restarts `timeout` (a long job that keeps reporting is not cut off), up to
   * `maxTotalTimeout` ms in all (default: 10 × `timeout`). Never past the caller's `deadline`.
   */
  resetTimeoutOnProgress?: boolean | undefined;
  maxTotalTimeout?: number | undefined;
  /** This call may safely run twice: retry it after a failure mid-call (as `retry.idempotent`, for one call). */
  idempotent?: boolean | undefined;
}

/** One progress report of a running call. */
export interface CallProgress {
  progress: number;
  total?: number | undefined;
  message?: string | undefined;
}

/**
 * How calls are retried. By default only failures where the request surely never reached the
 * server are retried (no connection, refused, session expired), so a non-idempotent tool never
 * runs twice. Set `idempotent` to also retry failures after sending (a crash mid-call, a timeout).
 */
export interface CallRetryOptions {
  /** Total attempts, including the first. Default 3. */
  maxAttempts?: number;
  /** Kinds worth another attempt. Default `['connection']`; add `'timeout'` for slow idempotent tools. */
  retryOn?: ErrorKind[];
  /** Tools are safe to run twice: retry listed kinds even when the request may have been processed. */
  idempotent?: boolean;
}

/** Options of a {@link ServerConnection}. Only `config` is required. */
export interface ServerConnectionOptions {
  config: ServerConfig;
  /** Reconnect backoff, restart budget, keepalive. Keepalive defaults to 15 s for HTTP, off for stdio. */
  connection?: Partial<Omit<ConnectionOptions, 'connectTimeoutMs'>> & { pingTimeoutMs?: number };
  breaker?: Omit<CircuitBreakerOptions, 'id' | 'server' | 'clock' | 'bus'>;
  retry?: CallRetryOptions;
  /** Count `isError: true` tool results as breaker failures (MCP says they are results; default false). */
  toolErrorsTripBreaker?: boolean;
  bus?: EventBus;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  clientInfo?: ClientInfo;
  /**
   * Spawns the connection and breaker actors as children of an owner (a team) instead of as root
   * actors: they get the system ids `server:<name>` and `breaker:<name>`, share the owner's clock
   * and inspector, and stop with it.
   */
  spawn?: SpawnChild;
  /** Bring your own transport per connect attempt (in-memory, fault-injecting...); see {@link TransportFactory}. */
  transportFactory?: TransportFactory;
  /**
   * Answers the server's elicitations (forms and URLs, in both protocol eras). Without one, each is
   * declined at once and a `server.request` event says so: a server never waits on nobody.
   */
  elicitation?: ElicitationHandler;
  /** Answers `sampling/createMessage` (opt-in; see `createSamplingHandler` for a LangChain model). */
  sampling?: SamplingHandler;
  /**
   * Extra `params._meta` entries for each outgoing `tools/call`, e.g. W3C trace context with
   * `openTelemetryRequestMeta()` from `azcore/otel`. Called once per attempt, right after its
   * `call.started` event; `undefined` adds nothing.
   */
  requestMeta?: (request: RequestMetaInfo) => Record<string, unknown> | undefined;
  /**
   * OAuth for a server whose config has `oauth`: the token store, the handler that shows a person
   * the login URL, refresh timing (docs/auth.md). Ignored without `oauth` in the config.
   */
  auth?: ConnectionAuthOptions;
}

/** What {@link ServerConnectionOptions.requestMeta} is told about the request it decorates. */
export interface RequestMetaInfo {
  method: 'tools/call';
  server: string;
  tool: string;
  callId: number;
  attempt: number;
}

/** The protocol a live connection speaks. */
export interface NegotiatedProtocol {
  /** `legacy` = 2025 (`initialize`), `modern` = 2026-07-28 and later (`server/discover`). */
  era: ProtocolEra;
  /** The negotiated revision, e.g. `2025-11-25` or `2026-07-28`. */
  version: string | undefined;
}

/** The options of a call made without any: one shared object, none built per call. */
const NO_OPTIONS: CallOptions = Object.freeze({});

/** The kinds a call is retried on by default (`retry.retryOn`); shared, never mutated. */
const DEFAULT_RETRY_ON: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['connection']);

/**
 * One MCP server made dependable: a long-lived connection actor (connect, keepalive, reconnect
 * with backoff and a restart budget, 404 re-initialize, auth failure) plus a circuit breaker,
 * retry and per-call deadlines. Calls made while reconnecting wait (within their deadline); calls
 * behind an open breaker fail fast with a CircuitOpenError.
 *
 * @example
 * const files = new ServerConnection({ config: { name: 'files', transport: 'stdio', command: 'mcp-server-filesystem', args: ['/tmp'] } });
 * await files.start();
 * const result = await files.callTool('list_directory', { path: '/tmp' }, { timeout: 5_000 });
 * await files.close();
 */
export class ServerConnection {
  readonly name: string;
  readonly breaker: CircuitBreaker;
  readonly actor: ActorRefFrom<typeof connectionMachine>;
  // What an idle connection may never need is made on first use (heap per idle connection, bench/scale.ts).
  #events$: Observable<RuntimeEvent> | undefined;
  #state$: Observable<ConnectionStateName> | undefined;
  readonly #bus: EventBus;
  readonly #ownBus: boolean;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #childLog: Logger | undefined;
  #floods: LogFloodGuard | undefined;
  readonly #session: McpSession;
  readonly #config: ServerConfig;
  readonly #options: ServerConnectionOptions;
  readonly #retryOn: ReadonlySet<ErrorKind>;
  /** Retry schedule of calls, built on the first retry (a pure function of the attempt and the previous delay). */
  #callBackoff: Backoff | undefined;
  /** Failures raised before the request was sent (while waiting for a connection). */
  #unsent: WeakSet<AzcoreError> | undefined;
  /**
   * The typed error (with its cause) behind the last failure reported to the machine, so
   * {@link lastError} can return it instead of a copy rebuilt from the machine's summary. Which
   * failure is the last error, and when it is cleared, is the machine's business.
   */
  #lastFailure: AzcoreError | undefined;
  #tools: Tool[] | undefined;
  #toolsFreshUntil = Infinity;
  /**
   * The tool count of the last `tools.changed` event: what views drawn from events (the dashboard's
   * cards) last saw. Forgotten with the cache, so the first listing after a reconnect announces.
   */
  #announcedTools: number | undefined;
  #callSeq = 0;
  #state: ConnectionStateName = 'idle';
  #closed: Promise<void> | undefined;
  /** OAuth of this server (config `oauth`) once loaded, else undefined. */
  #auth: ConnectionAuth | undefined;
  /** Loads and creates {@link #auth} (started by the constructor): set when the config has `oauth`. */
  readonly #authLoader: (() => Promise<ConnectionAuth>) | undefined;
  #authLoad: Promise<ConnectionAuth> | undefined;
  readonly #ownsActor: boolean;
  readonly #source: string;

  constructor(options: ServerConnectionOptions) {
    const config = parseServerConfig(options.config);
    checkConnectionTimers(options.connection, config.name);
    this.#options = options;
    this.#config = config;
    this.name = config.name;
    this.#source = `server:${config.name}`;
    this.#clock = options.clock ?? systemClock;
    this.#ownBus = !options.bus;
    this.#bus = options.bus ?? new EventBus();
    // Silent by default: with no logger and no AZCORE_LOG_LEVEL nothing is written, and pino is not loaded.
    const logger = options.logger ?? (defaultLogLevel() === 'silent' ? SILENT_LOGGER : createLogger());
    // Logs and events share the secrets: both channels scrub them (src/errors/redact.ts).
    addSecrets([logger, this.#bus], secretValuesOf(config));
    this.#logger = logger;
    const retryOn = options.retry?.retryOn;
    this.#retryOn = retryOn ? new Set(retryOn) : DEFAULT_RETRY_ON;
    this.breaker = new CircuitBreaker({
      ...options.breaker,
      id: this.name,
      server: this.name,
      clock: this.#clock,
      bus: this.#bus,
      ...(options.inspect ? { inspect: options.inspect } : {}),
      ...(options.spawn ? { spawn: options.spawn } : {}),
    });
    this.#authLoader = this.#authLoaderOf(config, options, [logger, this.#bus]);
    const wiring = new ServerConnection.#Wiring(this);
    this.#session = new McpSession(
      config,
      wiring,
      options.clientInfo ?? { name: 'azcore', version: VERSION },
      options.transportFactory,
      {
        elicitation: options.elicitation,
        sampling: options.sampling,
        ...(this.#authLoader
          ? {
              authProvider: async () => ((await this.#loadAuth()) as ConnectionAuth).credential.provider,
              wrapFetch: (next) => (this.#auth as ConnectionAuth).wrapFetch(next),
            }
          : {}),
      },
    );
    const input = {
      server: this.name,
      connectTimeoutMs: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      pingIntervalMs: config.transport === 'stdio' ? 0 : DEFAULT_HTTP_PING_INTERVAL_MS,
      ...options.connection,
    };
    this.#ownsActor = !options.spawn;
    this.actor = options.spawn
      ? options.spawn(connectionLogic(), { id: `server:${this.name}`, input })
      : createActor(connectionLogic(), {
          clock: this.#clock,
          input,
          ...(options.inspect ? { inspect: options.inspect } : {}),
        });
    this.actor.subscribe({
      next: (snapshot) => this.#onSnapshot(topState(snapshot.value)),
      error: (e) => this.#log.error({ err: String(e) }, 'connection actor crashed'),
    });
    // Before CONNECT can be sent: the shared machine's actors find their I/O here.
    wiring.session = this.#session;
    registerConnectionDeps(this.actor.system, wiring);
    // OAuth code loads now, off the import path; the credential reads its store before any connect
    // starts, as it did when ConnectionAuth was imported statically. A bad setting rejects start().
    if (this.#authLoader) this.#loadAuth().catch(() => {});
    if (this.actor instanceof Actor) this.actor.start();
    this.breaker.state$.subscribe({
      next: (s) => this.actor.send({ type: s === 'closed' ? 'BREAKER_CLOSED' : 'BREAKER_OPENED' }),
      // The breaker stops with the connection (close()): report what is pending, drop the timers.
      complete: () => this.#floods?.dispose(),
    });
  }

  /** This server's events: the bus's own stream, or the shared bus's filtered to this server. */
  get events$(): Observable<RuntimeEvent> {
    this.#events$ ??= this.#ownBus
      ? this.#bus.events$
      : this.#bus.events$.pipe(filter((e) => 'server' in e && e.server === this.name));
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

  get #log(): Logger {
    this.#childLog ??= this.#logger.child({ server: this.name });
    return this.#childLog;
  }

  /**
   * What a server can make us write (its log messages, stderr, transport errors such as progress
   * for unknown tokens) is rate-limited per channel, with one "suppressed K" line per window.
   */
  #floodAdmits(channel: string): boolean {
    this.#floods ??= new LogFloodGuard({
      clock: this.#clock,
      limits: { stderr: 100 },
      onSuppressed: (channel, suppressed, windowMs) => {
        const note = `${suppressed} ${channel} lines suppressed in ${windowMs} ms (flood control)`;
        this.#log.warn({ channel, suppressed, windowMs }, note);
        if (channel === 'stderr')
          this.#emit({ type: 'server.stderr', server: this.name, line: `[azcore] ${note}` });
      },
    });
    return this.#floods.admit(channel);
  }

  /** Current top-level connection state. */
  get state(): ConnectionStateName {
    return this.#state;
  }

  /**
   * True when a call would be sent now: connected (ready or degraded) and the breaker admits calls.
   * Teams leave the tools of unavailable servers out of the model's next turn.
   */
  get available(): boolean {
    if (!this.#isUsable()) return false;
    const breaker = this.breaker.state;
    return (
      breaker === 'closed' ||
      breaker === 'halfOpen' ||
      (breaker === 'open' && this.#clock.now() >= (this.breaker.retryAt ?? 0))
    );
  }

  /** The cached tool list, if one is loaded (see {@link listTools}); no I/O. */
  get cachedTools(): readonly Tool[] | undefined {
    return this.#tools;
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
    return this.#session.transport;
  }

  /** Process id of a stdio server while connected. */
  get pid(): number | undefined {
    return this.#session.pid;
  }

  /**
   * The failure that put the connection in its current state (undefined while ready): the
   * machine's `context.lastError`, as the typed error with its `cause` when this side still holds it.
   */
  get lastError(): AzcoreError | undefined {
    const recorded = this.actor.getSnapshot().context.lastError;
    if (!recorded) return undefined;
    const own = this.#lastFailure;
    return own && own.code === recorded.code && own.message === recorded.message
      ? own
      : errorFromSummary(recorded as ErrorSummary, this.name);
  }

  /**
   * Connects and resolves once ready. Rejects with the typed cause if the first attempt fails; the
   * actor then keeps reconnecting in the background (until its restart budget runs out).
   */
  async start(): Promise<void> {
    // An app that can show a login URL gets the login as part of the start.
    // A bad `oauth` setting (e.g. private_key_jwt without its key) rejects here, before any connect.
    if (this.#authLoader && (await this.#loadAuth())?.logsInByItself) return this.login();
    if (this.#state === 'idle') this.actor.send({ type: 'CONNECT', at: this.#clock.now() });
    await waitForClient(this, { firstAttemptOnly: true });
  }

  /** @internal used by waitForClient: a call is waiting, the machine wakes an idle or failed connection. */
  wake(): void {
    this.actor.send({ type: 'CALL', at: this.#clock.now() });
  }

  /** Drops the current connection (if any) and connects again now, with a fresh restart budget. */
  reconnect(): void {
    if (this.#state !== 'closing' && this.#state !== 'closed') {
      this.actor.send({ type: this.#state === 'idle' ? 'CONNECT' : 'RECONNECT', at: this.#clock.now() });
    }
  }

  /**
   * Calls a tool through breaker, retry and deadline. Resolves with the MCP result, including
   * `isError: true` results (a tool failure is the model's business); rejects with a typed error.
   */
  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: CallOptions = NO_OPTIONS,
  ): Promise<CallToolResult> {
    const callId = ++this.#callSeq;
    // A breaker that is not closed is asked first when nothing else could stop the call before it
    // (no caller signal or deadline, a valid budget): a rejection then builds nothing else.
    let admitted: BreakerPermit | undefined;
    if (this.breaker.state !== 'closed' && this.#breakerFirst(options)) {
      const permit = this.breaker.acquire();
      if (isCircuitOpenError(permit)) throw this.#rejected(permit, name, callId, 1);
      admitted = permit;
    }
    const deadline = this.#deadlineFor(name, options);
    const repeatable =
      options.idempotent ?? (this.#options.retry?.idempotent === true || this.#safeToRepeat(name));
    try {
      // The first attempt runs inline: a call that succeeds (or is rejected by the breaker) builds
      // no retry state. A failure hands over to the retry loop, which judges it as its own.
      let failure: unknown;
      try {
        deadline.throwIfExpired();
        const permit = admitted ?? this.#admit(name, callId, 1);
        return await this.#attemptCall(
          name,
          args,
          deadline,
          callId,
          1,
          options,
          permit,
          this.#timerOnly(options),
        );
      } catch (e) {
        failure = e;
      }
      if (isAzcoreError(failure) && NEVER_RETRIED.has(failure.kind)) throw failure;
      return await retry(
        (attempt) =>
          this.#attemptCall(
            name,
            args,
            deadline,
            callId,
            attempt,
            options,
            this.#admit(name, callId, attempt),
            false,
          ),
        this.#retryOptions(name, callId, deadline, repeatable, failure),
      );
    } catch (e) {
      throw repeatable ? e : outcomeUnknownIfSent(e as AzcoreError, this.#unsentCheck, name);
    } finally {
      // A no-op once the attempt reported; frees a probe slot if something threw before it ran.
      admitted?.release();
      deadline.dispose();
    }
  }

  readonly #unsentCheck = (error: AzcoreError): boolean =>
    this.#unsent?.has(error) === true || provenNotSent(error);

  #callBackoffOf(): Backoff {
    this.#callBackoff ??= decorrelatedJitter({ baseMs: 100, maxMs: 2_000 }, this.#options.random);
    return this.#callBackoff;
  }

  /** What the retry loop needs once a call's first attempt failed. */
  #retryOptions(
    tool: string,
    callId: number,
    deadline: Deadline,
    repeatable: boolean,
    failure: unknown,
  ): RetryOptions {
    return {
      maxAttempts: this.#options.retry?.maxAttempts ?? 3,
      shouldRetry: (error) =>
        error.retryable && this.#retryOn.has(error.kind) && (repeatable || this.#unsentCheck(error)),
      backoff: this.#callBackoffOf(),
      deadline,
      clock: this.#clock,
      server: this.name,
      after: { attempt: 1, error: failure },
      onRetry: ({ attempt, delayMs, error }) =>
        this.#emit({
          type: 'call.retried',
          server: this.name,
          tool,
          callId,
          attempt,
          delayMs,
          error: summarizeError(error),
        }),
    };
  }

  /**
   * The call's only abort source is its own budget on the wall clock: the SDK's request timeout,
   * set to the same budget, ends it just as well (and sends the same notifications/cancelled), so
   * no AbortController and no second timer are needed. A caller's signal or deadline, an injected
   * clock or a budget renewed by progress keep the Deadline's signal (test/actors/fastPath.test.ts).
   */
  #timerOnly(options: CallOptions): boolean {
    return (
      options.signal === undefined &&
      options.deadline === undefined &&
      options.resetTimeoutOnProgress !== true &&
      this.#clock === systemClock
    );
  }

  /**
   * Asks the breaker for one attempt: returns its permit, or throws the CircuitOpenError (with a
   * `call.rejected` event). While closed: one snapshot read and the permit.
   */
  #admit(tool: string, callId: number, attempt: number): BreakerPermit {
    const permit = this.breaker.acquire();
    if (isCircuitOpenError(permit)) throw this.#rejected(permit, tool, callId, attempt);
    return permit;
  }

  /**
   * Nothing the long way checks before the breaker can stop this call: no caller signal or
   * deadline (cancelled or spent) and a budget the Deadline accepts and has not spent.
   */
  #breakerFirst(options: CallOptions): boolean {
    const timeout = options.timeout ?? this.#config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return (
      options.signal === undefined &&
      options.deadline === undefined &&
      options.resetTimeoutOnProgress !== true &&
      typeof timeout === 'number' &&
      timeout > 0 &&
      (timeout <= MAX_TIMER_MS || timeout === Number.POSITIVE_INFINITY)
    );
  }

  /** The breaker's rejection of one attempt, reported as a `call.rejected` event. */
  #rejected(rejected: CircuitOpenError, tool: string, callId: number, attempt: number): CircuitOpenError {
    if (this.#bus.observed) {
      this.#bus.emit({
        type: 'call.rejected',
        at: this.#clock.now(),
        source: this.#source,
        server: this.name,
        tool,
        callId,
        attempt,
        error: summarizeError(rejected),
        retryAt: rejected.retryAt,
      });
    }
    return rejected;
  }

  /** The server declares the tool read-only or idempotent: running it twice is harmless. */
  #safeToRepeat(tool: string): boolean {
    const annotations = this.#tools?.find((t) => t.name === tool)?.annotations;
    return annotations?.readOnlyHint === true || annotations?.idempotentHint === true;
  }

  /**
   * The server's tools, cached until the server announces a change, the connection is renewed, or
   * the `ttlMs` freshness hint of the listing (2026-07-28) runs out on the injected clock. Pages
   * are followed up to the SDK's page cap (a server that pages forever fails with a ResourceError).
   */
  async listTools(options: CallOptions = {}): Promise<Tool[]> {
    return this.#listTools(options, false);
  }

  /** {@link listTools}; `announce`: a `tools.changed` event follows a fetched list even with the count unchanged. */
  async #listTools(options: CallOptions, announce: boolean): Promise<Tool[]> {
    const started = this.#clock.now();
    if (this.#tools && started < this.#toolsFreshUntil) {
      this.#listCompleted('tools/list', this.#clock.now() - started, this.#tools.length, true);
      return this.#tools;
    }
    const deadline = this.#deadlineFor('tools/list', options);
    try {
      const client = await waitForClient(this, { deadline });
      const listing = await client.listTools(undefined, {
        signal: deadline.signal,
        timeout: Math.max(1, deadline.remaining()),
        cacheMode: 'refresh',
      });
      // SDK v2 answers a listing on a client closed meanwhile with `{ tools: [] }`: not a tool list.
      if (this.#session.client !== client) {
        throw new ConnectionError('The connection closed while listing tools.', {
          server: this.name,
          code: 'NOT_CONNECTED',
          hint: 'The runtime reconnects on its own; the list is fetched again when it is ready.',
        });
      }
      const ttlMs = (listing as { ttlMs?: unknown }).ttlMs;
      this.#toolsFreshUntil =
        typeof ttlMs === 'number' && Number.isFinite(ttlMs)
          ? this.#clock.now() + Math.max(0, ttlMs)
          : Infinity;
      this.#tools = listing.tools;
      const count = listing.tools.length;
      this.#listCompleted('tools/list', this.#clock.now() - started, count, false);
      if (announce || count !== this.#announcedTools) {
        this.#announcedTools = count;
        this.#emit({ type: 'tools.changed', server: this.name, tools: count });
      }
      return listing.tools;
    } catch (e) {
      const error = redactedError(
        classifyError(e, { server: this.name, signal: deadline.signal }),
        this.#bus.redactor,
      );
      this.#listCompleted('tools/list', this.#clock.now() - started, undefined, false, error);
      throw error;
    } finally {
      deadline.dispose();
    }
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
    this.#listCompleted(operation, durationMs, count, false, error);
  }

  /** One `list.completed` event, built only when someone listens. */
  #listCompleted(
    operation: ListOperation,
    durationMs: number,
    count: number | undefined,
    fromCache: boolean,
    error?: AzcoreError,
  ): void {
    if (!this.#bus.observed) return;
    this.#bus.emit({
      type: 'list.completed',
      at: this.#clock.now(),
      source: this.#source,
      server: this.name,
      operation,
      durationMs,
      ok: error === undefined,
      ...(count !== undefined ? { count } : {}),
      fromCache,
      ...(error ? { error: summarizeError(error) } : {}),
    });
  }

  /**
   * Round-trip time in ms of the era's liveness request: MCP `ping` (2025) or `server/discover`
   * (2026-07-28, which has no ping).
   */
  async ping(options: CallOptions = {}): Promise<number> {
    const deadline = this.#deadlineFor('ping', options);
    const started = this.#clock.now();
    try {
      await waitForClient(this, { deadline });
      await this.#session.keepalive(Math.max(1, deadline.remaining()), deadline.signal);
      return this.#clock.now() - started;
    } catch (e) {
      throw redactedError(
        classifyError(e, { server: this.name, signal: deadline.signal }),
        this.#bus.redactor,
      );
    } finally {
      deadline.dispose();
    }
  }

  /** Closes the connection, kills a stdio server's process group, stops the actors. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#state !== 'closed') {
        this.actor.send({ type: 'CLOSE' });
        await firstValueFrom(this.state$.pipe(filter((s) => s === 'closed')), { defaultValue: 'closed' });
      }
      await this.#session.close();
      (await this.#authLoad?.catch(() => undefined))?.close();
      if (this.#ownsActor && this.actor instanceof Actor) this.actor.stop();
      this.breaker.stop();
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
    const auth = await this.#requireAuth('login');
    if (this.#state === 'idle') this.actor.send({ type: 'CONNECT', at: this.#clock.now() });
    const isSettled = (s: ConnectionStateName) => s !== 'idle' && s !== 'connecting' && s !== 'reconnecting';
    const settled = isSettled(this.#state)
      ? this.#state
      : await firstValueFrom(this.state$.pipe(filter(isSettled)), { defaultValue: this.#state });
    // Connected and nothing asked for a person (a 403 step-up does): already logged in.
    if ((settled === 'ready' || settled === 'degraded') && !auth.loginWanted) return;
    const needsPerson = settled === 'authorizing' || settled === 'authFailed' || auth.loginWanted;
    if (!needsPerson) return waitForClient(this, { firstAttemptOnly: true }).then(() => {});
    await auth.login(options);
    await waitForClient(this, { firstAttemptOnly: true });
  }

  /**
   * Finishes the login in progress with what your own redirect handler received (when the login
   * was given a `redirectUri` of yours instead of the built-in loopback listener).
   *
   * @example
   * app.get('/callback', (req) => conn.finishAuth({ code: req.query.code, state: req.query.state, iss: req.query.iss }));
   */
  finishAuth(response: AuthorizationResponse): void {
    if (!this.#authLoader) throw this.#noOAuth('finishAuth');
    if (!this.#auth) {
      throw new AuthError('No login is in progress to finish.', {
        server: this.name,
        code: 'NO_LOGIN',
        hint: 'Call login() first (its onAuthorizationUrl gets the URL), then finishAuth with the code of that redirect.',
      });
    }
    this.#auth.finishAuth(response);
  }

  /** The URL a person must open to finish the login in progress (OAuth), else undefined. */
  get authorizationUrl(): URL | undefined {
    return this.#auth?.authorizationUrl;
  }

  async #requireAuth(method: string): Promise<ConnectionAuth> {
    const auth = await this.#loadAuth();
    if (auth) return auth;
    throw this.#noOAuth(method);
  }

  #noOAuth(method: string): ConfigurationError {
    return new ConfigurationError(`${method}() needs OAuth: this server's config has no "oauth" field.`, {
      server: this.name,
      hint: 'Add "oauth": {} to the server config (docs/auth.md).',
    });
  }

  /** The OAuth of a config with `oauth`, loaded and created once (undefined without `oauth`). */
  #loadAuth(): Promise<ConnectionAuth | undefined> {
    if (!this.#authLoader) return Promise.resolve(undefined);
    this.#authLoad ??= this.#authLoader().then((auth) => {
      this.#auth = auth;
      return auth;
    });
    return this.#authLoad;
  }

  #authLoaderOf(
    config: ServerConfig,
    options: ServerConnectionOptions,
    redactors: Parameters<typeof addSecrets>[0],
  ): (() => Promise<ConnectionAuth>) | undefined {
    if (config.transport === 'stdio' || !config.oauth) return undefined;
    if (config.authProvider) {
      throw new ConfigurationError('Both "oauth" and "authProvider" are set: choose one.', {
        server: config.name,
        hint: 'Keep "oauth" to let azcore run OAuth, or "authProvider" to bring your own SDK provider.',
      });
    }
    const oauth = config.oauth;
    return async () => {
      const { ConnectionAuth } = await import('../auth/ConnectionAuth.js');
      return new ConnectionAuth({
        server: config.name,
        config: { ...config, oauth },
        options: options.auth ?? {},
        clock: this.#clock,
        inspect: options.inspect,
        send: (event) => this.actor.send(event),
        emit: (event) => this.#emit(event),
        state: () => this.#state,
        addSecrets: (values) => addSecrets(redactors, values),
      });
    };
  }

  /** @internal used by waitForClient */
  get session(): McpSession {
    return this.#session;
  }

  #deadlineFor(step: string, options: CallOptions): Deadline {
    const timeout = options.timeout ?? this.#config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const parent = options.deadline;
    const signal =
      parent && options.signal
        ? AbortSignal.any([parent.signal, options.signal])
        : (options.signal ?? parent?.signal);
    const budget = parent ? Math.min(timeout, parent.remaining()) : timeout;
    const renewable = options.resetTimeoutOnProgress === true;
    const total = options.maxTotalTimeout ?? timeout * 10;
    return Deadline.after(budget, {
      clock: this.#clock,
      signal,
      step,
      server: this.name,
      maxTotalMs: renewable ? (parent ? Math.min(total, parent.remaining()) : total) : undefined,
    });
  }

  async #attemptCall(
    tool: string,
    args: Record<string, unknown>,
    deadline: Deadline,
    callId: number,
    attempt: number,
    options: CallOptions,
    permit: BreakerPermit,
    timerOnly: boolean,
  ): Promise<CallToolResult> {
    const started = this.#clock.now();
    const budgetMs = Math.round(deadline.remaining());
    // Built only when someone listens, as one literal (no copy).
    if (this.#bus.observed) {
      this.#bus.emit({
        type: 'call.started',
        at: started,
        source: this.#source,
        server: this.name,
        tool,
        callId,
        attempt,
      });
    }
    // Started before close(): a close() now cancels it (a call made after close() fails CLOSED).
    const beforeClose = this.#closed === undefined;
    let client: Client | undefined;
    try {
      // Optional call: without the option nothing is evaluated or allocated here.
      const meta = this.#options.requestMeta?.({
        method: 'tools/call',
        server: this.name,
        tool,
        callId,
        attempt,
      });
      client =
        this.#session.client && this.#isUsable() ? this.#session.client : await this.#waitUnsent(deadline);
      const onProgress = options.onProgress;
      const renew = options.resetTimeoutOnProgress === true;
      const params = meta ? { name: tool, arguments: args, _meta: meta } : { name: tool, arguments: args };
      const result = (await client.callTool(
        params,
        timerOnly && !onProgress
          ? // The SDK's timer is the deadline (see #timerOnly).
            { timeout: clampTimerMs(Math.max(1, deadline.remaining())) }
          : {
              ...(timerOnly ? {} : { signal: deadline.signal }),
              // The deadline (on the injected clock) aborts first and names the step; this is a backstop.
              timeout: timerOnly
                ? clampTimerMs(Math.max(1, deadline.remaining()))
                : clampTimerMs(Math.max(1, deadline.remaining()) + SDK_TIMEOUT_SLACK_MS),
              ...(onProgress || renew
                ? {
                    // Our Deadline enforces the total; the SDK's timeout stays a backstop that progress resets.
                    resetTimeoutOnProgress: renew,
                    onprogress: (p: CallProgress) => {
                      if (renew) deadline.renew();
                      onProgress?.({ progress: p.progress, total: p.total, message: p.message });
                    },
                  }
                : {}),
            },
      )) as CallToolResult;
      const isError = result.isError === true;
      if (isError && this.#options.toolErrorsTripBreaker) permit.failure();
      else permit.success();
      if (this.#bus.observed) {
        const at = this.#clock.now();
        this.#bus.emit({
          type: 'call.succeeded',
          at,
          source: this.#source,
          server: this.name,
          tool,
          callId,
          attempt,
          durationMs: at - started,
          isError,
        });
      }
      return result;
    } catch (e) {
      // Timer-only: the SDK's timeout was this call's budget running out, whatever the clock says.
      if (timerOnly && isOwnRequestTimeout(e, deadline)) deadline.expire();
      // A server may echo a secret of its config in its error text: the caller gets it masked.
      const classified = redactedError(
        classifyError(e, { server: this.name, signal: deadline.signal, timeoutMs: budgetMs }),
        this.#bus.redactor,
      );
      // Judged by what happened: a local close() is a cancellation, a client this side replaced
      // (re-initializing an expired session) was interrupted here; neither is the server's fault.
      const cancelledByClose = beforeClose && this.#closed !== undefined;
      const error = cancelledByClose ? closedWhileRunning(classified, tool) : classified;
      const local = cancelledByClose || (client !== undefined && this.#session.closedLocally(client));
      permit.failure(error, { local });
      this.#reactToCallError(error);
      this.#emit({
        type: 'call.failed',
        server: this.name,
        tool,
        callId,
        attempt,
        durationMs: this.#clock.now() - started,
        error: summarizeError(error),
      });
      throw error;
    }
  }

  async #waitUnsent(deadline: Deadline) {
    try {
      return await waitForClient(this, { deadline });
    } catch (e) {
      const error = redactedError(
        classifyError(e, { server: this.name, signal: deadline.signal }),
        this.#bus.redactor,
      );
      this.#unsent ??= new WeakSet();
      this.#unsent.add(error);
      throw error;
    }
  }

  #isUsable(): boolean {
    return this.#state === 'ready' || this.#state === 'degraded';
  }

  /** Failures a call observes that say something about the connection itself, told to the machine. */
  #reactToCallError(error: AzcoreError): void {
    if (this.#unsent?.has(error)) return;
    const type =
      error.code === 'SESSION_EXPIRED'
        ? 'SESSION_EXPIRED'
        : error.code === 'AUTH_REQUIRED'
          ? 'LOGIN_REQUIRED'
          : error.kind === 'auth'
            ? 'AUTH_FAILED'
            : // The transport is broken (refused, socket reset, process gone); an HTTP transport never
              // reports this itself. A 5xx means the server is alive, so it is left to the breaker.
              error.kind === 'connection' && !error.code.startsWith('HTTP_')
              ? 'TRANSPORT_CLOSED'
              : undefined;
    if (type === undefined) return;
    this.#lastFailure = error;
    this.actor.send({ type, at: this.#clock.now(), reason: summarizeError(error) });
  }

  #lost(error: AzcoreError): void {
    this.#lastFailure = error;
    this.actor.send({ type: 'TRANSPORT_CLOSED', at: this.#clock.now(), reason: summarizeError(error) });
  }

  /**
   * The machine's `refreshTools` (after a list_changed): refetch, and say so (`tools.changed`)
   * whatever the count. Rejects if the listing fails; cancelled when the connection is left.
   */
  async #refreshTools(signal: AbortSignal): Promise<void> {
    this.#tools = undefined;
    try {
      await this.#listTools({ signal }, true);
    } catch (e) {
      if (!signal.aborted) this.#log.warn({ err: String(e) }, 'tools refresh failed');
      throw e;
    }
  }

  /** The connection is renewed or gone: the cached list, and what views were told of it, no longer hold. */
  #forgetTools(): void {
    this.#tools = undefined;
    this.#announcedTools = undefined;
  }

  #onSnapshot(to: ConnectionStateName): void {
    const from = this.#state;
    if (to === from) return;
    this.#state = to;
    this.#auth?.onConnectionState(to);
    const failing = to === 'reconnecting' || to === 'failed' || to === 'authFailed' || to === 'degraded';
    const reason = failing ? this.actor.getSnapshot().context.lastError : undefined;
    this.#log.info(
      { operation: 'connection', from, to, ...(reason ? { error_kind: reason.kind } : {}) },
      `${from} -> ${to}`,
    );
    this.#emit({
      type: 'connection.state',
      server: this.name,
      from,
      to,
      reason: reason as ErrorSummary | undefined,
    });
  }

  #emit(event: DistributiveOmit<RuntimeEvent, 'at' | 'source'>): void {
    if (!this.#bus.observed) return;
    // Spread last: V8 takes a slow path for `{ ...event, extra }` (measured in bench/, overhead).
    this.#bus.emit({ at: this.#clock.now(), source: this.#source, ...event } as RuntimeEvent);
  }

  /**
   * The session's hooks and the connection actor's I/O as one object of methods that reach back
   * into the connection: no closure per hook and per dependency (heap per idle connection).
   */
  static readonly #Wiring = class implements SessionHooks, ConnectionLogicDeps {
    readonly #conn: ServerConnection;
    readonly server: string;
    readonly clock: Clock;
    readonly connectTimeoutMs: number;
    readonly pingTimeoutMs: number;
    session!: McpSession;
    #backoff: Backoff | undefined;

    constructor(conn: ServerConnection) {
      this.#conn = conn;
      this.server = conn.name;
      this.clock = conn.#clock;
      this.connectTimeoutMs = conn.#config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      this.pingTimeoutMs = conn.#options.connection?.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
    }

    /** Reconnect delays: decorrelated jitter with the connection's RNG, built at the first reconnect. */
    backoff(attempt: number, previousMs: number): number {
      if (!this.#backoff) {
        const { connection = {}, random } = this.#conn.#options;
        this.#backoff = decorrelatedJitter(
          {
            baseMs: connection.backoffBaseMs ?? connectionDefaults.backoffBaseMs,
            maxMs: connection.backoffMaxMs ?? connectionDefaults.backoffMaxMs,
          },
          random,
        );
      }
      return this.#backoff(attempt, previousMs);
    }

    onFailure(error: AzcoreError): void {
      this.#conn.#lastFailure = error;
    }

    forgetToolList(): void {
      this.#conn.#forgetTools();
    }

    refreshTools(signal: AbortSignal): Promise<void> {
      return this.#conn.#refreshTools(signal);
    }

    emitPing(ok: boolean, durationMs: number, error?: ErrorSummary): void {
      const conn = this.#conn;
      conn.#emit({ type: 'server.ping', server: conn.name, ok, durationMs, ...(error ? { error } : {}) });
    }

    onLost(error: AzcoreError): void {
      this.#conn.#lost(error);
    }

    onStderr(line: string): void {
      const conn = this.#conn;
      if (!conn.#floodAdmits('stderr')) return;
      conn.#log.debug({ stderr: line }, 'server stderr');
      conn.#emit({ type: 'server.stderr', server: conn.name, line });
    }

    onServerLog(entry: ServerLogEntry): void {
      const conn = this.#conn;
      if (conn.#floodAdmits('server log')) conn.#log.debug({ serverLog: entry }, 'server log');
    }

    onToolsChanged(): void {
      this.#conn.actor.send({ type: 'TOOLS_CHANGED' });
    }

    onTransportError(error: AzcoreError): void {
      const conn = this.#conn;
      if (conn.#floodAdmits('transport error')) conn.#log.warn({ err: error.toJSON() }, 'transport error');
      // The event stream learnt first that the session is gone: re-initialize now, so the calls
      // in flight on the dead session end (and may be repeated) instead of running out their time.
      if (error.code === 'SESSION_EXPIRED' && conn.#isUsable()) {
        conn.actor.send({ type: 'SESSION_EXPIRED', at: conn.#clock.now(), reason: summarizeError(error) });
      } else if (error.kind === 'connection' && !error.code.startsWith('HTTP_') && conn.#isUsable()) {
        // A dropped event stream or a refused reconnect of it is the first sign of a dead server:
        // ping now (one probe at a time), so a failure shows in seconds, not at the next period.
        conn.actor.send({ type: 'PROBE' });
      }
    }

    onServerRequest(request: ServerRequestOutcome): void {
      const conn = this.#conn;
      conn.#emit({ type: 'server.request', server: conn.name, ...request });
    }
  };
}

/**
 * A call that failed on the connection after its request was sent may or may not have run: say so
 * in words the model can act on, instead of a transport code, unless the request provably never left.
 */
function outcomeUnknownIfSent(
  error: AzcoreError,
  unsent: (error: AzcoreError) => boolean,
  tool: string,
): AzcoreError {
  if (error.kind !== 'connection' || error.code.startsWith('HTTP_') || unsent(error)) return error;
  return new ConnectionError(
    `The connection broke after "${tool}" was sent: it may or may not have run. It was not repeated because it is not marked idempotent.`,
    {
      server: error.server,
      cause: error,
      code: 'OUTCOME_UNKNOWN',
      retryable: false,
      hint: 'Check its effect before calling it again; mark the tool idempotent (readOnlyHint/idempotentHint, retry.idempotent or the idempotent call option) to let the runtime repeat it.',
    },
  );
}

/**
 * Values that must never reach a log, an event or the dashboard: env values and secret-looking
 * flags of a stdio server; auth-bearing headers and the URL's credentials of an HTTP server.
 */
function secretValuesOf(config: ServerConfig): string[] {
  const sensitive = /authorization|cookie|token|key|secret|passw(?:or)?d|credential/i;
  if (config.transport === 'stdio') {
    // Env values, and the values of secret-looking flags: `--api-key=X` or `--api-key X`.
    const args = config.args ?? [];
    const fromArgs = args.flatMap((arg, i) => {
      const flag = /^--?([\w.-]+)(?:=(.*))?$/s.exec(arg);
      if (!flag?.[1] || !sensitive.test(flag[1])) return [];
      const next = args[i + 1];
      return flag[2] !== undefined ? [flag[2]] : next !== undefined && !next.startsWith('-') ? [next] : [];
    });
    return [...Object.values(config.env ?? {}), ...fromArgs];
  }
  const fromHeaders = Object.entries(config.headers ?? {})
    .filter(([k]) => sensitive.test(k))
    .flatMap(([, v]) => {
      const token = v.replace(/^(?:Bearer|Basic|Token)\s+/i, '');
      // Basic credentials are base64 of `user:password`: the password shows up decoded elsewhere.
      const basic = /^Basic\s+/i.test(v) ? Buffer.from(token, 'base64').toString('utf8') : '';
      return [v, token, ...(basic.includes(':') ? [basic.slice(basic.indexOf(':') + 1)] : [])];
    });
  const oauth = config.oauth;
  const fromOAuth = oauth ? [oauth.clientSecret, oauth.privateKey].filter((v): v is string => !!v) : [];
  return [...fromHeaders, ...fromOAuth, ...secretsOfUrl(config.url)];
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
