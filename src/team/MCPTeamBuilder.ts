import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { OAuthClientProvider } from '@modelcontextprotocol/client';
import type { InspectionEvent, Observer } from 'xstate';
import type { CallRetryOptions, ServerConnectionOptions } from '../actors/ServerConnection.js';
import { DEFAULT_TURN_TIMEOUT_MS } from '../config/defaults.js';
import { parseMcpServersJson, parseServerConfig } from '../config/serverConfig.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { createSamplingHandler, type SamplingHandlerOptions } from '../llm/samplingHandler.js';
import type { Logger } from '../observe/logger.js';
import type { ElicitationHandler } from '../protocol/serverRequests.js';
import type { Random } from '../resilience/backoff.js';
import type { Clock } from '../resilience/Clock.js';
import { MCPTeam, type TeamSpec } from './MCPTeam.js';
import { DEFAULT_TEAM_PROMPT } from './systemPrompt.js';

/** Options shared by every `withMcpServer*` call. `timeout` is in seconds, as in the guide. */
export interface ServerOptions {
  /** Config key of the server; tools are named `<name>__<tool>`. Derived from the command/URL if absent. */
  name?: string;
  /** Request timeout in seconds (the guide's `timeout`). Default 60. */
  timeout?: number;
  /** Connect timeout in seconds. Default 30. */
  connectTimeout?: number;
  /**
   * With skipFailedServers(true): `build()` does not wait for this server, and its failure does not
   * fail the build. It joins the team when it connects (event `team.server.joined`).
   */
  optional?: boolean;
  /** MCP protocol era: `'auto'` (default: probe, 2025 fallback), `'legacy'`, or a pinned version. */
  protocolVersion?: string;
  /**
   * Tool calls the team sends this server at once (across turns); later ones wait in order.
   * Default: `withMaxConcurrentCallsPerServer(n)`, else by transport (`DEFAULT_MAX_CONCURRENT_CALLS`, callLimits.ts).
   */
  maxConcurrentCalls?: number;
}

export interface StdioServerOptions extends ServerOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Names of this process's env vars to pass through (children get a minimal env otherwise). */
  inheritEnv?: string[];
}

export interface UrlServerOptions extends ServerOptions {
  headers?: Record<string, string>;
  /** Values for `${NAME}` placeholders in headers, e.g. `{ Authorization: 'Bearer ${API_KEY}' }`. */
  env?: Record<string, string | undefined>;
  authProvider?: OAuthClientProvider;
}

/** Timeouts of a team, in milliseconds. */
export interface TeamTimeouts {
  /** Budget of one `invoke` (all model and tool calls). Default 120 000. */
  turnMs?: number;
  /** Budget of one tool call, capped by the turn. Default: the server's request timeout. */
  toolMs?: number;
}

interface PendingServer {
  config: Record<string, unknown>;
  optional: boolean;
  explicitName: boolean;
  maxConcurrentCalls: number | undefined;
}

/**
 * Builds an {@link MCPTeam}: the guide's `MCPTeamBuilder(...).with_llm(...).with_mcp_server(...)
 * .skip_failed_servers(True).build()`, camelCased. Invalid input is a ConfigurationError naming the
 * field, thrown by `build()` before anything starts.
 *
 * @example
 * const team = await new MCPTeamBuilder('research')
 *   .withLlm(createChatModel())
 *   .withMcpServer('npx', ['-y', '@modelcontextprotocol/server-filesystem', '/data'])
 *   .withMcpServerSse('https://optional.example.com/sse', { optional: true, timeout: 30 })
 *   .skipFailedServers(true)
 *   .withPrompt('You are a resilient assistant.')
 *   .build();
 */
export class MCPTeamBuilder {
  readonly #name: string;
  #model: BaseChatModel | undefined;
  /** A model still being made (`withLlm(createChatModel())`): awaited by build(). */
  #pendingModel: Promise<BaseChatModel> | undefined;
  readonly #elicitation = new Map<string, ElicitationHandler>();
  readonly #sampling = new Map<string, SamplingHandlerOptions>();
  #requestMeta: ServerConnectionOptions['requestMeta'];
  readonly #servers: PendingServer[] = [];
  readonly #problems: ConfigurationError[] = [];
  #skipFailed = false;
  #prompt = DEFAULT_TEAM_PROMPT;
  #tools: StructuredToolInterface[] = [];
  #maxIterations = 10;
  #timeouts: TeamTimeouts = {};
  #maxConcurrentCallsPerServer: number | undefined;
  #retry: CallRetryOptions | undefined;
  #breaker: ServerConnectionOptions['breaker'];
  #connection: ServerConnectionOptions['connection'];
  #toolErrorsTripBreaker = false;
  #clock: Clock | undefined;
  #random: Random | undefined;
  #logger: Logger | undefined;
  #inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;

