import { HumanMessage } from '@langchain/core/messages';
import { merge, type Observable } from 'rxjs';
import { CircuitBreaker } from '../actors/CircuitBreaker.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { EventBus } from '../events/EventBus.js';
import type { BreakerStateName, RuntimeEvent } from '../events/RuntimeEvent.js';
import { withErrorContext } from '../observe/errorContext.js';
import { HealthChecker, type HealthReport } from '../observe/HealthChecker.js';
import { createLogger, type Logger } from '../observe/logger.js';
import { MetricsCollector } from '../observe/metrics.js';
import type { MetricsReport } from '../observe/metricsLedger.js';
import { type Backoff, jitteredBackoff } from '../resilience/backoff.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { retry } from '../resilience/retry.js';
import { finalAnswer, type MCPTeam, type ServerStatus } from '../team/MCPTeam.js';
import { AnswerCache } from './answerCache.js';
import {
  buildProductionTeam,
  checkProductionConfig,
  type ProductionConfig,
  serversOf,
} from './productionConfig.js';
import { buildResult, type ExecutionFacts, type ExecutionResult, readToolCalls } from './taskOutcome.js';

/** Per-task options of {@link ProductionMCPTeam.execute}. */
export interface ProductionExecuteOptions {
  /** Retries after the first attempt, for retryable failures. Default: the config's (2). */
  maxRetries?: number | undefined;
  /** Budget of each attempt in ms. Default: the config's `timeouts.taskMs` (120 000). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Delays between attempts. Default: exponential from 500 ms with 10% jitter, at most 10 s. */
  backoff?: Backoff | undefined;
}

/** What {@link ProductionMCPTeam.getStatus} reports (the guide's `get_status`). */
export interface ProductionStatus {
  name: string;
  /** Team state: ready, degraded, running, closed... */
  state: string;
  health: HealthReport | undefined;
  metrics: MetricsReport;
  /** The task breaker (the guide's `circuit_breaker`). */
  circuitBreaker: BreakerStateName;
  /** Each server's breaker. */
  breakers: Record<string, string>;
  servers: Record<string, ServerStatus>;
  /** MCP tools offered now. */
  tools: string[];
}

/**
 * The guide's production setup, working: a team built from config (required servers must connect,
 * optional ones may be down), a task-level retry and circuit breaker, metrics derived from events,
 * a periodic health checker, structured logs, and an optional answer cache and fallback. `execute`
 * never throws: it resolves with a status, the answer, and what happened.
 *
 * @example
 * const prod = await ProductionMCPTeam.create({
 *   name: 'production_team',
 *   servers: { mcpServers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/data'] } } },
 *   cache: true,
 *   fallback: (task) => `Sorry, "${task}" cannot be done right now; try again in a minute.`,
 * });
 * const result = await prod.execute('Summarize /data/report.txt', { maxRetries: 2 });
 * if (result.status !== 'success') console.warn(result.status, result.errorType, result.metadata);
 * console.log((await prod.getStatus()).health?.status);
 * await prod.close();
 */
export class ProductionMCPTeam {
  readonly team: MCPTeam;
  readonly metrics: MetricsCollector;
  readonly health: HealthChecker;
  /** Task-level breaker: opens after consecutive failed tasks, then tasks fail fast (or fall back). */
  readonly breaker: CircuitBreaker;
  /** Every event of the team, its servers, the task breaker, the health checker and task metrics. */
  readonly events$: Observable<RuntimeEvent>;
  readonly #config: ProductionConfig;
  readonly #cache: AnswerCache | undefined;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #bus = new EventBus();
  #closed: Promise<void> | undefined;

  /**
   * Validates the config, then builds the team. Rejects with a ConfigurationError naming the bad
   * field, or a TeamBuildError when a required server cannot connect.
   */
  static async create(config: ProductionConfig): Promise<ProductionMCPTeam> {
    checkProductionConfig(config);
    const servers = serversOf(config);
    const clock = config.clock ?? systemClock;
    const log = (config.logger ?? createLogger()).child({ team: config.name });
    const cache = AnswerCache.from(config, clock);
    try {
      const team = await withErrorContext(
        log,
        'team_build',
        () => buildProductionTeam(config, servers),
        {},
        { clock },
      );
      return new ProductionMCPTeam(config, team, cache, log, clock);
    } catch (e) {
      await cache?.close();
      throw e;
    }
  }

  private constructor(
    config: ProductionConfig,
    team: MCPTeam,
    cache: AnswerCache | undefined,
    log: Logger,
    clock: Clock,
  ) {
    this.#config = config;
    this.team = team;
    this.#cache = cache;
    this.#log = log;
    this.#clock = clock;
    const bus = this.#bus;
    this.metrics = new MetricsCollector({ clock, bus, source: `team:${config.name}` });
    this.metrics.observe(team.events$);
    this.breaker = new CircuitBreaker({
      id: `task:${config.name}`,
      clock,
      bus,
      strategy: { kind: 'consecutive', threshold: config.taskBreaker?.threshold ?? 5 },
      resetTimeoutMs: config.taskBreaker?.resetTimeoutMs ?? 30_000,
    });
    const probe = config.health?.probe;
    const intervalMs = config.health?.intervalMs ?? 60_000;
    this.health = new HealthChecker(team, {
      clock,
      bus,
      logger: log,
      intervalMs,
      ...(probe ? { probe: (signal: AbortSignal) => probe(team, signal) } : {}),
      ...(config.health?.probeTimeoutMs !== undefined
        ? { probeTimeoutMs: config.health.probeTimeoutMs }
        : {}),
    });
    if (intervalMs > 0) this.health.start();
    this.events$ = merge(team.events$, bus.events$);
  }

