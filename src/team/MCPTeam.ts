import { setMaxListeners } from 'node:events';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseMessage, BaseMessageLike } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { GetPromptResult, Prompt, ReadResourceResult, Resource } from '@modelcontextprotocol/client';
import type { Observable } from 'rxjs/internal/Observable';
import type { Subscription } from 'rxjs/internal/Subscription';
import {
  type Actor,
  type AnyActorLogic,
  createActor,
  fromPromise,
  type InspectionEvent,
  type Observer,
  waitFor,
} from 'xstate';
import { circuitBreakerMachineOf } from '../../machines/circuitBreaker.machine.js';
import { type TeamMemberSrc, type TeamServerStatus, teamMachine } from '../../machines/team.machine.js';
import { connectionLogic } from '../actors/connectionLogic.js';
import * as mcp from '../actors/resourcesAndPrompts.js';
import type { CallRetryOptions, ServerConnectionOptions } from '../actors/ServerConnection.js';
import { ServerConnection } from '../actors/ServerConnection.js';
import type { SpawnChild } from '../actors/SpawnChild.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../config/defaults.js';
import type { ServerConfig } from '../config/serverConfig.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { type ServerFailure, TeamBuildError } from '../errors/TeamBuildError.js';
import { EventBus, ofType, summarizeError } from '../events/EventBus.js';
import type { ConnectionStateName, ErrorSummary, RuntimeEvent } from '../events/RuntimeEvent.js';
// rxjs loads when a team is built (its availability stream), not on import (rxjsOnUse.ts).
import { combineLatest, distinctUntilChanged, map } from '../events/rxjsOnUse.js';
import { loadLangChain } from '../llm/loadLangChain.js';
import { createLogger, type Logger } from '../observe/logger.js';
import type { Outcome } from '../policy/Outcome.js';
import type { Random } from '../resilience/backoff.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
import { Semaphore } from '../resilience/Semaphore.js';
import type { TeamStep } from './agentLoop.js';
import { maxConcurrentCallsFor } from './callLimits.js';
import type { McpStructuredTool } from './createMcpTool.js';
import type { McpToolSet } from './McpToolSet.js';
import type { ToolRegistry } from './ToolRegistry.js';
import type { TeamAnswer, TeamRunOptions, TeamRunTask } from './teamRun.js';

export { finalAnswer } from './answerText.js';

/**
 * The LangChain-backed parts of a team (agent loop, tool registry, runner), loaded when the first
 * team is built: importing azcore loads no @langchain/core, an optional peer (see loadLangChain).
 */
type TeamParts = typeof import('./langChainParts.js');

/** Everything a team is made of; {@link MCPTeamBuilder} fills it in. */
export interface TeamSpec {
  name: string;
  model: BaseChatModel;
  /** `maxConcurrentCalls`: the server's own limit of concurrent tool calls, if it sets one. */
  servers: readonly { config: ServerConfig; optional: boolean; maxConcurrentCalls?: number | undefined }[];
  prompt: string;
  skipFailedServers: boolean;
  extraTools: readonly StructuredToolInterface[];
  maxIterations: number;
  turnTimeoutMs: number;
  toolTimeoutMs: number | undefined;
  /** Concurrent tool calls per server for servers without their own; default by transport (callLimits.ts). */
  maxConcurrentCallsPerServer: number | undefined;
  retry: CallRetryOptions | undefined;
  breaker: ServerConnectionOptions['breaker'];
  connection: ServerConnectionOptions['connection'];
  toolErrorsTripBreaker: boolean;
  clock: Clock | undefined;
  random: Random | undefined;
  logger: Logger | undefined;
  inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /** Per-server options of the client side: answers to server requests, request `_meta`, by server name. */
  serverRequests?:
    | ((server: string) => Pick<ServerConnectionOptions, 'elicitation' | 'sampling' | 'requestMeta'>)
    | undefined;
}

