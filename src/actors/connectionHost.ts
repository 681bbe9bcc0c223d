import { type ActorLogic, type AnyActorRef, createActor, type Snapshot } from 'xstate';
import { type Clock, systemClock } from '../resilience/Clock.js';

type HostEvent = { type: 'azcore.stopChild'; child: AnyActorRef };
type HostSnapshot = Snapshot<undefined>;

/** Holds the standalone connection actors as its children; its only event stops one of them. */
const hostLogic: ActorLogic<HostSnapshot, HostEvent> = {
  transition: (snapshot, event, scope) => {
    if (event.type === 'azcore.stopChild') scope.stopChild(event.child);
    return snapshot;
  },
  getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }),
  getPersistedSnapshot: (snapshot) => snapshot,
};

/**
 * Children per host. XState's scheduler cancels a stopping actor's delayed events by scanning every
 * delayed event of its system, and each connect attempt's actor stops: with one host for all, 1,000
 * connections connecting at once cost a million scans (a quarter of their connect CPU). A new host
 * every 64 connections bounds the scan; its system is shared 64 ways.
 */
const CHILDREN_PER_HOST = 64;
let host: AnyActorRef | undefined;
let hosted = 0;

/**
 * The parent of standalone connection actors on the wall clock with no inspector of their own: one
 * XState actor system for a few dozen of them instead of one each (a root actor's system, with its
 * scheduler and registries, is about 1.8 KiB of heap per idle connection: bench/scale.ts). Its
 * children keep their own mailbox, snapshot and delayed events (the system's scheduler keys them
 * by actor). The system holds no child ({@link startHosted}), so a connection dropped without
 * close() is collected as one with a system of its own is.
 * Undefined when the connection needs a system of its own: an `inspect` observer (inspection is
 * per system) or another clock (the system's scheduler runs delayed events on the system's clock).
 */
export function sharedConnectionParent(clock: Clock, ownInspector: boolean): AnyActorRef | undefined {
  if (ownInspector || clock !== systemClock) return undefined;
  // A host is not tracked once full: it lives as long as a child refers to it (`_parent`).
  if (!host || hosted === CHILDREN_PER_HOST) {
    host = createActor(hostLogic, { clock: systemClock }).start();
    hosted = 0;
  }
  hosted++;
  return host;
}

/**
 * Starts a child of a shared host and takes it out of the system's `children` map, where XState 5
 * keeps every started actor until it stops (the map is written, never read; xstate 5.33). Left there,
 * a connection dropped without close() would be held by the host as long as the host lives.
 * test/actors/connectionHost.test.ts checks that dropped connections are collected.
 */
export function startHosted(child: AnyActorRef): void {
  child.start();
  (child.system as { _unregister?: (actor: AnyActorRef) => void })._unregister?.(child);
  // XState reads an actor's `options` in its constructor and in start() only (input, devTools; xstate
  // 5.33). Its object spread gives every actor's options a hidden class of its own: with the input,
  // about 0.35 KiB per idle connection that nothing reads again.
  (child as unknown as { options: object }).options = STARTED_OPTIONS;
}

/** What a started hosted child keeps as its `options` (see {@link startHosted}). */
const STARTED_OPTIONS = Object.freeze({});

/** Stops a child of the shared parent (XState stops a child through its parent only). */
export function stopSharedChild(parent: AnyActorRef, child: AnyActorRef): void {
  parent.send({ type: 'azcore.stopChild', child });
}