  get name(): string {
    return this.team.name;
  }

  /**
   * Runs a task (the guide's `execute`): checks health first when it is not known to be good, then
   * invokes the team through the task breaker, retrying retryable failures with backoff. A failed
   * task is answered from the cache or the fallback when configured (`degraded`), else `failed`.
   */
  async execute(task: string, options: ProductionExecuteOptions = {}): Promise<ExecutionResult> {
    const started = this.#clock.now();
    let attempts = 0;
    const finish = (facts: Pick<ExecutionFacts, 'source' | 'answer' | 'error' | 'calls'>): ExecutionResult =>
      buildResult({
        ...facts,
        servers: this.team.getServerStates(),
        circuitState: this.breaker.state,
        attempts,
        durationMs: this.#clock.now() - started,
      });
    if (this.#closed) return finish({ source: 'none', error: this.#closedError() });
    if (this.health.status !== 'healthy') {
      const report = await this.health.checkHealth().catch(() => undefined);
      if (report?.status === 'unhealthy')
        this.#log.warn({ operation: 'task_execution' }, 'running a task while unhealthy');
    }
    try {
      const messages = await this.metrics.recordExecution('task_execution', () =>
        withErrorContext(
          this.#log,
          'task_execution',
          () => this.#attempts(task, options, (n) => (attempts = n)),
          {},
          {
            clock: this.#clock,
          },
        ),
      );
      const calls = readToolCalls(messages.slice(1));
      const answer = finalAnswer(messages);
      const result = finish({ source: 'team', answer, calls });
      if (result.status === 'success') await this.#cache?.set(task, answer);
      return result;
    } catch (e) {
      return this.#recover(task, classifyError(e), finish);
    }
  }

  /** Health (checked now), metrics, breakers and tools (the guide's `get_status`). */
  async getStatus(): Promise<ProductionStatus> {
    const health = this.#closed
      ? this.health.lastReport
      : await this.health.checkHealth().catch(() => this.health.lastReport);
    const servers = this.team.getServerStates();
    return {
      name: this.name,
      state: this.team.state,
      health,
      metrics: this.metrics.getMetrics(),
      circuitBreaker: this.breaker.state,
      breakers: Object.fromEntries(Object.entries(servers).map(([name, s]) => [name, s.breaker])),
      servers,
      tools: this.team.getMcpToolNames(),
    };
  }

  /** Stops the health checker, closes the cache it opened, and closes the team. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.health.stop();
      this.breaker.stop();
      await this.#cache?.close();
      await this.team.cleanup();
      this.metrics.close();
      this.#bus.complete();
    })();
    return this.#closed;
  }

  async #attempts(task: string, options: ProductionExecuteOptions, count: (n: number) => void) {
    const maxRetries = options.maxRetries ?? this.#config.maxRetries ?? 2;
    const backoff = options.backoff ?? jitteredBackoff({ baseMs: 500, maxMs: 10_000 }, this.#config.random);
    return this.breaker.execute(() =>
      retry(
        async (attempt, signal) => {
          count(attempt);
          const invokeOptions = {
            ...(signal ? { signal } : {}),
            ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          };
          return (await this.team.invoke({ messages: [new HumanMessage(task)] }, invokeOptions)).messages;
        },
        {
          maxAttempts: maxRetries + 1,
          backoff,
          clock: this.#clock,
          signal: options.signal,
          onRetry: ({ attempt, delayMs, error }) =>
            this.#log.warn(
              { operation: 'task_execution', attempt, delay_ms: delayMs, error_kind: error.kind },
              `task attempt ${attempt} failed (${error.kind}); retrying in ${Math.round(delayMs)} ms`,
            ),
        },
      ),
    );
  }

  async #recover(
    task: string,
    error: AzcoreError,
    finish: (facts: Pick<ExecutionFacts, 'source' | 'answer' | 'error'>) => ExecutionResult,
  ): Promise<ExecutionResult> {
    const cached = await this.#cache?.get(task);
    if (cached) {
      this.#log.warn(
        { operation: 'task_execution', error_kind: error.kind, age_ms: cached.ageMs },
        'served from cache',
      );
      return finish({ source: 'cache', answer: cached.answer, error });
    }
    const fallback = this.#config.fallback;
    if (fallback) {
      try {
        const answer = await fallback(task, error);
        this.#log.warn({ operation: 'task_execution', error_kind: error.kind }, 'answered by the fallback');
        return finish({ source: 'fallback', answer, error });
      } catch (e) {
        const fallbackError = classifyError(e);
        this.#log.error(
          { operation: 'fallback', error_kind: fallbackError.kind },
          `fallback failed: ${fallbackError.message}`,
        );
      }
    }
    return finish({ source: 'none', error });
  }

  #closedError(): AzcoreError {
    return new ConnectionError(`ProductionMCPTeam "${this.name}" is closed.`, {
      code: 'CLOSED',
      retryable: false,
      hint: 'Create a new one with ProductionMCPTeam.create(config).',
    });
  }
}
