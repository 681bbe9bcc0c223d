import type { Observable, Subscription } from 'rxjs';
import { classifyError } from '../errors/classifyError.js';
import type { RuntimeEvent, RuntimeEventType } from '../events/RuntimeEvent.js';
import { errorFields } from './errorContext.js';
import type { Logger } from './logger.js';

/** One finished operation, for {@link logExecution} (the guide's `StructuredLogger.log_execution`). */
export interface ExecutionRecord {
  operation: string;
  status: 'success' | 'failed' | 'degraded';
  durationMs?: number | undefined;
  /** The failure, classified into `error_kind` / `error_code`. */
  error?: unknown;
  /** Any more fields: `team`, `server`, `tool_count`... */
  [field: string]: unknown;
}

/**
 * Writes one structured line for a finished operation: `operation`, `status`, `duration_ms` and, on
 * failure, `error_kind` and `error_code` (pino adds `time` and `level`).
 *
 * @example
 * logExecution(logger, { operation: 'team_execution', status: 'success', durationMs: 812, team: 'research', tool_count: 4 });
 */
export function logExecution(logger: Logger, record: ExecutionRecord): void {
  const { operation, status, durationMs, error, ...rest } = record;
  const line = {
    ...rest,
    operation,
    status,
    ...(durationMs !== undefined ? { duration_ms: durationMs } : {}),
    ...(error !== undefined ? errorFields(classifyError(error)) : {}),
  };
  const message = `Operation: ${operation} ${status}`;
  if (status === 'failed') logger.error(line, message);
  else if (status === 'degraded') logger.warn(line, message);
  else logger.info(line, message);
}

type Level = 'debug' | 'info' | 'warn' | 'error';

function levelOf(e: RuntimeEvent): Level {
  switch (e.type) {
    case 'call.failed':
    case 'call.rejected':
    case 'call.retried':
      return 'warn';
    case 'connection.state':
      return e.to === 'failed' || e.to === 'authFailed'
        ? 'error'
        : e.to === 'reconnecting' || e.to === 'authorizing'
          ? 'warn'
          : 'info';
    case 'breaker.transition':
      return e.to === 'open' || e.to === 'isolated' ? 'warn' : 'info';
    case 'health.checked':
      return e.status === 'unhealthy' ? 'error' : e.status === 'degraded' ? 'warn' : 'info';
    case 'operation.completed':
      return e.ok ? 'info' : 'error';
    case 'team.state':
    case 'pool.state':
      return 'info';
    case 'pool.acquireFailed':
    case 'pool.buildFailed':
    case 'pool.replaced':
      return 'warn';
    default:
      return 'debug';
  }
}

function fieldsOf(e: RuntimeEvent): Record<string, unknown> {
  const base: Record<string, unknown> = { event: e.type, source: e.source };
  if ('server' in e && e.server) base.server = e.server;
  if (e.type === 'team.state') base.team = e.team;
  if (e.type === 'health.checked') base.team = e.target;
  if ('pool' in e) base.pool = e.pool;
  if ('member' in e) base.member = e.member;
  if ('tool' in e && e.tool) base.tool = e.tool;
  if (e.type === 'operation.completed') {
    if (e.labels?.server) base.server = e.labels.server;
    if (e.labels?.tool) base.tool = e.labels.tool;
  }
  base.operation =
    e.type === 'operation.completed' ? e.operation : e.type.startsWith('call.') ? 'tool_call' : e.type;
  if ('durationMs' in e) base.duration_ms = e.durationMs;
  // `pool.replaced` gives its reason in words; elsewhere `reason` is an error summary.
  if (e.type === 'pool.replaced') base.reason = e.reason;
  const error = 'error' in e ? e.error : 'reason' in e && typeof e.reason === 'object' ? e.reason : undefined;
  if (error) {
    base.error_kind = error.kind;
    base.error_code = error.code;
  }
  if ('from' in e) base.from = e.from;
  if ('to' in e) base.to = e.to;
  if (e.type === 'health.checked') base.status = e.status;
  if (e.type === 'operation.completed') base.status = e.ok ? 'success' : 'failed';
  return base;
}

/**
 * Logs every event of a stream as one structured line (`event`, `operation`, `server`, `tool`,
 * `duration_ms`, `error_kind`...), at a level that follows what happened: failures `warn`, lost
 * servers and unhealthy checks `error`, routine events `info` or `debug`.
 *
 * @example
 * const sub = logEvents(merge(team.events$, health.events$), createLogger({ level: 'info' }), { team: team.name });
 */
export function logEvents(
  events$: Observable<RuntimeEvent>,
  logger: Logger,
  options: { types?: readonly RuntimeEventType[]; team?: string } = {},
): Subscription {
  const wanted = options.types ? new Set(options.types) : undefined;
  const log = options.team ? logger.child({ team: options.team }) : logger;
  return events$.subscribe((e) => {
    if (wanted && !wanted.has(e.type)) return;
    const fields = fieldsOf(e);
    log[levelOf(e)](fields, `${e.type}${'server' in e && e.server ? ` [${e.server}]` : ''}`);
  });
}