/**
 * Per-invocation options: a LangChain `RunnableConfig` (its `callbacks` see the turn as a chain run
 * with the model and tool runs inside; `configurable` reaches every tool; `signal` cancels; `timeout`
 * is the turn's budget), plus `timeoutMs`.
 */
export interface InvokeOptions extends RunnableConfig {
  /** Budget of the whole turn (every model call and tool call inside it); default from the builder. */
  timeoutMs?: number;
}

/** Options of the team's resource and prompt requests. */
export interface TeamRequestOptions {
  signal?: AbortSignal | undefined;
  /** Budget in ms (default: the server's request timeout, else 60 s). */
  timeoutMs?: number | undefined;
}

/** One server as `getServerStates()` reports it. */
export interface ServerStatus {
  state: ConnectionStateName;
  breaker: string;
  available: boolean;
  optional: boolean;
  tools: number;
  lastError: ErrorSummary | undefined;
}

/** Flattened team state name, e.g. `ready`, `degraded`, `running`. */
function teamStateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const active = (value as { active?: { availability: string; activity: string } }).active;
  if (!active) return Object.keys(value as object)[0] ?? 'unknown';
  return active.activity === 'running' ? 'running' : active.availability;
}

/** The logic the team machine's member actors are provided with, by the name it declares them. */
const MEMBER_SRC = new Map<AnyActorLogic, TeamMemberSrc>([
  [connectionLogic(), 'server'],
  [circuitBreakerMachineOf(), 'breaker'],
]);

/**
 * An agent team over MCP servers: an XState actor supervising one connection actor per server
 * (system ids `server:<name>`), a LangChain model and a ReAct loop that only offers the tools of
 * servers that are available now. Build one with {@link MCPTeamBuilder}.
 *
 * @example
 * const team = await new MCPTeamBuilder('research').withLlm(model).withMcpServer('mcp-server-memory', []).build();
 * const { messages } = await team.invoke({ messages: [new HumanMessage('What do you remember?')] });
 * await team.cleanup();
 */
export class MCPTeam {
  readonly name: string;
  readonly actor: Actor<typeof teamMachine>;
  /** Every event of the team and its servers. */
  readonly events$: Observable<RuntimeEvent>;
  readonly #spec: TeamSpec;
  readonly #bus = new EventBus();
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #servers = new Map<string, ServerConnection>();
  readonly #optional = new Map<string, boolean>();
  readonly #limiters = new Map<string, Semaphore>();
  /** Optional servers `build()` did not wait for that have not joined yet. */
  readonly #joining = new Set<string>();
  #built = false;
  #joinWatch: Subscription | undefined;
  readonly #registry: ToolRegistry;
  readonly #toolSet: McpToolSet;
  #cleaned: Promise<void> | undefined;

  /** Starts connecting every server; resolves when the team is built (see {@link MCPTeamBuilder.build}). */
  static async create(spec: TeamSpec): Promise<MCPTeam> {
    const parts = await loadLangChain(`Building team "${spec.name}"`, () => import('./langChainParts.js'));
    const team = new MCPTeam(spec, parts);
    const snapshot = await waitFor(team.actor, (s) => s.value !== 'building');
    if (snapshot.value === 'buildFailed') {
      const cause = team.#buildError;
      await team.cleanup();
      throw cause ?? classifyError(snapshot.context.buildError);
    }
    return team;
  }

  #buildError: Error | undefined;
  #membersCreated: () => void = () => {};
  #members: Promise<void> = Promise.resolve();

  readonly #parts: TeamParts;

