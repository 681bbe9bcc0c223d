import { assertEvent, assign, enqueueActions, fromPromise, setup, transition } from 'xstate';
import { moveSlot, type SlotStatus } from './poolSlot.machine.js';

export type { SlotStatus } from './poolSlot.machine.js';

/**
 * A bounded pool of members (agent teams) as a pure statechart. The machine owns the bookkeeping
 * (each slot's status, moved only by the slot machine in machines/poolSlot.machine.ts: empty,
 * building, idle or busy; who waits, in arrival order) and says what to do by
 * emitting effects: `build` a member, `dispose` one, `granted` a member to a request, `queued`,
 * `rejected`. The runtime (src/pool/TeamPool.ts) performs them and reports back with events, so
 * the machine never touches a team, a timer or a promise, and can be path-tested offline. Each
 * event takes a named step of its own (`enqueue`, `takeBack`, `failBuild`...); guards alone choose
 * between steps, so the chart reads like what the pool does.
 *
 * Fairness: waiters are served strictly first come, first served; a free member always goes to
 * the oldest waiter. A slot is rebuilt only for a waiter that no pending build will serve, and a
 * failed build fails the oldest waiter, so a factory that always fails cannot spin.
 */

/** JSON-safe facts of a failed build (the runtime's typed error stays with the runtime). */
export interface PoolFailure {
  kind: string;
  code: string;
  message: string;
  retryable: boolean;
}

export interface PoolContext {
  pool: string;
  /** One entry per slot; the pool never holds more members than slots. */
  slots: SlotStatus[];
  /** Idle slots, longest idle first. */
  idle: number[];
  /** Request ids waiting for a member, oldest first. */
  waiters: string[];
}

export interface PoolInput {
  pool: string;
  size: number;
  /** Members built at start (default: all `size`); the rest are built on demand. */
  prewarm?: number;
}

export type PoolEvent =
  | { type: 'ACQUIRE'; requestId: string }
  /** A waiter gave up (timeout or abort). */
  | { type: 'CANCEL'; requestId: string }
  | { type: 'RELEASE'; slot: number; healthy: boolean }
  /** The member granted to `requestId` turned out unusable: replace it, and re-queue the request first. */
  | { type: 'BROKEN'; slot: number; requestId: string }
  | { type: 'BUILT'; slot: number }
  | { type: 'BUILD_FAILED'; slot: number; error: PoolFailure }
  | { type: 'CLOSE' };

/** What the machine asks the runtime to do (XState `emit`). */
export type PoolEffect =
  | { type: 'build'; slot: number }
  | { type: 'dispose'; slot: number }
  | { type: 'granted'; requestId: string; slot: number }
  | { type: 'queued'; requestId: string; position: number }
  | { type: 'rejected'; requestId: string; reason: 'closed' }
  | { type: 'rejected'; requestId: string; reason: 'buildFailed'; slot: number; error: PoolFailure };

/** A context change and the effects it implies. */
export interface PoolStep {
  context: PoolContext;
  effects: PoolEffect[];
}

/** The initial context: `prewarm` slots building, the rest empty. */
export function initialPoolContext(input: PoolInput): PoolContext {
  const size = Math.max(1, Math.floor(input.size));
  const prewarm = Math.min(size, Math.max(0, Math.floor(input.prewarm ?? size)));
  return {
    pool: input.pool,
    slots: Array.from(
      { length: size },
      (_, i): SlotStatus => (i < prewarm ? moveSlot('empty', 'BUILD') : 'empty'),
    ),
    idle: [],
    waiters: [],
  };
}

const count = (c: PoolContext, status: SlotStatus) => c.slots.filter((s) => s === status).length;

/**
 * Hands idle members to the oldest waiters, then starts builds for waiters no pending build will
 * serve. Pure: returns a new context.
 */
