/** A per-request signal that aborts with its parent until {@link FollowedAbort.release} is called. */
export interface FollowedAbort {
  /** Give this to fetch in place of the parent signal. */
  readonly signal: AbortSignal;
  /** Stops following the parent (removes the one listener it holds). Idempotent. */
  release(): void;
}

/**
 * A child of `parent` for one fetch. Node's fetch (undici) adds an `abort` listener to the signal
 * of every request and removes it only when that request is garbage collected; the SDK's HTTP
 * transports pass their transport-wide signal to every POST, so its listeners pile up between
 * major GCs (`MaxListenersExceededWarning` past 1,500, and heap held until then). Handing fetch a
 * child instead keeps one listener on `parent` per request in flight, removed as soon as the
 * response body is done with, while an abort of `parent` still cancels the request or its body.
 *
 * @example
 * const followed = followAbort(init.signal);
 * try { response = await fetch(url, { ...init, signal: followed.signal }); } catch (e) { followed.release(); throw e; }
 */
export function followAbort(parent: AbortSignal): FollowedAbort {
  const child = new AbortController();
  const onAbort = (): void => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: child.signal,
    release: () => parent.removeEventListener('abort', onAbort),
  };
}
