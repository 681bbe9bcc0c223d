import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import type { FallbackFailedError } from './FallbackFailedError.js';

/** One try of one source, in the order they ran. */
export interface FallbackAttempt {
  /** What was tried: `primary`, `fallback`, `live`, `cache`, `static`, or an option's name. */
  source: string;
  ok: boolean;
  /** Time the try took, on the fallback's clock. */
  durationMs: number;
  /** Why it failed, when it did. */
  error?: AzcoreError | undefined;
}

/** The first source answered. */
export interface FallbackSuccess<T, S extends string = string> {
  status: 'success';
  source: S;
  value: T;
  reason?: undefined;
  error?: undefined;
  attempts: readonly FallbackAttempt[];
}

/** A fallback answered after the first source failed. */
export interface FallbackDegraded<T, S extends string = string> {
  status: 'degraded';
  /** The source that answered. */
  source: S;
  value: T;
  /** Kind of the failure that made the first source give up (`connection`, `timeout`, ...). */
  reason: ErrorKind;
  /** That failure. */
  error: AzcoreError;
  attempts: readonly FallbackAttempt[];
}

/** Nothing answered: `error` lists every attempt and carries the last error. */
export interface FallbackFailure {
  status: 'failed';
  source?: undefined;
  /** Kind of the first failure. */
  reason: ErrorKind;
  error: FallbackFailedError;
  attempts: readonly FallbackAttempt[];
}

/**
 * What a fallback returns: switch on `status`. `success` and `degraded` carry `value` and `source`;
 * `degraded` and `failed` carry `reason` and `error`. JSON-safe (`error` serializes via `toJSON`).
 *
 * @example
 * const result = await chain.execute('Process data');
 * if (result.status === 'failed') console.error(result.error.message);
 * else console.log(`${result.source}${result.status === 'degraded' ? ` (after ${result.reason})` : ''}:`, result.value);
 */
export type FallbackResult<T, S extends string = string> =
  | FallbackSuccess<T, S>
  | FallbackDegraded<T, S>
  | FallbackFailure;

/**
 * The value of a successful or degraded result; throws the typed error of a failed one.
 *
 * @example
 * const answer = unwrapFallback(await fallback.execute('Fetch user data'));
 */
export function unwrapFallback<T>(result: FallbackResult<T, string>): T {
  if (result.status === 'failed') throw result.error;
  return result.value;
}
