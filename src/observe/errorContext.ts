import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import type { Logger } from './logger.js';

/** Options of {@link withErrorContext}. */
export interface ErrorContextOptions {
  /** Times the operation. Default: wall clock. */
  clock?: Clock | undefined;
}

/** The log fields of a failure: kind and code first, so log queries can group by them. */
export function errorFields(error: AzcoreError): Record<string, unknown> {
  return {
    error_kind: error.kind,
    error_code: error.code,
    retryable: error.retryable,
    ...(error.server ? { server: error.server } : {}),
    err: error.toJSON(),
  };
}

/**
 * Runs `fn` as a named operation with structured logs around it (the guide's `error_handler`
 * context manager): a start line, then an end line with `status` and `duration_ms`, or a failure
 * line with `error_kind` and `error_code` (level `error`; `warn` for cancellations). Resolves with
 * `fn`'s result; a failure is rethrown as a typed error (classified once, here).
 *
 * @example
 * const result = await withErrorContext(logger, 'team_execution', () => team.invoke({ messages }), { team: team.name });
 * // {"level":"info","operation":"team_execution","team":"research","status":"success","duration_ms":812,...}
 */
export async function withErrorContext<T>(
  logger: Logger,
  operation: string,
  fn: () => T | Promise<T>,
  fields: Record<string, unknown> = {},
  options: ErrorContextOptions = {},
): Promise<T> {
  const clock = options.clock ?? systemClock;
  const log = logger.child({ operation, ...fields });
  const started = clock.now();
  log.info({ status: 'started' }, `${operation} started`);
  try {
    const result = await fn();
    const duration_ms = clock.now() - started;
    log.info({ status: 'success', duration_ms }, `${operation} succeeded in ${duration_ms} ms`);
    return result;
  } catch (e) {
    const error = classifyError(e, typeof fields.server === 'string' ? { server: fields.server } : {});
    const duration_ms = clock.now() - started;
    const line = { status: 'failed', duration_ms, ...errorFields(error) };
    const message = `${operation} failed after ${duration_ms} ms (${error.kind}): ${error.message}`;
    if (error.kind === 'cancelled') log.warn(line, message);
    else log.error(line, message);
    throw error;
  }
}