  constructor(name: string) {
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      throw new ConfigurationError(
        `Team name ${JSON.stringify(name)} is invalid: use 1-64 letters, digits, "_", "." or "-".`,
      );
    }
    this.#name = name;
  }

  /**
   * Answers the servers' elicitations (forms and URLs) with `handler`: every server, or only the
   * named ones (a later call for a server wins). Without a handler, elicitations are declined at once.
   */
  withElicitation(handler: ElicitationHandler, options: { servers?: string[] } = {}): this {
    for (const server of options.servers ?? ['*']) this.#elicitation.set(server, handler);
    return this;
  }

  /**
   * Lets the named servers ask the team's model for completions (`sampling/createMessage`, used by
   * 2025-era servers), within `budgetTokens` per server. Opt-in: no server samples without it.
   */
  withSampling(options: { servers: string[] } & SamplingHandlerOptions): this {
    for (const server of options.servers) this.#sampling.set(server, options);
    return this;
  }

  /**
   * Adds `_meta` to every tool call of every server (e.g. `openTelemetryRequestMeta()` from
   * `azcore/otel`, which carries the active trace context as `traceparent`).
   */
  withRequestMeta(requestMeta: NonNullable<ServerConnectionOptions['requestMeta']>): this {
    this.#requestMeta = requestMeta;
    return this;
  }

  /**
   * The chat model: any LangChain chat model with bindTools, or a promise of one, such as
   * `createChatModel()` (the offline default), which build() awaits (its rejection is build()'s).
   */
  withLlm(model: BaseChatModel | PromiseLike<BaseChatModel>): this {
    if (isPromiseLike(model)) {
      this.#model = undefined;
      // Marked handled now: a rejection before build() is build()'s to report, not an unhandled one.
      this.#pendingModel = Promise.resolve(model);
      this.#pendingModel.catch(() => {});
    } else {
      this.#model = model;
      this.#pendingModel = undefined;
    }
    return this;
  }

  /** A stdio server: `command` and `args`, run without a shell in its own process group. */
  withMcpServer(command: string, args: string[] = [], options: StdioServerOptions = {}): this {
    const {
      name,
      timeout,
      connectTimeout,
      optional,
      env,
      cwd,
      inheritEnv,
      protocolVersion,
      maxConcurrentCalls,
    } = options;
    this.#add(
      {
        transport: 'stdio',
        name: name ?? deriveName(command, args),
        command,
        args,
        ...(env ? { env } : {}),
        ...(cwd ? { cwd } : {}),
        ...(inheritEnv ? { inheritEnv } : {}),
        ...(protocolVersion ? { protocolVersion } : {}),
        ...timeouts(timeout, connectTimeout),
      },
      optional,
      name !== undefined,
      maxConcurrentCalls,
    );
    return this;
  }

  /** A legacy SSE server. */
  withMcpServerSse(url: string, options: UrlServerOptions = {}): this {
    return this.#addUrl('sse', url, options);
  }

  /** A Streamable HTTP server. */
  withMcpServerHttp(url: string, options: UrlServerOptions = {}): this {
    return this.#addUrl('streamableHttp', url, options);
  }

  /**
   * Servers from the standard `{ "mcpServers": { name: { command, args, env } | { url, headers, type } } }`
   * JSON of Claude Desktop, Cursor and VS Code (an object or its JSON text).
   */
  withMcpServers(config: unknown, options: { optional?: boolean } = {}): this {
    // Each entry may say "optional": true itself; options.optional overrides every entry.
    try {
      for (const server of parseMcpServersJson(config)) {
        this.#add({ ...server }, options.optional ?? server.optional, true, undefined);
      }
    } catch (e) {
      this.#problems.push(
        e instanceof ConfigurationError
          ? e
          : new ConfigurationError(`mcpServers config is invalid: ${String(e)}`),
      );
    }
    return this;
  }

  /**
   * With true, optional servers no longer hold up or fail the build: `build()` resolves once the
   * required servers (those not marked optional) are up, and each optional server joins when it
   * connects (event `team.server.joined`; `tools$` and the next turn's tools follow), reconnecting
   * in the background if its first attempt fails. With false (the default), every server is
   * required: `build()` waits for all of them and any failure fails it.
   */
  skipFailedServers(skip = true): this {
    this.#skipFailed = skip;
    return this;
  }

  /** The system prompt; a live capability section is appended to it every turn. */
  withPrompt(text: string): this {
    this.#prompt = text;
    return this;
  }

  /** LangChain tools that are not MCP tools, offered next to the MCP ones. */
  withTools(tools: StructuredToolInterface[]): this {
    this.#tools = [...this.#tools, ...tools];
    return this;
  }

  withMaxIterations(n: number): this {
    this.#maxIterations = n;
    return this;
  }

  withTimeouts(timeouts: TeamTimeouts): this {
    this.#timeouts = { ...this.#timeouts, ...timeouts };
    return this;
  }

  /**
   * Tool calls the team sends each server at once (across turns), for every server that does not
   * set its own `maxConcurrentCalls`. Default by transport: `DEFAULT_MAX_CONCURRENT_CALLS` of
   * callLimits.ts (measured: see docs/performance.md, section 7).
   */
  withMaxConcurrentCallsPerServer(n: number): this {
    this.#maxConcurrentCallsPerServer = n;
    return this;
  }

  /** Retry of tool calls (default: 3 attempts, only failures where the request was never processed). */
  withRetry(retry: CallRetryOptions): this {
    this.#retry = retry;
    return this;
  }

  /** Circuit breaker of every server (default: 5 consecutive failures, 30 s open). */
  withCircuitBreaker(
    breaker: NonNullable<ServerConnectionOptions['breaker']>,
    options: { toolErrorsTrip?: boolean } = {},
  ): this {
    this.#breaker = breaker;
    this.#toolErrorsTripBreaker = options.toolErrorsTrip ?? false;
    return this;
  }

  /** Reconnect backoff, restart budget and keepalive of every server. */
  withReconnect(connection: NonNullable<ServerConnectionOptions['connection']>): this {
    this.#connection = connection;
    return this;
  }

  /** Attach an XState inspector (e.g. `createWebSocketInspector().inspect` from @statelyai/inspect). */
  withInspector(inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void)): this {
    this.#inspect = inspect;
    return this;
  }

  withLogger(logger: Logger): this {
    this.#logger = logger;
    return this;
  }

  /** Injected time and randomness (SimulatedClock, seededRandom) for tests and simulations. */
  withClock(clock: Clock, random?: Random): this {
    this.#clock = clock;
    this.#random = random;
    return this;
  }

  /**
   * Validates everything, then connects all servers in parallel (each bounded by its connect
   * timeout) and resolves once the required ones are up and their tools listed; optional servers
   * (with skipFailedServers(true)) are not waited for, unless every server is optional, and then
   * their first attempts are. Rejects with a ConfigurationError for bad input, or a TeamBuildError
   * listing every failed server's cause when a required server fails.
   */
  async build(): Promise<MCPTeam> {
    // Kept, not cleared: a second build() rejects as the first did, or gets the same model.
    if (this.#pendingModel) this.#model = await this.#pendingModel;
    return MCPTeam.create(this.#spec());
  }

  #spec(): TeamSpec {
    const problems = [...this.#problems];
    if (!this.#model)
      problems.push(
        new ConfigurationError('No LLM: call withLlm(model) (createChatModel() gives the offline default).'),
      );
    else if (typeof this.#model.bindTools !== 'function') {
      problems.push(
        new ConfigurationError(
          'withLlm(model): the model has no bindTools(); use a tool-calling LangChain chat model.',
        ),
      );
    }
    if (!Number.isInteger(this.#maxIterations) || this.#maxIterations < 1) {
      problems.push(
        new ConfigurationError(`withMaxIterations(${this.#maxIterations}): use a whole number >= 1.`),
      );
    }
    const limit = this.#maxConcurrentCallsPerServer;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      problems.push(
        new ConfigurationError(`withMaxConcurrentCallsPerServer(${limit}): use a whole number >= 1.`),
      );
    }
    const servers: TeamSpec['servers'][number][] = [];
    const seen = new Map<string, number>();
    for (const pending of this.#servers) {
      const config = { ...pending.config };
      const base = String(config.name);
      const count = (seen.get(base) ?? 0) + 1;
      seen.set(base, count);
      if (count > 1) {
        if (pending.explicitName) {
          problems.push(
            new ConfigurationError(`Duplicate server name "${base}": give each server a unique name.`, {
              server: base,
            }),
          );
          continue;
        }
        config.name = `${base}-${count}`;
      }
      const own = pending.maxConcurrentCalls;
      if (own !== undefined && !(Number.isInteger(own) && own >= 1)) {
        problems.push(
          new ConfigurationError(`Server "${base}": maxConcurrentCalls ${own} must be a whole number >= 1.`, {
            server: base,
          }),
        );
        continue;
      }
      try {
        servers.push({
          config: parseServerConfig(config),
          optional: pending.optional,
          ...(own !== undefined ? { maxConcurrentCalls: own } : {}),
        });
      } catch (e) {
        problems.push(e instanceof ConfigurationError ? e : new ConfigurationError(String(e)));
      }
    }
    if (problems.length === 1) throw problems[0];
    if (problems.length > 1) {
      throw new ConfigurationError(
        `Team "${this.#name}" has ${problems.length} configuration problems:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
      );
    }
    return {
      name: this.#name,
      model: this.#model!,
      servers,
      prompt: this.#prompt,
      skipFailedServers: this.#skipFailed,
      extraTools: this.#tools,
      maxIterations: this.#maxIterations,
      turnTimeoutMs: this.#timeouts.turnMs ?? DEFAULT_TURN_TIMEOUT_MS,
      toolTimeoutMs: this.#timeouts.toolMs,
      maxConcurrentCallsPerServer: this.#maxConcurrentCallsPerServer,
      retry: this.#retry,
      breaker: this.#breaker,
      connection: this.#connection,
      toolErrorsTripBreaker: this.#toolErrorsTripBreaker,
      clock: this.#clock,
      random: this.#random,
      logger: this.#logger,
      inspect: this.#inspect,
      serverRequests: (server) => this.#serverRequests(server),
    };
  }

  #serverRequests(server: string): Pick<ServerConnectionOptions, 'elicitation' | 'sampling' | 'requestMeta'> {
    const elicitation = this.#elicitation.get(server) ?? this.#elicitation.get('*');
    const sampling = this.#sampling.get(server);
    const requestMeta = this.#requestMeta;
    return {
      ...(elicitation ? { elicitation } : {}),
      ...(requestMeta ? { requestMeta } : {}),
      ...(sampling && this.#model ? { sampling: createSamplingHandler(this.#model, sampling) } : {}),
    };
  }

  #add(
    config: Record<string, unknown>,
    optional: boolean | undefined,
    explicitName: boolean,
    maxConcurrentCalls?: number,
  ): void {
    this.#servers.push({ config, optional: optional ?? false, explicitName, maxConcurrentCalls });
  }

  #addUrl(transport: 'sse' | 'streamableHttp', url: string, options: UrlServerOptions): this {
    const {
      name,
      timeout,
      connectTimeout,
      optional,
      headers,
      env,
      authProvider,
      protocolVersion,
      maxConcurrentCalls,
    } = options;
    this.#add(
      {
        transport,
        name: name ?? deriveNameFromUrl(url),
        url,
        ...(headers ? { headers: expandHeaders(headers, env ?? {}) } : {}),
        ...(authProvider ? { authProvider } : {}),
        ...(protocolVersion ? { protocolVersion } : {}),
        ...timeouts(timeout, connectTimeout),
      },
      optional,
      name !== undefined,
      maxConcurrentCalls,
    );
    return this;
  }
}

function timeouts(timeout: number | undefined, connectTimeout: number | undefined): Record<string, number> {
  return {
    ...(timeout !== undefined ? { requestTimeoutMs: timeout * 1000 } : {}),
    ...(connectTimeout !== undefined ? { connectTimeoutMs: connectTimeout * 1000 } : {}),
  };
}

/** `@modelcontextprotocol/server-filesystem` -> `filesystem`; `/usr/bin/my-server` -> `my-server`. */
function deriveName(command: string, args: readonly string[]): string {
  const pkg = args.find((a) => !a.startsWith('-') && /[a-z]/i.test(a)) ?? command;
  const last =
    (typeof command === 'string' && args.length === 0 ? command : pkg).split(/[\\/]/).pop() ?? 'server';
  const name = last
    .replace(/^(mcp-)?server-/, '')
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 64);
  return name || 'server';
}

function deriveNameFromUrl(url: string): string {
  try {
    return new URL(url).hostname.split('.')[0]?.replace(/[^A-Za-z0-9_-]/g, '-') || 'remote';
  } catch {
    return 'remote';
  }
}

function expandHeaders(
  headers: Record<string, string>,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => env[name] ?? '');
  }
  return out;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
