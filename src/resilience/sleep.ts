import { CancelledError } from '../errors/CancelledError.js';
import { type Clock, systemClock } from './Clock.js';

/**
 * Waits `ms` on the given clock; rejects with the signal's reason as soon as it aborts (and clears
 * the timer), so a cancelled caller never waits out a backoff.
 *
 * @example await sleep(250, { clock, signal: deadline.signal });
 */
export function sleep(
  ms: number,
  options: { clock?: Clock | undefined; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new CancelledError('The wait was cancelled.');
}
