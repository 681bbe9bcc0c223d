import { merge, type Observable } from 'rxjs';
import { CircuitBreaker } from '../actors/CircuitBreaker.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { EventBus } from '../events/EventBus.js';
import type { BreakerStateName, RuntimeEvent } from '../events/RuntimeEvent.js';
import { errorFields, withErrorContext } from '../observe/errorContext.js';
import { HealthChecker, type HealthReport } from '../observe/HealthChecker.js';
import { createLogger, type Logger } from '../observe/logger.js';
import { MetricsCollector } from '../observe/metrics.js';
import type { MetricsReport } from '../observe/metricsLedger.js';
import { breaker } from '../policy/breaker.js';
import type { FallbackSource } from '../policy/FallbackSource.js';
import { fallback } from '../policy/fallback.js';
import { type Outcome, reasonsOf } from '../policy/Outcome.js';
import { definePolicy, type Policy } from '../policy/Policy.js';
import { retry } from '../policy/retry.js';
import { wrap } from '../policy/wrap.js';
import { type Backoff, jitteredBackoff } from '../resilience/backoff.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import type { MCPTeam, ServerStatus } from '../team/MCPTeam.js';
import type { TeamAnswer } from '../team/teamRun.js';
import { type AnswerStore, answerCache, openAnswerStore } from './answerCache.js';
import {
  buildProductionTeam,
  checkProductionConfig,
  type ProductionConfig,
  serversOf,
} from './productionConfig.js';

/** Per-task options of {@link ProductionMCPTeam.execute} (the first two also of {@link ProductionMCPTeam.policy}). */
export interface ProductionExecuteOptions {
  /** Retries after the first attempt, for retryable failures. Default: the config's (2). */
  maxRetries?: number | undefined;
  /** Delays between attempts. Default: exponential from 500 ms with 10% jitter, at most 10 s. */
  backoff?: Backoff | undefined;
  /** Budget of each attempt in ms. Default: the config's `timeouts.taskMs` (120 000). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
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
 * The guide's production setup as a preset: a team built from config (required servers must
 * connect, optional ones may be down), and around each task the policy
 * `wrap(fallback(cache, config.fallback), task metrics and logs, breaker(task breaker), retry)`,
 * plus metrics derived from events, a periodic health checker and structured logs. `execute(task)`
 * is `team.run(task, { policy: policy(task), signal, timeoutMs })` after a health check: it never
 * throws and resolves the team's one {@link Outcome} (`success`, `degraded` with `reasons`, or
 * `failed` with the typed `error`).
 *
 * @example
 * const prod = await ProductionMCPTeam.create({
 *   name: 'production_team',
 *   servers: { mcpServers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/data'] } } },
 *   cache: true,
 *   fallback: (task) => `Sorry, "${task}" cannot be done right now; try again in a minute.`,
 * });
 * const outcome = await prod.execute('Summarize /data/report.txt', { maxRetries: 2 });
 * if (outcome.status === 'failed') console.error(outcome.reasons.join('\n'));
 * else console.log(outcome.source, outcome.value.answer, outcome.reasons ?? []);
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
  readonly #answers: AnswerStore | undefined;
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
    const answers = openAnswerStore(config);
    try {
      const team = await withErrorContext(
        log,
        'team_build',
        () => buildProductionTeam(config, servers),
        {},
        { clock },
      );
      return new ProductionMCPTeam(config, team, answers, log, clock);
    } catch (e) {
      if (answers?.owned) await answers.store.close();
      throw e;
    }
  }

  private constructor(
    config: ProductionConfig,
    team: MCPTeam,
    answers: AnswerStore | undefined,
    log: Logger,
    clock: Clock,
  ) {
    this.#config = config;
    this.team = team;
    this.#answers = answers;
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
   * The policy of one task, outermost first: a fallback to the cached answer of the same task and
   * then to `config.fallback` (when configured; a cancellation never falls back); the
   * `task_execution` metric and log lines; the task breaker; retries of retryable failures with
   * backoff. Compose it with your own: `prod.team.run(task, { policy: wrap(validate(...), prod.policy(task)) })`.
   *
   * @example const outcome = await prod.team.run(task, { policy: prod.policy(task, { maxRetries: 0 }), timeoutMs: 30_000 });
   */
  policy(
    task: string,
    options: Pick<ProductionExecuteOptions, 'maxRetries' | 'backoff'> = {},
  ): Policy<TeamAnswer> {
    const maxRetries = options.maxRetries ?? this.#config.maxRetries ?? 2;
    const live = wrap(
      this.#measured(),
      breaker(this.breaker),
      retry({
        maxAttempts: maxRetries + 1,
        backoff: options.backoff ?? jitteredBackoff({ baseMs: 500, maxMs: 10_000 }, this.#config.random),
        onRetry: ({ attempt, delayMs, error }) =>
          this.#log.warn(
            { operation: 'task_execution', attempt, delay_ms: delayMs, error_kind: error.kind },
            `task attempt ${attempt} failed (${error.kind}); retrying in ${Math.round(delayMs)} ms`,
          ),
      }),
    );
    const sources: FallbackSource<TeamAnswer>[] = [];
    if (this.#answers) sources.push(answerCache(this.#answers, task));
    const answerOf = this.#config.fallback;
    if (answerOf) {
      const team = this.name;
      sources.push({
        name: 'fallback',
        answer: async (error) => ({
          value: { team, answer: await answerOf(task, error), messages: [], toolFailures: [] },
        }),
      });
    }
    return sources.length > 0 ? wrap(fallback(...sources), live) : live;
  }

  /**
   * Runs a task (the guide's `execute`): checks health first when it is not known to be good, then
   * `team.run(task, { policy: this.policy(task, options), signal, timeoutMs })`. Never throws.
   * `success`: the team answered with every server up and no tool call failing; `degraded`: it
   * answered around a failed tool call or an unavailable server (source `team`), or the cache or
   * the fallback answered (source `cache` / `fallback`); `failed`: nothing answered.
   */
  async execute(task: string, options: ProductionExecuteOptions = {}): Promise<Outcome<TeamAnswer>> {
    if (this.#closed) {
      const error = new ConnectionError(`ProductionMCPTeam "${this.name}" is closed.`, {
        code: 'CLOSED',
        retryable: false,
        hint: 'Create a new one with ProductionMCPTeam.create(config).',
      });
      return { status: 'failed', error, reasons: reasonsOf([], error), attempts: [] };
    }
    if (this.health.status !== 'healthy') {
      const report = await this.health.checkHealth().catch(() => undefined);
      if (report?.status === 'unhealthy')
        this.#log.warn({ operation: 'task_execution' }, 'running a task while unhealthy');
    }
    const outcome = await this.team.run(task, {
      policy: this.policy(task, options),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    if (outcome.status === 'degraded' && outcome.source !== 'team') {
      this.#log.warn(
        {
          operation: 'task_execution',
          source: outcome.source,
          age_ms: outcome.ageMs,
          ...errorFields(outcome.error),
        },
        `answered by the ${outcome.source}`,
      );
    }
    return outcome;
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
      if (this.#answers?.owned) await this.#answers.store.close();
      await this.team.cleanup();
      this.metrics.close();
      this.#bus.complete();
    })();
    return this.#closed;
  }

  /** The live part of a task as one `task_execution` operation: a metric and log lines (start, end or failure). */
  #measured(): Policy {
    return definePolicy((work, ctx) =>
      this.metrics.recordExecution('task_execution', () =>
        withErrorContext(this.#log, 'task_execution', () => work(ctx), {}, { clock: this.#clock }),
      ),
    );
  }
}
