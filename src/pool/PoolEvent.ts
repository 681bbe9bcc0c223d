import type { ErrorSummary, EventBase } from '../events/RuntimeEvent.js';

/** Fields of every pool event; `source` is `pool:<name>`. */
interface PoolEventBase extends EventBase {
  pool: string;
}

/** A request got a member; `waitedMs` from `acquire()` to now. */
export interface PoolAcquired extends PoolEventBase {
  type: 'pool.acquired';
  requestId: string;
  member: string;
  waitedMs: number;
}

/** No member was free: the request waits at `position` (0 = next). */
export interface PoolQueued extends PoolEventBase {
  type: 'pool.queued';
  requestId: string;
  position: number;
}

/** A request ended without a member: timeout, abort, closed pool, or the build meant for it failed. */
export interface PoolAcquireFailed extends PoolEventBase {
  type: 'pool.acquireFailed';
  requestId: string;
  error: ErrorSummary;
}

/** A member came back; `healthy: false` means it is being replaced. */
export interface PoolReleased extends PoolEventBase {
  type: 'pool.released';
  member: string;
  heldMs: number;
  healthy: boolean;
}

/** A member was found broken (at release, or when about to be handed out) and is cleaned up; a new one is built. */
export interface PoolReplaced extends PoolEventBase {
  type: 'pool.replaced';
  member: string;
  /** `released broken`, or the state that made it unhealthy. */
  reason: string;
}

/** The factory built a member. */
export interface PoolMemberBuilt extends PoolEventBase {
  type: 'pool.built';
  member: string;
  durationMs: number;
}

/** The factory failed. */
export interface PoolBuildFailed extends PoolEventBase {
  type: 'pool.buildFailed';
  member: string;
  error: ErrorSummary;
}

/** The pool moved between `open`, `closing` and `closed`. */
export interface PoolStateChanged extends PoolEventBase {
  type: 'pool.state';
  from: string;
  to: string;
}

/**
 * Everything a {@link TeamPool} reports, one discriminated union on `type` (same `at`/`source`
 * shape as the runtime's events). Pool metrics are derived from these, not counted by hand.
 *
 * @example pool.events$.subscribe((e) => e.type === 'pool.acquired' && console.log(e.member, e.waitedMs));
 */
export type PoolEvent =
  | PoolAcquired
  | PoolQueued
  | PoolAcquireFailed
  | PoolReleased
  | PoolReplaced
  | PoolMemberBuilt
  | PoolBuildFailed
  | PoolStateChanged;
