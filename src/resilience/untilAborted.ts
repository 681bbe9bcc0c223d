/**
 * Settles like `work`, or rejects with the signal's reason the moment it aborts. The work holds
 * the same signal and is expected to stop on its own; this only makes sure the caller never waits
 * for work that ignores it. A late rejection of `work` is absorbed, never unhandled.
 *
 * @example await untilAborted(fetchPage(url, deadline.signal), deadline.signal);
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
