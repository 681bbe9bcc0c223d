import { distinctUntilChanged, filter, from, map, type Observable } from 'rxjs';
import { type Actor, createActor, fromPromise, waitFor } from 'xstate';
import { type HealthChecksOutput, healthMachine } from '../../machines/health.machine.js';
import { CancelledError } from '../errors/CancelledError.js';
import { EventBus } from '../events/EventBus.js';
import type { HealthCheckResult, HealthStatusName, RuntimeEvent } from '../events/RuntimeEvent.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import {
  type CustomHealthCheck,
  type HealthProbe,
  type HealthTarget,
  probeAsCheck,
  serversCheck,
  timedCheck,
  toolsCheck,
} from './healthChecks.js';
import type { Logger } from './logger.js';

/** Options of {@link HealthChecker}. */
export interface HealthCheckerOptions {
  /** Pause between periodic checks once `start()`ed, on `clock`. 0 checks only on demand. Default 60 000. */
  intervalMs?: number | undefined;
  /** A cheap end-to-end operation (the guide's test execution), run as the `execution` check. */
  probe?: HealthProbe | undefined;
  /** Budget of the probe and of each custom check. Default 10 000 ms. */
  probeTimeoutMs?: number | undefined;
  /** A probe slower than this warns (degraded). Default: half of `probeTimeoutMs`. */
  slowProbeMs?: number | undefined;
  /** Fewer MCP tools than this fails the `tools` check. Default 1. */
  minTools?: number | undefined;
  /** More named checks of your own. */
  checks?: Record<string, CustomHealthCheck> | undefined;
  clock?: Clock | undefined;
  /** Where `health.checked` events go; default a bus of the checker's own. */
  bus?: EventBus | undefined;
  logger?: Logger | undefined;
}

/** One health check's result (the guide's `check_health()` dict). */
export interface HealthReport {
  target: string;
  status: HealthStatusName;
  /** Clock time the check finished (epoch ms). */
  at: number;
  durationMs: number;
  /** `tools`, `servers`, `execution` (with a probe) and your own checks. */
  checks: Record<string, HealthCheckResult>;
}

/**
 * Watches a team's health: tools offered, servers connected, and optionally a real probe call.
 * The verdict (`healthy`, `degraded`, `unhealthy`) and the schedule live in a statechart
 * (machines/health.machine.ts) that runs on the injected clock; each check emits `health.checked`.
 *
 * @example
 * const health = new HealthChecker(team, {
 *   intervalMs: 60_000,
 *   probe: (signal) => team.getServer('files')!.callTool('list_allowed_directories', {}, { signal }),
 * }).start();
 * health.events$.subscribe((e) => e.type === 'health.checked' && console.log(e.status));
 * if (!(await health.isHealthy())) console.warn(health.lastReport?.checks);
 */
export class HealthChecker {
  readonly actor: Actor<typeof healthMachine>;
  /** `health.checked` events (every event of the bus, when a shared `bus` was given). */
  readonly events$: Observable<RuntimeEvent>;
  /** `unknown`, then each new verdict. */
  readonly status$: Observable<HealthStatusName | 'unknown'>;
  readonly #target: HealthTarget;
  readonly #options: HealthCheckerOptions;
  readonly #clock: Clock;
  readonly #bus: EventBus;
  readonly #ownsBus: boolean;
  #checks: { checks: Record<string, HealthCheckResult>; durationMs: number } | undefined;
  #report: HealthReport | undefined;