export function dispatch(context: PoolContext, effects: PoolEffect[] = []): PoolStep {
  const slots = [...context.slots];
  const idle = [...context.idle];
  const waiters = [...context.waiters];
  while (waiters.length > 0 && idle.length > 0) {
    const requestId = waiters.shift()!;
    const slot = idle.shift()!;
    slots[slot] = moveSlot(slots[slot]!, 'LEND');
    effects.push({ type: 'granted', requestId, slot });
  }
  let building = slots.filter((s) => s === 'building').length;
  for (let slot = 0; slot < slots.length && waiters.length > building; slot++) {
    if (slots[slot] !== 'empty') continue;
    slots[slot] = moveSlot('empty', 'BUILD');
    building++;
    effects.push({ type: 'build', slot });
  }
  return { context: { ...context, slots, idle, waiters }, effects };
}

type EventOf<T extends PoolEvent['type']> = Extract<PoolEvent, { type: T }>;

/** Disposes the member of `slot` and builds a new one there, then serves the queue. */
function replace(context: PoolContext, slot: number, waiters = context.waiters): PoolStep {
  const slots = [...context.slots];
  slots[slot] = moveSlot(slots[slot]!, 'REPLACE');
  return dispatch({ ...context, slots, waiters }, [
    { type: 'dispose', slot },
    { type: 'build', slot },
  ]);
}

/** A member is free again in `slot` (returned healthy, or just built): it joins the idle list and serves the queue. */
function free(context: PoolContext, slot: number, move: 'RETURN' | 'BUILT'): PoolStep {
  const slots = [...context.slots];
  slots[slot] = moveSlot(slots[slot]!, move);
  return dispatch({ ...context, slots, idle: [...context.idle, slot] });
}

/**
 * What the open pool does, one pure step per named action of the machine (so the chart says which
 * step each event takes, and the guards alone choose between them).
 */
const openSteps = {
  /** ACQUIRE: granted at once, or queued (with a build when no pending build will serve it). */
  enqueue(context: PoolContext, event: EventOf<'ACQUIRE'>): PoolStep {
    const step = dispatch({ ...context, waiters: [...context.waiters, event.requestId] });
    const position = step.context.waiters.indexOf(event.requestId);
    if (position >= 0) step.effects.push({ type: 'queued', requestId: event.requestId, position });
    return step;
  },
  /** CANCEL: the waiter leaves the queue. */
  dropWaiter: (context: PoolContext, event: EventOf<'CANCEL'>): PoolStep => ({
    context: { ...context, waiters: context.waiters.filter((id) => id !== event.requestId) },
    effects: [],
  }),
  /** RELEASE, healthy. */
  takeBack: (context: PoolContext, event: EventOf<'RELEASE'>): PoolStep =>
    free(context, event.slot, 'RETURN'),
  /** RELEASE, broken. */
  replaceReleased: (context: PoolContext, event: EventOf<'RELEASE'>): PoolStep =>
    replace(context, event.slot),
  /** BROKEN: the member granted to a request was unusable; the request goes back to the head of the queue. */
  replaceGranted: (context: PoolContext, event: EventOf<'BROKEN'>): PoolStep =>
    replace(context, event.slot, [event.requestId, ...context.waiters]),
  /** BUILT. */
  addBuilt: (context: PoolContext, event: EventOf<'BUILT'>): PoolStep => free(context, event.slot, 'BUILT'),
  /** BUILD_FAILED: the oldest waiter would have had this member, so it gets the failure instead of a new build. */
  failBuild(context: PoolContext, event: EventOf<'BUILD_FAILED'>): PoolStep {
    const slots = [...context.slots];
    slots[event.slot] = moveSlot(slots[event.slot]!, 'BUILD_FAILED');
    const effects: PoolEffect[] = [];
    const waiters = [...context.waiters];
    if (waiters.length > slots.filter((s) => s === 'building').length) {
      const requestId = waiters.shift()!;
      effects.push({
        type: 'rejected',
        requestId,
        reason: 'buildFailed',
        slot: event.slot,
        error: event.error,
      });
    }
    return dispatch({ ...context, slots, waiters }, effects);
  },
  /** CLOSE: every waiter is rejected. */
  rejectWaiters: (context: PoolContext): PoolStep => ({
    context: { ...context, waiters: [] },
    effects: context.waiters.map((requestId) => ({ type: 'rejected', requestId, reason: 'closed' })),
  }),
};