  private constructor(spec: TeamSpec, parts: TeamParts) {
    this.#spec = spec;
    this.#parts = parts;
    this.name = spec.name;
    this.#clock = spec.clock ?? systemClock;
    const logger = spec.logger ?? createLogger();
    this.#log = logger.child({ team: spec.name });
    this.events$ = this.#bus.events$;
    const initial: Record<string, TeamServerStatus> = {};
    for (const s of spec.servers) initial[s.config.name] = { available: false, optional: s.optional };
    this.actor = createActor(
      teamMachine.provide({
        actors: {
          connectAll: fromPromise(() => this.#connectAll()),
          closeAll: fromPromise(async () => {
            await Promise.all([...this.#servers.values()].map((s) => s.close()));
          }),
          server: connectionLogic(),
          breaker: circuitBreakerMachineOf(),
        },
      }),
      {
        input: { team: spec.name, servers: initial },
        clock: this.#clock,
        systemId: `team:${spec.name}`,
        ...(spec.inspect ? { inspect: spec.inspect } : {}),
      },
    );
    const membersCreated = new Promise<void>((resolve) => {
      this.#membersCreated = resolve;
    });
    this.#members = membersCreated;
    this.#subscribeToState();
    this.actor.start();
    for (const { config, optional } of spec.servers) {
      const server = new ServerConnection({
        config,
        spawn: this.#spawn,
        bus: this.#bus,
        logger,
        clock: this.#clock,
        ...(spec.random ? { random: spec.random } : {}),
        ...(spec.retry ? { retry: spec.retry } : {}),
        ...(spec.breaker ? { breaker: spec.breaker } : {}),
        ...(spec.connection ? { connection: spec.connection } : {}),
        toolErrorsTripBreaker: spec.toolErrorsTripBreaker,
        ...spec.serverRequests?.(config.name),
      });
      this.#servers.set(config.name, server);
      this.#optional.set(config.name, optional);
      this.#watch(server);
    }
    // A listing is part of coming online: its budget is the server's connect timeout, not the
    // request timeout, so a server that never answers tools/list costs a turn at most that.
    const connectBudget = new Map(spec.servers.map((s) => [s.config.name, connectBudgetOf(s.config)]));
    this.#registry = new parts.ToolRegistry([...this.#servers.values()], {
      toolTimeoutMs: spec.toolTimeoutMs,
      listBudgetMs: (server) => connectBudget.get(server) ?? DEFAULT_CONNECT_TIMEOUT_MS,
      clock: this.#clock,
      onListed: (server) => this.#listed(server),
      // An optional server still joining lists in the background: it never delays a turn.
      turnWaitsFor: (server) => !this.#built || !this.#joining.has(server),
    });
    this.#toolSet = new parts.McpToolSet({
      servers: [...this.#servers.values()],
      registry: this.#registry,
      events$: this.#bus.events$,
      toolTimeoutMs: spec.toolTimeoutMs,
      limiterFor: (server) => this.#limiterFor(server),
    });
    this.#membersCreated();
  }

