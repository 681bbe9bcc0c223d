// azcore/observe: what is derived from the event stream (metrics, health, Prometheus text,
// structured logs) and error context for logs. createLogger is in the root. Explicit named exports only.
export { summarizeError } from '../events/EventBus.js';
export { type ErrorContextOptions, errorFields, withErrorContext } from './errorContext.js';
export { HealthChecker, type HealthCheckerOptions, type HealthReport } from './HealthChecker.js';
export type { CustomHealthCheck, HealthProbe, HealthTarget } from './healthChecks.js';
export { addSecrets } from './logger.js';
export {
  type ExecutionLabels,
  MetricsCollector,
  type MetricsCollectorOptions,
  type OperationOutcome,
} from './metrics.js';
export {
  type BreakerMetrics,
  type DurationStats,
  type MetricsFilter,
  type MetricsReport,
  type OperationStats,
  type ServerMetrics,
  TOOL_CALL_OPERATION,
} from './metricsLedger.js';
export { quantile, SlidingWindow } from './percentiles.js';
export { escapeLabelValue, type PrometheusOptions, toPrometheus } from './prometheus.js';
export { type ExecutionRecord, logEvents, logExecution } from './structuredLog.js';
