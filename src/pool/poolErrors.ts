import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { InputError } from '../errors/InputError.js';
import { TimeoutError } from '../errors/TimeoutError.js';

/** `acquire()` on a pool that is closing or closed. */
export function poolClosedError(pool: string): ConnectionError {
  return new ConnectionError(`Pool "${pool}" is closed: it hands out no more teams.`, {
    code: 'POOL_CLOSED',
    retryable: false,
    hint: 'Create a new pool with TeamPool.create().',
  });
}

/** Every member stayed busy for the whole acquire timeout. */
export function acquireTimeoutError(pool: string, timeoutMs: number, size: number): TimeoutError {
  return new TimeoutError(
    `No team of pool "${pool}" became free within ${timeoutMs} ms (all ${size} busy).`,
    {
      code: 'POOL_ACQUIRE_TIMEOUT',
      timeoutMs,
      hint: 'Release teams sooner (use pool.use()), raise size, or raise acquireTimeoutMs.',
    },
  );
}

/** `release()` of a team this pool did not hand out, or one released twice. */
export function notAcquiredError(pool: string, member: string): InputError {
  return new InputError(`Team "${member}" is not out on loan from pool "${pool}".`, {
    code: 'POOL_NOT_ACQUIRED',
    hint: 'Release only teams acquire() returned, once each; pool.use() does it for you.',
  });
}

/** No member of the first batch could be built. */
export function poolBuildError(pool: string, cause: AzcoreError): ConnectionError {
  return new ConnectionError(`Pool "${pool}" could not build any team: ${cause.message}`, {
    code: 'POOL_BUILD_FAILED',
    cause,
    retryable: cause.retryable,
    hint: 'Fix the factory or the servers it uses, then create the pool again.',
  });
}