  /** Adopts a server's actors as children of the team actor (system ids `server:<name>`, `breaker:<name>`). */
  readonly #spawn: SpawnChild = (logic, { id, input }) => {
    const src = MEMBER_SRC.get(logic);
    if (!src) throw new Error(`team ${this.name}: ${id} is no member actor the team machine declares`);
    this.actor.send({ type: 'SPAWN', src, id, input });
    const child = this.actor.getSnapshot().children[id];
    if (!child) throw new Error(`team ${this.name}: could not spawn ${id}`);
    return child as never;
  };

  #subscribeToState(): void {
    let last = 'building';
    this.actor.subscribe({
      next: (snapshot) => {
        const to = teamStateName(snapshot.value);
        if (to === last) return;
        this.#log.info({ operation: 'team', from: last, to }, `${last} -> ${to}`);
        this.#bus.emit({
          type: 'team.state',
          team: this.name,
          from: last,
          to,
          at: this.#clock.now(),
          source: `team:${this.name}`,
        });
        last = to;
      },
      error: (e) => this.#log.error({ err: String(e) }, 'team actor crashed'),
    });
  }

  /** Flattened state: building, ready, degraded, running, buildFailed, closing, closed. */
  get state(): string {
    return teamStateName(this.actor.getSnapshot().value);
  }

  /**
   * Runs one turn of the agent loop and returns the conversation with the model's and tools'
   * messages appended (the seed's `team({"messages": [...]})`). Tool failures become ToolMessages
   * the model reads; the turn itself fails only on its deadline, an abort, or a model error.
   * `options` is a LangChain `RunnableConfig` (callbacks, configurable, signal) plus `timeoutMs`.
   */
  async invoke(
    input: { messages: BaseMessageLike[] },
    options: InvokeOptions = {},
  ): Promise<{ messages: BaseMessage[] }> {
    let messages: BaseMessage[] = [];
    for await (const step of this.stream(input, options)) if (step.type === 'final') messages = step.messages;
    return { messages };
  }

  /**
   * Runs one task and resolves one {@link Outcome}, never a throw: the team's one runner.
   * `success`: the turn answered with every server available and no tool call failing; `degraded`:
   * it answered while a server was unavailable or a tool call failed (source `team`, `reasons` name
   * them), or a fallback of `options.policy` answered (its source); `failed`: the typed `error` and
   * its `reasons`. `value` is a {@link TeamAnswer} (final text, messages, failed tool calls) or what
   * a fallback answered. `options.policy` wraps each turn (default: one attempt, the team's turn
   * budget); retries report `call.retried` on {@link events$}, and budgets and backoff waits run on
   * the team's clock.
   *
   * @example
   * const outcome = await team.run('Summarize the report', {
   *   policy: wrap(fallback(staticValue('Try again later.')), retry({ maxAttempts: 2 }), timeout(60_000)),
   * });
   * if (outcome.status === 'failed') console.error(outcome.reasons.join('\n'));
   * else console.log(outcome.source, outcome.status, outcome.reasons ?? []);
   */
  run<A = never>(task: TeamRunTask, options: TeamRunOptions<A> = {}): Promise<Outcome<TeamAnswer | A>> {
    return this.#parts.runTeamTurn(
      {
        name: this.name,
        clock: this.#clock,
        events: this.#bus,
        invoke: (input, o) => this.invoke(input, o),
        servers: () => this.getServerStates(),
      },
      task,
      options,
    );
  }

  /** The same loop as {@link invoke}, one {@link TeamStep} at a time (model turns, tool results, final). */
  async *stream(
    input: { messages: BaseMessageLike[] },
    options: InvokeOptions = {},
  ): AsyncGenerator<TeamStep> {
    const state = this.state;
    if (state === 'closing' || state === 'closed' || state === 'buildFailed') {
      throw new ConnectionError(`Team "${this.name}" is ${state}: it cannot run.`, {
        code: 'CLOSED',
        retryable: false,
        hint: 'Build a new team.',
      });
    }
    const deadline = Deadline.after(options.timeoutMs ?? options.timeout ?? this.#spec.turnTimeoutMs, {
      clock: this.#clock,
      signal: options.signal,
      step: 'turn',
    });
    // Every call in flight in the turn listens to its signal (the SDK's cancellation): a batch of
    // more than ten is expected, not a listener leak to warn about.
    setMaxListeners(0, deadline.signal);
    // The turn is one chain run for LangChain callbacks; model and tool runs are its children.
    const { agentLoop, coerceMessageLikeToMessage, getCallbackManagerForConfig } = this.#parts;
    const run = await (await getCallbackManagerForConfig(options))?.handleChainStart(
      { lc: 1, type: 'not_implemented', id: ['azcore', 'MCPTeam'] },
      { messages: input.messages },
      options.runId,
      undefined,
      undefined,
      undefined,
      options.runName ?? `MCPTeam:${this.name}`,
    );
    let final: BaseMessage[] | undefined;
    let failed = false;
    this.actor.send({ type: 'RUN_STARTED' });
    try {
      for await (const step of agentLoop({
        model: this.#spec.model,
        prompt: this.#spec.prompt,
        messages: input.messages.map((m) => coerceMessageLikeToMessage(m)),
        // No promise (and no await) on a turn whose servers all have their tool lists.
        liveTools: (d) =>
          this.#registry.needsRefresh()
            ? this.#registry.refresh(d).then(() => this.#registry.live())
            : this.#registry.live(),
        extraTools: this.#spec.extraTools,
        maxIterations: this.#spec.maxIterations,
        deadline,
        clock: this.#clock,
        limiterFor: (server) => this.#limiterFor(server),
        callbacks: run?.getChild(),
        configurable: options.configurable,
        // Model turns are events on the team's stream, like tool calls (model.call.*).
        events: { bus: this.#bus, source: `team:${this.name}` },
      })) {
        if (step.type === 'final') final = step.messages;
        yield step;
      }
    } catch (e) {
      failed = true;
      const error = classifyError(e, { signal: deadline.signal });
      await run?.handleChainError(error);
      throw error;
    } finally {
      deadline.dispose();
      this.actor.send({ type: 'RUN_FINISHED' });
      if (!failed) await run?.handleChainEnd({ messages: final ?? [] });
    }
  }

  /**
   * The MCP tools that can be called now, as LangChain tools for an agent of one's own (LangGraph
   * `createReactAgent`, `ToolNode`), optionally of some servers only; like
   * `MultiServerMCPClient.getTools(...servers)`. Each runs through its server's breaker, retry and
   * deadline; a tool whose server went down fails at once with the typed error as its result, and
   * works again after the reconnect. Re-read it (or watch {@link tools$}) to follow the live set.
   *
   * @example
   * const agent = createReactAgent({ llm, tools: await team.getTools() });
   */
  getTools(...servers: string[]): Promise<McpStructuredTool[]> {
    return this.#toolSet.getTools(...servers);
  }

  /** The tools of {@link getTools} now and after every change (a server down or back, a new listing). */
  get tools$(): Observable<McpStructuredTool[]> {
    return this.#toolSet.tools$;
  }

  /** Calls `listener` with the new tool list whenever it changes; returns the unsubscribe function. */
  onToolsChanged(listener: (tools: StructuredToolInterface[]) => void): () => void {
    return this.#toolSet.onToolsChanged(listener);
  }

  /**
   * The resources of every connected server (or of `servers`), by server; `[]` for a server without
   * the capability. Listing all servers, one that is down or fails is left out (and logged); a server
   * named explicitly that fails rejects with the typed error.
   */
  listResources(...servers: string[]): Promise<Record<string, Resource[]>> {
    return this.#perServer('resources', servers, (s, o) => mcp.listResources(s, o));
  }

  /** The contents of one resource of `server`, through its breaker, retry and deadline. */
  async readResource(
    server: string,
    uri: string,
    options: TeamRequestOptions = {},
  ): Promise<ReadResourceResult> {
    return mcp.readResource(this.#serverNamed(server), uri, this.#requestOptions(server, options));
  }

  /** The prompts of every connected server (or of `servers`), by server; as {@link listResources}. */
  listPrompts(...servers: string[]): Promise<Record<string, Prompt[]>> {
    return this.#perServer('prompts', servers, (s, o) => mcp.listPrompts(s, o));
  }

  /** One prompt of `server`, filled with `args`, through its breaker, retry and deadline. */
  async getPrompt(
    server: string,
    name: string,
    args: Record<string, string> = {},
    options: TeamRequestOptions = {},
  ): Promise<GetPromptResult> {
    return mcp.getPrompt(this.#serverNamed(server), name, args, this.#requestOptions(server, options));
  }

  async #perServer<T>(
    what: string,
    names: readonly string[],
    list: (server: ServerConnection, options: mcp.McpRequestOptions) => Promise<T[]>,
  ): Promise<Record<string, T[]>> {
    const explicit = names.length > 0;
    const servers = explicit
      ? names.map((n) => this.#serverNamed(n))
      : [...this.#servers.values()].filter((s) => s.available);
    const out: Record<string, T[]> = {};
    await Promise.all(
      servers.map(async (s) => {
        try {
          out[s.name] = await list(s, this.#requestOptions(s.name, {}));
        } catch (e) {
          if (explicit) throw e;
          this.#log.warn(
            { server: s.name, err: classifyError(e).toJSON() },
            `listing ${what} failed; left out`,
          );
        }
      }),
    );
    return out;
  }

  #serverNamed(name: string): ServerConnection {
    const server = this.#servers.get(name);
    if (server) return server;
    throw new ConnectionError(`Team "${this.name}" has no server "${name}".`, {
      server: name,
      code: 'UNKNOWN_SERVER',
      retryable: false,
      hint: `Servers: ${[...this.#servers.keys()].join(', ') || 'none'}.`,
    });
  }

  #requestOptions(server: string, options: TeamRequestOptions): mcp.McpRequestOptions {
    const config = this.#spec.servers.find((s) => s.config.name === server)?.config;
    return {
      timeout: options.timeoutMs ?? config?.requestTimeoutMs,
      signal: options.signal,
      bus: this.#bus,
      clock: this.#clock,
    };
  }

  /** Names of every tool offered to the model now: extra tools plus live MCP tools. */
  getToolNames(): string[] {
    return [...this.#spec.extraTools.map((t) => t.name), ...this.getMcpToolNames()];
  }

  /** Names of the MCP tools offered now (`<server>__<tool>`), leaving out unavailable servers. */
  getMcpToolNames(): string[] {
    return this.#registry.live().tools.map((t) => t.name);
  }

  /** Number of servers connected now (ready or degraded). */
  getMcpServerCount(): number {
    return [...this.#servers.values()].filter((s) => s.state === 'ready' || s.state === 'degraded').length;
  }

  /** Connection, breaker and tool status of every server. */
  getServerStates(): Record<string, ServerStatus> {
    const out: Record<string, ServerStatus> = {};
    for (const [name, s] of this.#servers) {
      const lastError = s.lastError;
      out[name] = {
        state: s.state,
        breaker: s.breaker.state,
        available: s.available,
        optional: this.#optional.get(name) ?? false,
        tools: s.cachedTools?.length ?? 0,
        // Scrubbed like events: a hostile server may echo a secret of its config in its error text.
        lastError: lastError ? this.#bus.redactor.redactDeep(summarizeError(lastError)) : undefined,
      };
    }
    return out;
  }

  /** The connection of one server, for direct calls, events and inspection. */
  getServer(name: string): ServerConnection | undefined {
    return this.#servers.get(name);
  }

  /** Closes every server and kills every child process. Idempotent; safe after a failed build. */
  cleanup(): Promise<void> {
    this.#cleaned ??= (async () => {
      if (this.actor.getSnapshot().status === 'active') {
        this.actor.send({ type: 'CLOSE' });
        await waitFor(this.actor, (s) => s.status === 'done');
      }
      await Promise.all([...this.#servers.values()].map((s) => s.close()));
      // Releases the compiled input schemas of the registry's tools (when the registry can).
      (this.#registry as { dispose?: () => void }).dispose?.();
      this.actor.stop();
      this.#bus.complete();
    })();
    return this.#cleaned;
  }

  /**
   * Which servers `build()` waits for: every server, unless `skipFailedServers(true)` lets the
   * optional ones fail; then only the others (the required ones), and the optional ones join when
   * they connect. A team whose servers are all optional waits for every first attempt, since it has
   * nothing else to wait for.
   */
  #awaitedAtBuild(server: ServerConnection): boolean {
    if (!this.#spec.skipFailedServers) return true;
    if (!this.#spec.servers.some((s) => !s.optional)) return true;
    return !(this.#optional.get(server.name) ?? false);
  }

  async #connectAll(): Promise<Record<string, TeamServerStatus>> {
    await this.#members;
    const all = [...this.#servers.values()];
    const awaited = all.filter((s) => this.#awaitedAtBuild(s));
    for (const s of all) if (!awaited.includes(s)) this.#joinLater(s);
    // build() is bounded by the connect budget: connecting and the first tool listings together.
    const budget = Math.max(0, ...awaited.map((s) => connectBudgetOf(this.#configOf(s.name))));
    const build = Deadline.after(budget, { clock: this.#clock, step: 'build' });
    const results = await Promise.allSettled(awaited.map((s) => s.start()));
    const failures: ServerFailure[] = [];
    results.forEach((r, i) => {
      const server = awaited[i]!;
      if (r.status === 'rejected') {
        failures.push({
          server: server.name,
          optional: this.#optional.get(server.name) ?? false,
          error: classifyError(r.reason, { server: server.name }),
        });
      }
    });
    const fatal = this.#spec.skipFailedServers ? failures.filter((f) => !f.optional) : failures;
    if (fatal.length > 0) {
      build.dispose();
      this.#buildError = new TeamBuildError(this.name, failures);
      throw this.#buildError;
    }
    for (const f of failures)
      this.#log.warn({ err: f.error.toJSON() }, `skipping server ${f.server}; it keeps reconnecting`);
    try {
      // Lists every server up now, optional ones that connected in time included.
      await this.#registry.refresh(build);
    } finally {
      build.dispose();
    }
    this.#built = true;
    const status: Record<string, TeamServerStatus> = {};
    for (const s of all) {
      status[s.name] = { available: s.available, optional: this.#optional.get(s.name) ?? false };
      // Up in time: part of the team from the start, nothing to announce.
      if (s.cachedTools) this.#joining.delete(s.name);
    }
    if (this.#joining.size === 0) this.#joinWatch?.unsubscribe();
    return status;
  }

  /**
   * Starts an optional server that `build()` does not wait for. It joins the team (event
   * `team.server.joined`) once connected with its tools listed, after the build; if it is up before
   * the build resolves, it is simply part of the team.
   */
  #joinLater(server: ServerConnection): void {
    this.#joining.add(server.name);
    // A list_changed may list a server's tools outside the registry. Watched only while someone has
    // to join: a team with a subscriber on its bus builds every call's events.
    this.#joinWatch ??= this.#bus.events$
      .pipe(ofType('tools.changed'))
      .subscribe((e) => this.#listed(e.server));
    server.start().catch((e: unknown) => {
      if (this.#cleaned) return;
      const error = classifyError(e, { server: server.name });
      this.#log.warn({ err: error.toJSON() }, `skipping server ${server.name}; it keeps reconnecting`);
    });
  }

  /** A server's tools were listed (by the registry, or after a list_changed). */
  #listed(server: string): void {
    if (this.#built && this.#joining.has(server)) this.#joined(server);
  }

  #joined(server: string): void {
    this.#joining.delete(server);
    if (this.#joining.size === 0) this.#joinWatch?.unsubscribe();
    const tools = this.#registry.live().capabilities.find((c) => c.server === server)?.tools.length ?? 0;
    this.#log.info({ operation: 'team', server, tools }, `server ${server} joined`);
    this.#bus.emit({
      type: 'team.server.joined',
      team: this.name,
      server,
      tools,
      at: this.#clock.now(),
      source: `team:${this.name}`,
    });
  }

  #configOf(name: string): ServerConfig {
    return this.#spec.servers.find((s) => s.config.name === name)!.config;
  }

  /** Keeps the team machine's availability and the tool cache in step with each server. */
  #watch(server: ServerConnection): void {
    combineLatest([server.state$, server.breaker.state$])
      .pipe(
        map(() => server.available),
        distinctUntilChanged(),
      )
      .subscribe((available) => {
        this.actor.send({ type: 'SERVER_STATUS', server: server.name, available });
        if (available && !server.cachedTools) this.#registry.prefetch(server.name);
      });
  }

  #limiterFor(server: string): Semaphore {
    let limiter = this.#limiters.get(server);
    if (!limiter) {
      const spec = this.#spec.servers.find((s) => s.config.name === server);
      const transport = this.#servers.get(server)?.transport ?? spec?.config.transport ?? 'stdio';
      limiter = new Semaphore(
        maxConcurrentCallsFor(transport, spec?.maxConcurrentCalls, this.#spec.maxConcurrentCallsPerServer),
      );
      this.#limiters.set(server, limiter);
    }
    return limiter;
  }
}

function connectBudgetOf(config: ServerConfig): number {
  return config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
}
