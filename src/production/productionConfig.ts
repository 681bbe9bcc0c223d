import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { CallRetryOptions, ServerConnectionOptions } from '../actors/ServerConnection.js';
import { parseMcpServersJson, parseServerConfig, type ServerConfig } from '../config/serverConfig.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { CacheStore } from '../fallback/CacheStore.js';
import { createChatModel } from '../llm/createChatModel.js';
import type { Logger } from '../observe/logger.js';
import type { Random } from '../resilience/backoff.js';
import type { Clock } from '../resilience/Clock.js';
import type { MCPTeam } from '../team/MCPTeam.js';
import { MCPTeamBuilder } from '../team/MCPTeamBuilder.js';

/** Configuration of a {@link ProductionMCPTeam} (the guide's config dict, typed). */
export interface ProductionConfig {
  /** Team name: 1-64 of `A-Z a-z 0-9 _ . -`. */
  name: string;
  /**
   * The servers: an `{ "mcpServers": {...} }` document (object or JSON text), or a list of server
   * configs. `optional: true` on a server lets the team start and run without it.
   */
  servers:
    | string
    | { mcpServers: Record<string, unknown> }
    | readonly (ServerConfig | Record<string, unknown>)[];
  /** The chat model. Default `createChatModel()`: the offline model (pass a ChatOpenAI or `createChatModel({ provider: 'openai' })` for OpenAI). */
  llm?: BaseChatModel | undefined;
  prompt?: string | undefined;
  /** Retries of a whole task after its first attempt, for retryable failures. Default 2. */
  maxRetries?: number | undefined;
  /** Retry of single tool calls inside a task (see `MCPTeamBuilder.withRetry`). */
  toolRetry?: CallRetryOptions | undefined;
  /** Each server's breaker: failures in a row that open it (default 5), and how long it stays open (30 s). */
  breaker?: { threshold?: number | undefined; resetTimeoutMs?: number | undefined } | undefined;
  /** The task breaker: failed tasks in a row that open it (default 5), and how long it stays open (30 s). */
  taskBreaker?: { threshold?: number | undefined; resetTimeoutMs?: number | undefined } | undefined;
  timeouts?: { taskMs?: number | undefined; toolMs?: number | undefined } | undefined;
  reconnect?: ServerConnectionOptions['connection'];
  health?:
    | {
        /** Periodic check interval; 0 checks only before tasks and in getStatus. Default 60 000. */
        intervalMs?: number | undefined;
        /** A cheap real call proving the team works (the guide's test execution, without an LLM call). */
        probe?: ((team: MCPTeam, signal: AbortSignal) => Promise<unknown>) | undefined;
        probeTimeoutMs?: number | undefined;
      }
    | undefined;
  /** Serve the last good answer to the same task when a task fails. `true`: in memory, 1 hour. */
  cache?:
    | boolean
    | {
        /** A store you own, or a SQLite file path (opened and closed by the team). Default: in memory. */
        store?: CacheStore | string | undefined;
        ttlMs?: number | undefined;
        maxEntries?: number | undefined;
      }
    | undefined;
  /** Last resort when a task fails and the cache has nothing: an answer to return as `degraded`. */
  fallback?: ((task: string, error: AzcoreError) => string | Promise<string>) | undefined;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  random?: Random | undefined;
}

/** The servers of a config, validated (every problem is a ConfigurationError naming the field). */
export function serversOf(config: ProductionConfig): ServerConfig[] {
  const { servers } = config;
  if (Array.isArray(servers)) return servers.map((s) => parseServerConfig(s));
  if (typeof servers === 'string' || (typeof servers === 'object' && servers !== null)) {
    return parseMcpServersJson(servers);
  }
  throw new ConfigurationError(
    'servers must be an { "mcpServers": {...} } document or a list of server configs, e.g. [{ "name": "files", "transport": "stdio", "command": "npx" }].',
  );
}

/** A server config back in `mcpServers` entry form, so the builder keeps every field. */
function entryOf(s: ServerConfig): Record<string, unknown> {
  const common = {
    connectTimeoutMs: s.connectTimeoutMs,
    requestTimeoutMs: s.requestTimeoutMs,
  };
  if (s.transport === 'stdio') {
    return {
      command: s.command,
      args: s.args,
      env: s.env,
      cwd: s.cwd,
      inheritEnv: s.inheritEnv,
      maxMessageBytes: s.maxMessageBytes,
      ...common,
    };
  }
  return {
    url: s.url,
    type: s.transport === 'sse' ? 'sse' : 'http',
    headers: s.headers,
    authProvider: s.authProvider,
    maxMessageBytes: s.maxMessageBytes,
    ...common,
  };
}

/** Builds the team of a production config: required servers must connect, optional ones may not. */
export function buildProductionTeam(
  config: ProductionConfig,
  servers: readonly ServerConfig[],
): Promise<MCPTeam> {
  const builder = new MCPTeamBuilder(config.name)
    .withLlm(config.llm ?? createChatModel())
    .skipFailedServers(true);
  for (const s of servers) {
    builder.withMcpServers({ mcpServers: { [s.name]: entryOf(s) } }, { optional: s.optional === true });
  }
  if (config.prompt) builder.withPrompt(config.prompt);
  if (config.toolRetry) builder.withRetry(config.toolRetry);
  const { threshold, resetTimeoutMs } = config.breaker ?? {};
  if (threshold !== undefined || resetTimeoutMs !== undefined) {
    builder.withCircuitBreaker({
      ...(threshold !== undefined ? { strategy: { kind: 'consecutive', threshold } } : {}),
      ...(resetTimeoutMs !== undefined ? { resetTimeoutMs } : {}),
    });
  }
  const { taskMs, toolMs } = config.timeouts ?? {};
  builder.withTimeouts({
    ...(taskMs !== undefined ? { turnMs: taskMs } : {}),
    ...(toolMs !== undefined ? { toolMs } : {}),
  });
  if (config.reconnect) builder.withReconnect(config.reconnect);
  if (config.logger) builder.withLogger(config.logger);
  if (config.clock) builder.withClock(config.clock, config.random);
  return builder.build();
}

/** Checks the numbers of a config before anything starts. */
export function checkProductionConfig(config: ProductionConfig): void {
  const problems: string[] = [];
  const whole = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min))
      problems.push(`${name} must be a whole number >= ${min}, got ${v}`);
  };
  whole('maxRetries', config.maxRetries, 0);
  whole('breaker.threshold', config.breaker?.threshold, 1);
  whole('taskBreaker.threshold', config.taskBreaker?.threshold, 1);
  whole('health.intervalMs', config.health?.intervalMs, 0);
  if (typeof config.cache === 'object') whole('cache.maxEntries', config.cache.maxEntries, 1);
  if (problems.length > 0) {
    throw new ConfigurationError(`ProductionMCPTeam "${config.name}": ${problems.join('; ')}.`);
  }
}
