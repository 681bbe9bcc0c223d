import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { MetricsReport, OperationStats } from './metricsLedger.js';

/** Options of {@link toPrometheus}. */
export interface PrometheusOptions {
  /** Metric name prefix. Default `azcore`. */
  prefix?: string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

/** Escapes a label value as the text exposition format requires: backslash, double quote, newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string | undefined>): string {
  const parts = Object.entries(pairs)
    .filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '')
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Prometheus numbers: integers as is, the rest without float noise, and the special values by name. */
function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

class Family {
  readonly lines: string[] = [];
  constructor(
    readonly name: string,
    type: 'counter' | 'gauge' | 'summary',
    help: string,
  ) {
    this.lines.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} ${type}`,
    );
  }
  sample(suffix: string, pairs: Record<string, string | undefined>, value: number): void {
    this.lines.push(`${this.name}${suffix}${labels(pairs)} ${num(value)}`);
  }
  get empty(): boolean {
    return this.lines.length === 2;
  }
}

function seriesLabels(s: OperationStats): Record<string, string | undefined> {
  return { operation: s.operation, server: s.server, tool: s.tool };
}

/**
 * Renders a {@link MetricsReport} in the Prometheus text exposition format (version 0.0.4): counters
 * end in `_total`, durations are a summary in seconds with quantiles over the recent window, every
 * family has its HELP and TYPE lines, and label values are escaped. Serve it with content type
 * `text/plain; version=0.0.4`.
 *
 * @example
 * http.createServer((_req, res) => res.end(toPrometheus(metrics.getMetrics()))).listen(9464, '127.0.0.1');
 */
export function toPrometheus(report: MetricsReport, options: PrometheusOptions = {}): string {
  const prefix = options.prefix ?? 'azcore';
  if (!NAME.test(prefix)) {
    throw new ConfigurationError(
      `Prometheus prefix ${JSON.stringify(prefix)} is not a valid metric name: use letters, digits, "_" and ":", not starting with a digit.`,
    );
  }
  const operations = new Family(
    `${prefix}_operations_total`,
    'counter',
    'Completed operations (tool call attempts and recorded executions) by outcome.',
  );
  const errors = new Family(
    `${prefix}_operation_errors_total`,
    'counter',
    'Failed operations by error kind.',
  );
  const retries = new Family(
    `${prefix}_operation_retries_total`,
    'counter',
    'Retries scheduled after a failure.',
  );
  const rejected = new Family(
    `${prefix}_operation_rejections_total`,
    'counter',
    'Calls an open circuit breaker refused without sending.',
  );
  const duration = new Family(
    `${prefix}_operation_duration_seconds`,
    'summary',
    'Duration of operations; quantiles cover the most recent observations of each series.',
  );
  for (const s of report.series) {
    const l = seriesLabels(s);
    operations.sample('', { ...l, outcome: 'success' }, s.successes);
    operations.sample('', { ...l, outcome: 'failure' }, s.failures);
    for (const [kind, n] of Object.entries(s.errors)) errors.sample('', { ...l, kind }, n ?? 0);
    retries.sample('', l, s.retries);
    rejected.sample('', l, s.rejected);
    if (s.durationMs.observed > 0) {
      for (const [q, key] of QUANTILES) duration.sample('', { ...l, quantile: q }, s.durationMs[key] / 1000);
      duration.sample('_sum', l, s.durationMs.sum / 1000);
      duration.sample('_count', l, s.durationMs.observed);
    }
  }
  const reconnects = new Family(
    `${prefix}_reconnects_total`,
    'counter',
    'Times a server connection was lost and reconnecting began.',
  );
  const up = new Family(
    `${prefix}_server_up`,
    'gauge',
    '1 while the server connection is ready or degraded, else 0.',
  );
  for (const [server, m] of Object.entries(report.servers)) {
    reconnects.sample('', { server }, m.reconnects);
    up.sample('', { server }, m.state === 'ready' || m.state === 'degraded' ? 1 : 0);
  }
  const openings = new Family(
    `${prefix}_breaker_openings_total`,
    'counter',
    'Times a circuit breaker opened.',
  );
  const breakerOpen = new Family(
    `${prefix}_breaker_open`,
    'gauge',
    '1 while the circuit breaker is open or isolated, else 0.',
  );
  for (const [breaker, b] of Object.entries(report.breakers)) {
    openings.sample('', { breaker }, b.openings);
    breakerOpen.sample('', { breaker }, b.state === 'open' || b.state === 'isolated' ? 1 : 0);
  }
  const health = new Family(
    `${prefix}_health_status`,
    'gauge',
    'Latest health check verdict: 1 for the current status, 0 for the others.',
  );
  if (report.health) {
    for (const status of ['healthy', 'degraded', 'unhealthy'] as const)
      health.sample('', { target: report.health.target, status }, report.health.status === status ? 1 : 0);
  }
  const families = [
    operations,
    errors,
    retries,
    rejected,
    duration,
    reconnects,
    up,
    openings,
    breakerOpen,
    health,
  ];
  return `${families
    .filter((f) => !f.empty)
    .flatMap((f) => f.lines)
    .join('\n')}\n`;
}
