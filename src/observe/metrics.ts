import { Observable, Subject, Subscription } from 'rxjs';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { EventBus, summarizeError } from '../events/EventBus.js';
import type { RuntimeEvent } from '../events/RuntimeEvent.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { type MetricsFilter, MetricsLedger, type MetricsReport } from './metricsLedger.js';
import { type PrometheusOptions, toPrometheus } from './prometheus.js';

/** Options of {@link MetricsCollector}. */
export interface MetricsCollectorOptions {
  /** Times `recordExecution` and stamps snapshots. Default: wall clock. */
  clock?: Clock | undefined;
  /** Where `recordExecution` and `record` emit `operation.completed`; default: a bus of the collector's own. */
  bus?: EventBus | undefined;
  /** Durations kept per series for percentiles. Default 512. */
  windowSize?: number | undefined;
  /** Distinct (operation, server, tool) series before new tools fold into `tool="_other"`. Default 500. */
  maxSeries?: number | undefined;
  /** `metrics$` emits at most one snapshot per this many ms while events arrive. Default 1000. */
  throttleMs?: number | undefined;
  /** `source` of the events it emits. Default `metrics`. */
  source?: string | undefined;
}

/** One finished operation, for {@link MetricsCollector.record} (the guide's `record_execution`). */
export interface OperationOutcome {
  operation: string;
  ok: boolean;
  durationMs: number;
  /** The failure; anything thrown is classified into a typed error kind. */
  error?: unknown;
  server?: string | undefined;
  tool?: string | undefined;
}

/** Labels of a recorded execution. */
export interface ExecutionLabels {
  server?: string | undefined;
  tool?: string | undefined;
}

/**
 * Metrics derived from the event stream: per operation, server and tool, counts, success and
 * failure rates, mean/p50/p95/p99 durations over a bounded window, errors by kind, retries and
 * rejections; per server reconnects, per breaker openings; the latest health verdict. Feed it any
 * `Observable<RuntimeEvent>` (a team's `events$`); measure your own work with `recordExecution`,
 * which emits `operation.completed` events on the collector's bus rather than counting by hand.
 *
 * @example
 * const metrics = new MetricsCollector();
 * metrics.observe(team.events$);
 * await metrics.recordExecution('team_execution', () => team.invoke({ messages }));
 * const { total } = metrics.getMetrics({ operation: 'team_execution' });
 * console.log(`${(total.successRate * 100).toFixed(0)}% ok, p95 ${total.durationMs.p95} ms`);
 */
export class MetricsCollector {
  /** The bus `recordExecution` emits on; the collector observes it. */
  readonly bus: EventBus;
  /**
   * The current snapshot on subscribe, then at most one snapshot per `throttleMs` while events
   * arrive (the last one always comes, so the final state is never missed).
   */
  readonly metrics$: Observable<MetricsReport>;
  readonly #clock: Clock;
  readonly #ledger: MetricsLedger;
  readonly #source: string;
  readonly #changed = new Subject<void>();
  readonly #subscriptions = new Subscription();

  constructor(options: MetricsCollectorOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.bus = options.bus ?? new EventBus();
    this.#source = options.source ?? 'metrics';
    this.#ledger = new MetricsLedger(options.windowSize ?? 512, options.maxSeries ?? 500);
    const throttleMs = options.throttleMs ?? 1000;
    this.metrics$ = new Observable<MetricsReport>((subscriber) => {
      let timer: unknown;
      subscriber.next(this.getMetrics());
      const changes = this.#changed.subscribe({
        next: () => {
          if (timer !== undefined) return;
          timer = this.#clock.setTimeout(() => {
            timer = undefined;
            subscriber.next(this.getMetrics());
          }, throttleMs);
        },
        complete: () => subscriber.complete(),
      });
      return () => {
        changes.unsubscribe();
        if (timer !== undefined) this.#clock.clearTimeout(timer);
      };
    });
    this.observe(this.bus.events$);
  }

  /** Counts every event of `events$` from now on; unsubscribe the result to stop. */
  observe(events$: Observable<RuntimeEvent>): Subscription {
    const sub = events$.subscribe((e) => {
      this.#ledger.apply(e);
      this.#changed.next();
    });
    this.#subscriptions.add(sub);
    return sub;
  }

  /** Reports one finished operation as an `operation.completed` event. */
  record(outcome: OperationOutcome): void {
    const error = outcome.ok || outcome.error === undefined ? undefined : classifyError(outcome.error);
    this.#emit(outcome.operation, outcome.ok, outcome.durationMs, error, outcome);
  }

  /**
   * Runs `fn`, timing it on the collector's clock, and reports the outcome (the guide's
   * `execute_with_metrics`). Resolves with `fn`'s result; a failure is rethrown as a typed error.
   */
  async recordExecution<T>(
    operation: string,
    fn: () => T | Promise<T>,
    labels: ExecutionLabels = {},
  ): Promise<T> {
    const started = this.#clock.now();
    try {
      const result = await fn();
      this.#emit(operation, true, this.#clock.now() - started, undefined, labels);
      return result;
    } catch (e) {
      const error = classifyError(e, { server: labels.server });
      this.#emit(operation, false, this.#clock.now() - started, error, labels);
      throw error;
    }
  }

  /** A snapshot of the series matching `filter` (every series when omitted). */
  getMetrics(filter?: MetricsFilter): MetricsReport {
    return this.#ledger.report(this.#clock.now(), filter);
  }

  /** Every series in the Prometheus text exposition format (see {@link toPrometheus}). */
  toPrometheus(options?: PrometheusOptions): string {
    return toPrometheus(this.getMetrics(), options);
  }

  /** Stops observing every stream and completes `metrics$`. */
  close(): void {
    this.#subscriptions.unsubscribe();
    this.#changed.complete();
  }

  #emit(
    operation: string,
    ok: boolean,
    durationMs: number,
    error: AzcoreError | undefined,
    labels: ExecutionLabels,
  ): void {
    this.bus.emit({
      type: 'operation.completed',
      at: this.#clock.now(),
      source: this.#source,
      operation,
      ok,
      durationMs,
      ...(error ? { error: summarizeError(error) } : {}),
      ...(labels.server || labels.tool
        ? {
            labels: {
              ...(labels.server ? { server: labels.server } : {}),
              ...(labels.tool ? { tool: labels.tool } : {}),
            },
          }
        : {}),
    });
  }
}
