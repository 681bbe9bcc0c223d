import type { FallbackSource } from './FallbackSource.js';
import type { Policy, Work } from './Policy.js';

/**
 * Options of {@link dynamic}.
 *
 * @example dynamic(backupWork, { name: 'backup', policy: wrap(retry(), timeout(10_000)) })
 */
export interface DynamicSourceOptions {
  /** Name in attempts and outcomes. Default: the function's name, else `fallback`. */
  name?: string | undefined;
  /** Policies of this source alone (a timeout, a breaker of the backup service). */
  policy?: Policy<unknown> | undefined;
}

/**
 * A fallback source that does the job another way: a second team, a backup service. It gets a
 * context like the work's (the caller's signal, its own `policy` if given) and its failure is an
 * attempt; the next source is tried after it.
 *
 * @example
 * fallback(dynamic((ctx) => teamExecutor(localTeam)(task, ctx), { name: 'local', policy: timeout(30_000) }))
 */
export function dynamic<V>(work: Work<V>, options: DynamicSourceOptions = {}): FallbackSource<V> {
  const name = options.name ?? (work.name || 'fallback');
  const policy = options.policy;
  return {
    name,
    answer: async (_error, ctx) => ({
      value: policy ? ((await policy.execute(work, ctx)) as V) : await work(ctx),
    }),
  };
}
