import { type AdaptiveRetryTable, KindRetryTable } from '../resilience/adaptiveRetry.js';
import type { Random } from '../resilience/backoff.js';

/**
 * The guide's adaptive retry as a schedule of the {@link retry} policy: each failure is retried by
 * the settings of the kind that failed (`DEFAULT_RETRY_TABLE`: connection 5 tries from 2 s, timeout
 * 3 from 5 s, tool, resource and protocol 3 from 1 s, model 3 from 2 s), counted per kind. `table`
 * entries replace the defaults of their kind. A failure is retried only when its kind has an entry
 * and its own `retryable` is true; input, auth, circuitOpen, cancelled and configuration never
 * are. The retry's deadline, signal and `call.retried` events apply as for every schedule.
 * Throws a `ConfigurationError` for an unusable table.
 *
 * @example
 * const policy = wrap(retry({ backoff: byKind({ connection: { maxAttempts: 5, baseMs: 200 } }) }), timeout(5_000));
 * const outcome = await team.run('Sync the notes', { policy });
 */
export function byKind(
  table: AdaptiveRetryTable = {},
  options: { random?: Random | undefined } = {},
): KindRetryTable {
  return new KindRetryTable(table, options.random);
}
