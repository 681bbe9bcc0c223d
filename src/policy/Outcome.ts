import type { AzcoreError } from '../errors/AzcoreError.js';

/**
 * One try, in the order they ran: a run of the work (one per retry attempt), a breaker or bulkhead
 * refusing to run it, or a fallback source asked for an answer.
 *
 * @example
 * for (const a of outcome.attempts) console.log(a.source, a.attempt ?? '-', a.ok ? 'ok' : a.error?.code, `${a.durationMs} ms`);
 */
export interface Attempt {
  /** What was tried: the work's name (`primary` unless `run` was given `source`), or a fallback source (`static`, `cache`, a name). */
  source: string;
  ok: boolean;
  /** Time the try took, on the run's clock. */
  durationMs: number;
  /** Why it failed, when it did. */
  error?: AzcoreError | undefined;
  /** The retry attempt (1 = the first call) of a run of the work; absent for fallback sources. */
  attempt?: number | undefined;
}

/** The work (or its first source) answered. */
export interface OutcomeSuccess<T> {
  status: 'success';
  value: T;
  /** Who answered: the work's name (`primary` by default). */
  source: string;
  attempts: readonly Attempt[];
  reasons?: undefined;
  error?: undefined;
  /** Problems that did not cost the answer (a cache write that failed). */
  warnings?: readonly AzcoreError[] | undefined;
}

/** A fallback source answered after the work failed. */
export interface OutcomeDegraded<T> {
  status: 'degraded';
  value: T;
  /** The fallback source that answered (`static`, `cache`, a dynamic source's name). */
  source: string;
  /** Short lines saying what failed before it (`primary failed: connection ECONNREFUSED`). */
  reasons: readonly string[];
  /** The failure that made the work give up (its `kind` is the reason in one word). */
  error: AzcoreError;
  attempts: readonly Attempt[];
  /** For an answer served from a cache: when it was stored (epoch ms) and how old it is. */
  cachedAt?: number | undefined;
  ageMs?: number | undefined;
  warnings?: readonly AzcoreError[] | undefined;
}

/** Nothing answered. `error` is the typed error `policy.execute` would have thrown. */
export interface OutcomeFailed {
  status: 'failed';
  error: AzcoreError;
  reasons: readonly string[];
  attempts: readonly Attempt[];
  source?: undefined;
  warnings?: readonly AzcoreError[] | undefined;
}

/**
 * What {@link run} resolves with, never a throw: switch on `status`. `success` and `degraded` carry
 * `value` and `source`; `degraded` and `failed` carry `reasons` and `error`. JSON-safe: errors
 * serialize through their `toJSON()`.
 *
 * @example
 * const outcome = await run(wrap(fallback(staticValue('n/a')), retry(), timeout(5_000)), (ctx) => lookup(ctx.signal));
 * if (outcome.status === 'failed') console.error(outcome.reasons.join('\n'));
 * else console.log(outcome.source, outcome.value);
 */
export type Outcome<T> = OutcomeSuccess<T> | OutcomeDegraded<T> | OutcomeFailed;

/** `kind CODE` of an error: the short form reasons use. */
function brief(error: AzcoreError): string {
  return `${error.kind} ${error.code}`;
}

/**
 * Short human lines for an outcome: one per failed attempt (`primary failed: connection
 * ECONNREFUSED`, `primary failed (attempt 2): timeout TIMEOUT`), then `error` when no attempt
 * carries it (input rejected before anything ran).
 */
export function reasonsOf(attempts: readonly Attempt[], error: AzcoreError | undefined): string[] {
  const lines: string[] = [];
  let seen = false;
  for (const a of attempts) {
    if (a.ok || !a.error) continue;
    if (a.error === error) seen = true;
    const which = a.attempt !== undefined && a.attempt > 1 ? ` (attempt ${a.attempt})` : '';
    lines.push(`${a.source} failed${which}: ${brief(a.error)}`);
  }
  const listed = error && 'attempts' in error && Array.isArray((error as { attempts: unknown }).attempts);
  if (error && !seen && !listed) lines.push(`stopped: ${brief(error)}`);
  return lines;
}