/** While closing, members only settle: nothing is granted or built; the runtime cleans everything. */
const closingSteps = {
  /** ACQUIRE: rejected. */
  rejectRequest: (context: PoolContext, event: EventOf<'ACQUIRE'>): PoolStep => ({
    context,
    effects: [{ type: 'rejected', requestId: event.requestId, reason: 'closed' }],
  }),
  /** RELEASE: the member is back (closeMembers cleans it). */
  settleReleased: (context: PoolContext, event: EventOf<'RELEASE'>): PoolStep =>
    settle(context, event.slot, 'RETURN'),
  /** BROKEN: the member is back, its request rejected. */
  settleBroken: (context: PoolContext, event: EventOf<'BROKEN'>): PoolStep => ({
    context: settle(context, event.slot, 'RETURN').context,
    effects: [{ type: 'rejected', requestId: event.requestId, reason: 'closed' }],
  }),
  /** BUILT or BUILD_FAILED: the build settled (closeMembers cleans a built member). */
  settleBuild: (context: PoolContext, event: EventOf<'BUILT' | 'BUILD_FAILED'>): PoolStep =>
    settle(context, event.slot, event.type),
};

function settle(context: PoolContext, slot: number, move: 'RETURN' | 'BUILT' | 'BUILD_FAILED'): PoolStep {
  const slots = [...context.slots];
  slots[slot] = moveSlot(slots[slot]!, move);
  return { context: { ...context, slots }, effects: [] };
}

/**
 * The step the machine takes for `event` in `state`, guards included, read from the machine itself
 * (XState's pure `transition`): for tests and tools.
 */
function stepIn(state: 'open' | 'closing', context: PoolContext, event: PoolEvent): PoolStep {
  const [next, actions] = transition(poolMachine, poolMachine.resolveState({ value: state, context }), event);
  const effects = actions.flatMap((action) =>
    (action.type as string) === 'xstate.emit' ? [(action.params as { event: PoolEffect }).event] : [],
  );
  return { context: next.context, effects };
}

/** What the open pool does on `event`. */
export const stepPool = (context: PoolContext, event: PoolEvent): PoolStep => stepIn('open', context, event);

/** What the closing pool does on `event`. */
export const settleWhileClosing = (context: PoolContext, event: PoolEvent): PoolStep =>
  stepIn('closing', context, event);

/** What a named action of the machine receives (the part {@link act} uses). */
interface ActionArgs {
  context: PoolContext;
  event: PoolEvent;
  enqueue: { assign(context: PoolContext): void; emit(effect: PoolEffect): void };
}

/** The body of a named action: applies one pure step to an event of `types` and emits its effects. */
function act<T extends PoolEvent['type']>(
  { context, event, enqueue }: ActionArgs,
  types: T[],
  step: (context: PoolContext, event: EventOf<T>) => PoolStep,
): void {
  assertEvent(event, types);
  const { context: next, effects } = step(context, event as unknown as EventOf<T>);
  enqueue.assign(next);
  for (const effect of effects) enqueue.emit(effect);
}

type Guarded = { context: PoolContext; event: PoolEvent };
const slotIs =
  (status: SlotStatus) =>
  ({ context, event }: Guarded) =>
    'slot' in event && context.slots[event.slot] === status;

