import type {
  ConnectionStateName,
  ErrorSummary,
  HealthCheckResult,
  HealthStatusName,
  RuntimeEvent,
} from '../events/RuntimeEvent.js';

/** One server card of the dashboard. */
export interface ServerView {
  name: string;
  /** Top-level connection state (`ready`, `reconnecting`, ...). */
  state: ConnectionStateName;
  /** Breaker state (`closed`, `open`, `halfOpen`, `isolated`). */
  breaker: string;
  available: boolean;
  optional: boolean;
  /** Tool names as the server lists them (the last known list while it is away). */
  tools: string[];
  /**
   * The tools of `tools` the team offers now: read where the health check counts them
   * (`getMcpToolNames()`), so the cards add up to the health panel's tool count.
   */
  offered: string[];
  lastError: ErrorSummary | undefined;
}

/** Calls that ended within one sampling interval. */
export interface CallSample {
  /** End of the interval (epoch ms). */
  at: number;
  intervalMs: number;
  /** Calls that ended: succeeded, failed or rejected by a breaker. */
  calls: number;
  /** Failed, rejected, or answered with `isError: true`. */
  errors: number;
  /** Calls per second over the interval. */
  callRate: number;
  /** errors / calls, 0 when there were no calls. */
  errorRate: number;
  /** Latency percentiles (ms) of the calls that reached a server; null when none did. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Tool-call totals of one server since the dashboard started, from a `MetricsCollector`. */
export interface ServerStats {
  calls: number;
  failures: number;
  /** Calls an open breaker refused without sending (counted in `failures` too). */
  rejected: number;
  retries: number;
  /** successes / calls; 1 when there were no calls. */
  successRate: number;
  /** p95 latency (ms) of recent calls; null before the first. */
  p95: number | null;
  reconnects: number;
  breakerOpenings: number;
}

/** The health panel: the latest verdict of a health check, or `unknown` before the first. */
export interface HealthView {
  status: HealthStatusName | 'unknown';
  /** When the check finished (epoch ms). */
  at: number | undefined;
  checks: Record<string, HealthCheckResult>;
}

/** Mermaid text of the statecharts drawn on each card (top-level states only). */
export interface DashboardDiagrams {
  connection: string;
  breaker: string;
}

/** Everything the page needs to draw itself; sent first on every live connection. */
export interface DashboardSnapshot {
  team: { name: string; state: string };
  servers: ServerView[];
  /** The most recent events, oldest first. */
  events: RuntimeEvent[];
  samples: CallSample[];
  /** Per server name. */
  stats: Record<string, ServerStats>;
  health: HealthView;
  diagrams: DashboardDiagrams;
}

/** One live update, sent to the page as a server-sent event named after `type`. */
export type DashboardMessage =
  | { type: 'snapshot'; data: DashboardSnapshot }
  | { type: 'event'; data: RuntimeEvent }
  | { type: 'server'; data: ServerView }
  | { type: 'sample'; data: CallSample }
  | { type: 'stats'; data: Record<string, ServerStats> }
  | { type: 'health'; data: HealthView }
  | { type: 'team'; data: { name: string; state: string } };