  constructor(target: HealthTarget, options: HealthCheckerOptions = {}) {
    this.#target = target;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#ownsBus = !options.bus;
    this.#bus = options.bus ?? new EventBus();
    const source = `health:${target.name}`;
    this.events$ = this.#ownsBus
      ? this.#bus.events$
      : this.#bus.events$.pipe(filter((e) => e.source === source));
    this.actor = createActor(
      healthMachine.provide({ actors: { runChecks: fromPromise(() => this.#runChecks()) } }),
      { input: { intervalMs: options.intervalMs ?? 60_000 }, clock: this.#clock },
    );
    this.status$ = from(this.actor).pipe(
      map((s) => s.context.status),
      distinctUntilChanged(),
    );
    let completed = 0;
    this.actor.subscribe({
      next: (snapshot) => {
        const { context } = snapshot;
        if (context.completed === completed || context.status === 'unknown') return;
        completed = context.completed;
        this.#finish(context.status, source);
      },
      error: (e) =>
        options.logger?.error({ err: String(e), operation: 'health_check' }, 'health checker crashed'),
    });
    this.actor.start();
  }

  /** `unknown` until the first check finishes. */
  get status(): HealthStatusName | 'unknown' {
    return this.actor.getSnapshot().context.status;
  }

  /** The latest finished check, if any. */
  get lastReport(): HealthReport | undefined {
    return this.#report;
  }

  /** Checks now, then every `intervalMs` until {@link stop}. */
  start(): this {
    this.actor.send({ type: 'START' });
    return this;
  }

  /** Runs a check now (or joins the one running) and resolves with its report. */
  async checkHealth(): Promise<HealthReport> {
    const stopped = () =>
      new CancelledError(`The health checker of "${this.#target.name}" is stopped.`, {
        hint: 'Create a new HealthChecker to check again.',
      });
    if (this.actor.getSnapshot().status !== 'active') throw stopped();
    const seen = this.actor.getSnapshot().context.completed;
    this.actor.send({ type: 'CHECK' });
    const snapshot = await waitFor(this.actor, (s) => s.context.completed > seen || s.status !== 'active');
    const report = this.#report;
    if (!report || snapshot.status !== 'active') throw stopped();
    return report;
  }

  /** True when the latest verdict is `healthy`; checks first if nothing was checked yet. */
  async isHealthy(): Promise<boolean> {
    if (!this.#report) await this.checkHealth();
    return this.status === 'healthy';
  }

  /** Stops periodic checks and the actor. Idempotent. */
  stop(): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'STOP' });
    this.actor.stop();
    if (this.#ownsBus) this.#bus.complete();
  }

  async #runChecks(): Promise<HealthChecksOutput> {
    const started = this.#clock.now();
    const timeoutMs = this.#options.probeTimeoutMs ?? 10_000;
    const checks: Record<string, HealthCheckResult> = {
      tools: await timedCheck('tools', async () => toolsCheck(this.#target, this.#options.minTools ?? 1), {
        clock: this.#clock,
        timeoutMs,
      }),
      servers: await timedCheck('servers', async () => serversCheck(this.#target), {
        clock: this.#clock,
        timeoutMs,
      }),
    };
    const probe = this.#options.probe;
    if (probe) {
      checks.execution = await timedCheck('execution', probeAsCheck(probe), {
        clock: this.#clock,
        timeoutMs,
        slowMs: this.#options.slowProbeMs ?? timeoutMs / 2,
      });
    }
    for (const [name, check] of Object.entries(this.#options.checks ?? {})) {
      checks[name] = await timedCheck(name, async (signal) => check(signal), {
        clock: this.#clock,
        timeoutMs,
      });
    }
    this.#checks = { checks, durationMs: this.#clock.now() - started };
    return { checks };
  }

  #finish(status: HealthStatusName, source: string): void {
    const previous = this.#report?.status ?? 'unknown';
    const checks = this.#checks?.checks ?? {
      checker: { status: 'fail' as const, detail: 'The checks could not run; see the logs.' },
    };
    const at = this.#clock.now();
    const durationMs = this.#checks?.durationMs ?? 0;
    this.#checks = undefined;
    this.#report = { target: this.#target.name, status, at, durationMs, checks };
    this.#log(status, previous, checks, durationMs);
    this.#bus.emit({
      type: 'health.checked',
      at,
      source,
      target: this.#target.name,
      status,
      previous,
      checks,
      durationMs,
    });
  }

  #log(
    status: HealthStatusName,
    previous: HealthStatusName | 'unknown',
    checks: Record<string, HealthCheckResult>,
    durationMs: number,
  ): void {
    const logger = this.#options.logger;
    if (!logger) return;
    const failing = Object.entries(checks)
      .filter(([, c]) => c.status !== 'pass')
      .map(([name, c]) => `${name}: ${c.detail}`);
    const fields = {
      operation: 'health_check',
      team: this.#target.name,
      status,
      previous,
      duration_ms: durationMs,
    };
    if (status === 'healthy') logger.info(fields, `health: ${status}`);
    else if (status === 'degraded') logger.warn({ ...fields, failing }, `health: ${status}`);
    else logger.error({ ...fields, failing }, `health: ${status}`);
  }
}
