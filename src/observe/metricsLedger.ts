import type { ErrorKind } from '../errors/AzcoreError.js';
import type {
  BreakerStateName,
  ConnectionStateName,
  HealthStatusName,
  RuntimeEvent,
} from '../events/RuntimeEvent.js';
import { quantile, SlidingWindow } from './percentiles.js';

/** The operation name tool-call events are counted under. */
export const TOOL_CALL_OPERATION = 'tool_call';
/** The `tool` label of series folded together once `maxSeries` is reached. */
export const OVERFLOW_LABEL = '_other';

/** Which series to report: every given label must match. */
export interface MetricsFilter {
  operation?: string | undefined;
  server?: string | undefined;
  tool?: string | undefined;
}

/** Durations in milliseconds. Percentiles and max cover the recent window; mean and sum cover everything. */
export interface DurationStats {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Sum of every observed duration. */
  sum: number;
  /** Number of observed durations (rejections have none). */
  observed: number;
}

/** Counts and timings of one series (operation, server, tool), or of several added up. */
export interface OperationStats {
  operation?: string | undefined;
  server?: string | undefined;
  tool?: string | undefined;
  /** Completed attempts: successes + failures (rejections included). */
  count: number;
  successes: number;
  failures: number;
  /** successes / count, 0 when nothing ran. */
  successRate: number;
  failureRate: number;
  retries: number;
  /** Calls an open breaker refused without sending. */
  rejected: number;
  durationMs: DurationStats;
  /** Failures by kind (`tool` for `isError` results, `circuitOpen` for rejections). */
  errors: Partial<Record<ErrorKind, number>>;
}

export interface ServerMetrics {
  state: ConnectionStateName | undefined;
  /** Times the connection went to `reconnecting`. */
  reconnects: number;
}

export interface BreakerMetrics {
  state: BreakerStateName | undefined;
  /** Times the breaker opened. */
  openings: number;
}

/** A snapshot of everything the collector derived from the events it saw (the guide's `get_metrics`). */
export interface MetricsReport {
  /** Clock time of the snapshot (epoch ms). */
  at: number;
  /** All matching series added up. */
  total: OperationStats;
  /** One entry per (operation, server, tool), sorted by those labels. */
  series: OperationStats[];
  servers: Record<string, ServerMetrics>;
  breakers: Record<string, BreakerMetrics>;
  /** The latest `health.checked` verdict seen, if any. */
  health?: { target: string; status: HealthStatusName; at: number } | undefined;
}

class Series {
  count = 0;
  successes = 0;
  failures = 0;
  retries = 0;
  rejected = 0;
  durationSum = 0;
  observed = 0;
  readonly errors = new Map<ErrorKind, number>();
  readonly window: SlidingWindow;

  constructor(
    readonly operation: string,
    readonly server: string,
    readonly tool: string,
    windowSize: number,
  ) {
    this.window = new SlidingWindow(windowSize);
  }

  finish(ok: boolean, durationMs: number | undefined, errorKind?: ErrorKind): void {
    this.count++;
    if (ok) this.successes++;
    else {
      this.failures++;
      if (errorKind) this.errors.set(errorKind, (this.errors.get(errorKind) ?? 0) + 1);
    }
    if (durationMs !== undefined) {
      this.durationSum += durationMs;
      this.observed++;
      this.window.add(durationMs);
    }
  }
}

/**
 * The fold behind {@link MetricsCollector}: applies one {@link RuntimeEvent} at a time to bounded
 * aggregates (one sliding window of durations per series, at most `maxSeries` series). It keeps no
 * counter that an event did not move.
 */
export class MetricsLedger {
  readonly #series = new Map<string, Series>();
  readonly #servers = new Map<string, ServerMetrics>();
  readonly #breakers = new Map<string, BreakerMetrics>();
  #health: MetricsReport['health'];

  constructor(
    readonly windowSize: number,
    readonly maxSeries: number,
  ) {}

