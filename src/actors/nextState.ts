import type { ConnectionStateName } from '../events/RuntimeEvent.js';
import { topState, type WaitableConnection } from './waitForClient.js';

/**
 * The first top-level state among the actor's coming snapshots that `wanted` accepts; `fallback` if
 * the actor completes first or is already stopped, rejected if it errors. What `firstValueFrom(state$.pipe(filter(wanted)),
 * { defaultValue: fallback })` gives, without building `state$` (so without loading rxjs: close()).
 */
export function nextState(
  actor: WaitableConnection['actor'],
  wanted: (state: ConnectionStateName) => boolean,
  fallback: ConnectionStateName,
): Promise<ConnectionStateName> {
  // XState tells a subscriber of a stopped actor nothing (complete only when done, error only when
  // failed): without this check close() after actor.stop() would wait forever.
  if (actor.getSnapshot().status === 'stopped') return Promise.resolve(fallback);
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      sub?.unsubscribe();
      settle();
    };
    let sub: { unsubscribe(): void } | undefined;
    sub = actor.subscribe({
      next: (snapshot) => {
        const state = topState(snapshot.value);
        if (wanted(state)) finish(() => resolve(state));
      },
      error: (e) => finish(() => reject(e)),
      complete: () => finish(() => resolve(fallback)),
    });
    // A stopped actor calls complete/error inside subscribe(), before `sub` is set.
    if (done) sub.unsubscribe();
  });
}
