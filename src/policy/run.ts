import { classifyError } from '../errors/classifyError.js';
import type { Outcome } from './Outcome.js';
import { reasonsOf } from './Outcome.js';
import { type Policy, recorded, type Work } from './Policy.js';
import { PolicyContext, type RunOptions } from './PolicyContext.js';

/**
 * Runs `work` under `policy` and resolves one {@link Outcome}, never a throw: `success` (the work
 * answered), `degraded` (a fallback source answered; `reasons` say why) or `failed` (the typed
 * `error` and its `reasons`). `attempts` lists every try in order.
 *
 * @example
 * const outcome = await run(wrap(fallback(staticValue([])), retry({ maxAttempts: 3 }), timeout(2_000)), (ctx) =>
 *   server.callTool('list_issues', {}, { signal: ctx.signal }),
 * );
 * if (outcome.status === 'degraded') log.warn({ reasons: outcome.reasons }, `answered from ${outcome.source}`);
 */
export async function run<T, A = never>(
  policy: Policy<A>,
  work: Work<T>,
  options: RunOptions = {},
): Promise<Outcome<T | A>> {
  const ctx = PolicyContext.start(options);
  const warnings = () => (ctx.warnings.length > 0 ? { warnings: [...ctx.warnings] } : {});
  try {
    const value = await policy.execute(recorded(work), ctx);
    const attempts = [...ctx.attempts];
    const degraded = ctx.degradation;
    if (!degraded) return { status: 'success', value, source: ctx.source, attempts, ...warnings() };
    const { source, error, cachedAt, ageMs } = degraded;
    return {
      status: 'degraded',
      value,
      source,
      reasons: reasonsOf(attempts, error),
      error,
      attempts,
      ...(cachedAt !== undefined ? { cachedAt, ageMs } : {}),
      ...warnings(),
    };
  } catch (e) {
    const error = classifyError(e, { signal: ctx.signal, server: ctx.server });
    const attempts = [...ctx.attempts];
    return { status: 'failed', error, reasons: reasonsOf(attempts, error), attempts, ...warnings() };
  } finally {
    ctx.end();
  }
}