export const poolMachine = setup({
  types: {
    context: {} as PoolContext,
    events: {} as PoolEvent,
    input: {} as PoolInput,
    emitted: {} as PoolEffect,
  },
  actors: {
    /** Waits for builds in flight and cleans up every member; provided by the runtime. */
    closeMembers: fromPromise<void, { pool: string }>(async () => {}),
  },
  guards: {
    releasedHealthy: (a: Guarded) => slotIs('busy')(a) && a.event.type === 'RELEASE' && a.event.healthy,
    releasedBroken: (a: Guarded) => slotIs('busy')(a) && a.event.type === 'RELEASE' && !a.event.healthy,
    slotBusy: slotIs('busy'),
    /** A request id already waiting is not queued twice (the runtime never reuses ids). */
    newRequest: ({ context, event }: Guarded) =>
      event.type === 'ACQUIRE' && !context.waiters.includes(event.requestId),
    slotBuilding: slotIs('building'),
    waiting: ({ context, event }: Guarded) =>
      event.type === 'CANCEL' && context.waiters.includes(event.requestId),
  },
  actions: {
    /** Asks for the prewarm builds. */
    prewarm: enqueueActions(({ context, enqueue }) => {
      context.slots.forEach((status, slot) => {
        if (status === 'building') enqueue.emit({ type: 'build', slot });
      });
    }),
    enqueue: enqueueActions((a) => act(a, ['ACQUIRE'], openSteps.enqueue)),
    dropWaiter: enqueueActions((a) => act(a, ['CANCEL'], openSteps.dropWaiter)),
    takeBack: enqueueActions((a) => act(a, ['RELEASE'], openSteps.takeBack)),
    replaceReleased: enqueueActions((a) => act(a, ['RELEASE'], openSteps.replaceReleased)),
    replaceGranted: enqueueActions((a) => act(a, ['BROKEN'], openSteps.replaceGranted)),
    addBuilt: enqueueActions((a) => act(a, ['BUILT'], openSteps.addBuilt)),
    failBuild: enqueueActions((a) => act(a, ['BUILD_FAILED'], openSteps.failBuild)),
    rejectWaiters: enqueueActions((a) => act(a, ['CLOSE'], openSteps.rejectWaiters)),
    rejectRequest: enqueueActions((a) => act(a, ['ACQUIRE'], closingSteps.rejectRequest)),
    settleReleased: enqueueActions((a) => act(a, ['RELEASE'], closingSteps.settleReleased)),
    settleBroken: enqueueActions((a) => act(a, ['BROKEN'], closingSteps.settleBroken)),
    settleBuild: enqueueActions((a) => act(a, ['BUILT', 'BUILD_FAILED'], closingSteps.settleBuild)),
    /** Every member is cleaned up once closed: no slot holds one any more. */
    forgetMembers: assign({
      slots: ({ context }) => context.slots.map((status) => moveSlot(status, 'FORGET')),
      idle: () => [],
    }),
  },
}).createMachine({
  id: 'pool',
  context: ({ input }) => initialPoolContext(input),
  initial: 'open',
  states: {
    open: {
      entry: 'prewarm',
      on: {
        ACQUIRE: { guard: 'newRequest', actions: 'enqueue' },
        CANCEL: { guard: 'waiting', actions: 'dropWaiter' },
        RELEASE: [
          { guard: 'releasedHealthy', actions: 'takeBack' },
          { guard: 'releasedBroken', actions: 'replaceReleased' },
        ],
        BROKEN: { guard: 'slotBusy', actions: 'replaceGranted' },
        BUILT: { guard: 'slotBuilding', actions: 'addBuilt' },
        BUILD_FAILED: { guard: 'slotBuilding', actions: 'failBuild' },
        CLOSE: { target: 'closing', actions: 'rejectWaiters' },
      },
    },
    closing: {
      invoke: {
        id: 'closeMembers',
        src: 'closeMembers',
        input: ({ context }) => ({ pool: context.pool }),
        onDone: 'closed',
        onError: 'closed',
      },
      on: {
        ACQUIRE: { actions: 'rejectRequest' },
        RELEASE: { guard: 'slotBusy', actions: 'settleReleased' },
        BROKEN: { guard: 'slotBusy', actions: 'settleBroken' },
        BUILT: { guard: 'slotBuilding', actions: 'settleBuild' },
        BUILD_FAILED: { guard: 'slotBuilding', actions: 'settleBuild' },
      },
    },
    closed: { type: 'final', entry: 'forgetMembers' },
  },
});

export type PoolMachine = typeof poolMachine;

/** Members by status, derived from a context (for status views and tests). */
export function poolCounts(context: PoolContext): Record<SlotStatus, number> & { waiting: number } {
  return {
    empty: count(context, 'empty'),
    building: count(context, 'building'),
    idle: count(context, 'idle'),
    busy: count(context, 'busy'),
    waiting: context.waiters.length,
  };
}
