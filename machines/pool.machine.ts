import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import { moveSlot, type SlotStatus } from './poolSlot.machine.js';

export type { SlotStatus } from './poolSlot.machine.js';

/**
 * A bounded pool of members (agent teams) as a pure statechart. The machine owns the bookkeeping
 * (each slot's status, moved only by the slot machine in machines/poolSlot.machine.ts: empty,
 * building, idle or busy; who waits, in arrival order) and says what to do by
 * emitting effects: `build` a member, `dispose` one, `granted` a member to a request, `queued`,
 * `rejected`. The runtime (src/pool/TeamPool.ts) performs them and reports back with events, so
 * the machine never touches a team, a timer or a promise, and can be path-tested offline.
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

/** The pure step of every event the open pool handles. */
export function stepPool(context: PoolContext, event: PoolEvent): PoolStep {
  const slots = [...context.slots];
  switch (event.type) {
    case 'ACQUIRE': {
      const step = dispatch({ ...context, waiters: [...context.waiters, event.requestId] });
      const position = step.context.waiters.indexOf(event.requestId);
      if (position >= 0) step.effects.push({ type: 'queued', requestId: event.requestId, position });
      return step;
    }
    case 'CANCEL':
      return {
        context: { ...context, waiters: context.waiters.filter((id) => id !== event.requestId) },
        effects: [],
      };
    case 'RELEASE':
      if (event.healthy) {
        slots[event.slot] = moveSlot(slots[event.slot]!, 'RETURN');
        return dispatch({ ...context, slots, idle: [...context.idle, event.slot] });
      }
      slots[event.slot] = moveSlot(slots[event.slot]!, 'REPLACE');
      return dispatch({ ...context, slots }, [
        { type: 'dispose', slot: event.slot },
        { type: 'build', slot: event.slot },
      ]);
    case 'BROKEN':
      slots[event.slot] = moveSlot(slots[event.slot]!, 'REPLACE');
      return dispatch({ ...context, slots, waiters: [event.requestId, ...context.waiters] }, [
        { type: 'dispose', slot: event.slot },
        { type: 'build', slot: event.slot },
      ]);
    case 'BUILT':
      slots[event.slot] = moveSlot(slots[event.slot]!, 'BUILT');
      return dispatch({ ...context, slots, idle: [...context.idle, event.slot] });
    case 'BUILD_FAILED': {
      slots[event.slot] = moveSlot(slots[event.slot]!, 'BUILD_FAILED');
      const effects: PoolEffect[] = [];
      const waiters = [...context.waiters];
      // The oldest waiter would have had this member: it gets the failure instead of a new build.
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
    }
    case 'CLOSE':
      return {
        context: { ...context, waiters: [] },
        effects: context.waiters.map((requestId) => ({ type: 'rejected', requestId, reason: 'closed' })),
      };
  }
}

/** While closing, members only settle: nothing is granted or built; the runtime cleans everything. */
export function settleWhileClosing(context: PoolContext, event: PoolEvent): PoolStep {
  const slots = [...context.slots];
  const effects: PoolEffect[] = [];
  if (event.type === 'ACQUIRE')
    effects.push({ type: 'rejected', requestId: event.requestId, reason: 'closed' });
  if (event.type === 'BROKEN')
    effects.push({ type: 'rejected', requestId: event.requestId, reason: 'closed' });
  if (event.type === 'RELEASE' || event.type === 'BROKEN')
    slots[event.slot] = moveSlot(slots[event.slot]!, 'RETURN');
  if (event.type === 'BUILT' || event.type === 'BUILD_FAILED')
    slots[event.slot] = moveSlot(slots[event.slot]!, event.type);
  return { context: { ...context, slots }, effects };
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
    /** Applies {@link stepPool} and emits its effects. */
    step: enqueueActions(({ context, event, enqueue }) => {
      const { context: next, effects } = stepPool(context, event);
      enqueue.assign(next);
      for (const effect of effects) enqueue.emit(effect);
    }),
    /** Every member is cleaned up once closed: no slot holds one any more. */
    forgetMembers: assign({
      slots: ({ context }) => context.slots.map((status) => moveSlot(status, 'FORGET')),
      idle: () => [],
    }),
    /** Applies {@link settleWhileClosing} and emits its effects. */
    settle: enqueueActions(({ context, event, enqueue }) => {
      const { context: next, effects } = settleWhileClosing(context, event);
      enqueue.assign(next);
      for (const effect of effects) enqueue.emit(effect);
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
        ACQUIRE: { guard: 'newRequest', actions: 'step' },
        CANCEL: { guard: 'waiting', actions: 'step' },
        RELEASE: [
          { guard: 'releasedHealthy', actions: 'step' },
          { guard: 'releasedBroken', actions: 'step' },
        ],
        BROKEN: { guard: 'slotBusy', actions: 'step' },
        BUILT: { guard: 'slotBuilding', actions: 'step' },
        BUILD_FAILED: { guard: 'slotBuilding', actions: 'step' },
        CLOSE: { target: 'closing', actions: 'step' },
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
        ACQUIRE: { actions: 'settle' },
        RELEASE: { guard: 'slotBusy', actions: 'settle' },
        BROKEN: { guard: 'slotBusy', actions: 'settle' },
        BUILT: { guard: 'slotBuilding', actions: 'settle' },
        BUILD_FAILED: { guard: 'slotBuilding', actions: 'settle' },
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
