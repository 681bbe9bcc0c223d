/** A per-request signal that aborts with its parent until {@link FollowedAbort.release} is called. */
export interface FollowedAbort {
  /** Give this to fetch in place of the parent signal. */
  readonly signal: AbortSignal;
  /** Stops following the parent. Idempotent. */
  release(): void;
}

/** The children following each parent signal; one `abort` listener per parent aborts them all. */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * A child of `parent` for one fetch. Node's fetch (undici) adds an `abort` listener to the signal
 * of every request and removes it only when that request is garbage collected; the SDK's HTTP
 * transports pass their transport-wide signal to every POST, so its listeners pile up between
 * major GCs (`MaxListenersExceededWarning` past 1,500, and heap held until then). Handing fetch a
 * child instead, the parent holds one listener however many requests are in flight (no warning
 * at 11 concurrent calls either), and a child is let go as soon as its response body is done with,
 * while an abort of `parent` still cancels every request or body in flight, with its reason.
 *
 * @example
 * const followed = followAbort(init.signal);
 * try { response = await fetch(url, { ...init, signal: followed.signal }); } catch (e) { followed.release(); throw e; }
 */
export function followAbort(parent: AbortSignal): FollowedAbort {
  const child = new AbortController();
  let children = followers.get(parent);
  if (!children) {
    const all = new Set<AbortController>();
    followers.set(parent, all);
    parent.addEventListener(
      'abort',
      () => {
        followers.delete(parent);
        for (const c of all) c.abort(parent.reason);
        all.clear();
      },
      { once: true },
    );
    children = all;
  }
  const own = children;
  own.add(child);
  return { signal: child.signal, release: () => own.delete(child) };
}