  apply(e: RuntimeEvent): void {
    switch (e.type) {
      case 'call.succeeded':
        this.#get(TOOL_CALL_OPERATION, e.server, e.tool).finish(!e.isError, e.durationMs, 'tool');
        return;
      case 'call.failed':
        this.#get(TOOL_CALL_OPERATION, e.server, e.tool).finish(false, e.durationMs, e.error.kind);
        return;
      case 'call.rejected': {
        const s = this.#get(TOOL_CALL_OPERATION, e.server, e.tool);
        s.rejected++;
        s.finish(false, undefined, 'circuitOpen');
        return;
      }
      case 'call.retried':
        // retry() outside a server reports `source: retry:<operation>` with the operation as `tool`.
        if (e.source.startsWith('retry:')) this.#get(e.tool, e.server, '').retries++;
        else this.#get(TOOL_CALL_OPERATION, e.server, e.tool).retries++;
        return;
      case 'operation.completed':
        this.#get(e.operation, e.labels?.server ?? '', e.labels?.tool ?? '').finish(
          e.ok,
          e.durationMs,
          e.error?.kind,
        );
        return;
      case 'connection.state': {
        const s = this.#server(e.server);
        s.state = e.to;
        if (e.to === 'reconnecting') s.reconnects++;
        return;
      }
      case 'breaker.transition': {
        const b = this.#breakers.get(e.breaker) ?? { state: undefined, openings: 0 };
        this.#breakers.set(e.breaker, b);
        b.state = e.to;
        if (e.to === 'open') b.openings++;
        return;
      }
      case 'health.checked':
        this.#health = { target: e.target, status: e.status, at: e.at };
        return;
      default:
        return;
    }
  }

  report(at: number, filter: MetricsFilter = {}): MetricsReport {
    const matching = [...this.#series.values()]
      .filter(
        (s) =>
          (filter.operation === undefined || s.operation === filter.operation) &&
          (filter.server === undefined || s.server === filter.server) &&
          (filter.tool === undefined || s.tool === filter.tool),
      )
      .sort((a, b) =>
        keyOf(a.operation, a.server, a.tool).localeCompare(keyOf(b.operation, b.server, b.tool)),
      );
    const servers: Record<string, ServerMetrics> = {};
    for (const [name, s] of this.#servers)
      if (filter.server === undefined || name === filter.server) servers[name] = { ...s };
    const breakers: Record<string, BreakerMetrics> = {};
    for (const [id, b] of this.#breakers)
      if (filter.server === undefined || id === filter.server) breakers[id] = { ...b };
    return {
      at,
      total: statsOf(matching, filter),
      series: matching.map((s) => statsOf([s], s)),
      servers,
      breakers,
      ...(this.#health ? { health: { ...this.#health } } : {}),
    };
  }

  #get(operation: string, server: string, tool: string): Series {
    const key = keyOf(operation, server, tool);
    let s = this.#series.get(key);
    if (s) return s;
    if (this.#series.size >= this.maxSeries && tool !== OVERFLOW_LABEL) {
      return this.#get(operation, server, OVERFLOW_LABEL);
    }
    s = new Series(operation, server, tool, this.windowSize);
    this.#series.set(key, s);
    return s;
  }

  #server(name: string): ServerMetrics {
    const s = this.#servers.get(name) ?? { state: undefined, reconnects: 0 };
    this.#servers.set(name, s);
    return s;
  }
}

function keyOf(operation: string, server: string, tool: string): string {
  return `${operation}\u0000${server}\u0000${tool}`;
}

function statsOf(series: readonly Series[], labels: MetricsFilter): OperationStats {
  let count = 0;
  let successes = 0;
  let failures = 0;
  let retries = 0;
  let rejected = 0;
  let sum = 0;
  let observed = 0;
  const errors: Partial<Record<ErrorKind, number>> = {};
  const recent: number[] = [];
  for (const s of series) {
    count += s.count;
    successes += s.successes;
    failures += s.failures;
    retries += s.retries;
    rejected += s.rejected;
    sum += s.durationSum;
    observed += s.observed;
    for (const [kind, n] of s.errors) errors[kind] = (errors[kind] ?? 0) + n;
    s.window.appendTo(recent);
  }
  const sorted = Float64Array.from(recent).sort();
  return {
    ...(labels.operation ? { operation: labels.operation } : {}),
    ...(labels.server ? { server: labels.server } : {}),
    ...(labels.tool ? { tool: labels.tool } : {}),
    count,
    successes,
    failures,
    successRate: count === 0 ? 0 : successes / count,
    failureRate: count === 0 ? 0 : failures / count,
    retries,
    rejected,
    durationMs: {
      mean: observed === 0 ? 0 : sum / observed,
      p50: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      p99: quantile(sorted, 0.99),
      max: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0),
      sum,
      observed,
    },
    errors,
  };
}
