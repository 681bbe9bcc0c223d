import type { BreakerStateName } from '../events/RuntimeEvent.js';
import type { BreakerStateObserver } from './CircuitBreaker.js';
import type { ConnectionParts } from './connectionParts.js';

/**
 * Tells the connection machine where the breaker stands (it degrades a connection whose breaker is
 * open), and drops the flood guard's timers when the breaker stops (with the connection). Methods,
 * not closures: one small object per breaker.
 */
export class BreakerLink implements BreakerStateObserver {
  readonly #parts: ConnectionParts;

  constructor(parts: ConnectionParts) {
    this.#parts = parts;
  }

  next(state: BreakerStateName): void {
    this.#parts.actor.send({ type: state === 'closed' ? 'BREAKER_CLOSED' : 'BREAKER_OPENED' });
  }

  complete(): void {
    this.#parts.disposeFloods();
  }
}

/** The parts of an XState machine snapshot that {@link compactSnapshot} may share. */
export interface CompactableSnapshot {
  value: unknown;
  tags?: ReadonlySet<string>;
  children?: Readonly<Record<string, unknown>>;
  historyValue?: Readonly<Record<string, unknown>>;
}

const NO_TAGS: ReadonlySet<string> = new Set<string>();
const NO_CHILDREN: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_HISTORY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Puts one shared empty object in place of an empty `tags` set, `children` record and
 * `historyValue` of the actor's latest snapshot. XState builds a new tag set for every snapshot (an
 * empty Set is 0.15 KiB), and a record it has deleted a child from stays a dictionary (0.18 KiB)
 * after an invoked child (a ping, a tool refetch) stopped: an idle connection would keep 0.4 KiB of empty
 * containers. XState (5.33) only reads these of a snapshot and copies before it changes them, so a
 * shared empty one reads the same (test/actors/connectionObservers.test.ts).
 */
export function compactSnapshot(snapshot: CompactableSnapshot): void {
  if (snapshot.tags?.size === 0) snapshot.tags = NO_TAGS;
  if (snapshot.children && isEmpty(snapshot.children)) snapshot.children = NO_CHILDREN;
  if (snapshot.historyValue && isEmpty(snapshot.historyValue)) snapshot.historyValue = NO_HISTORY;
}

function isEmpty(record: Readonly<Record<string, unknown>>): boolean {
  for (const _ in record) return false;
  return true;
}
