import { setup, transition } from 'xstate';

/**
 * One slot of a pool (machines/pool.machine.ts): where its member is. The pool moves every slot
 * with this machine's transition function ({@link moveSlot}), so a slot makes only the moves drawn
 * here; the pool itself decides which slot moves when (fairness, how many builds).
 */

/** Where a slot is: no member, member being built, member free, member handed out. */
export type SlotStatus = 'empty' | 'building' | 'idle' | 'busy';

export type SlotEvent =
  | { type: 'BUILD' }
  | { type: 'BUILT' }
  | { type: 'BUILD_FAILED' }
  /** Handed out to a request. */
  | { type: 'LEND' }
  /** Given back healthy (or, once the pool is closing, given back at all). */
  | { type: 'RETURN' }
  /** Given back broken, or found broken when handed out: disposed and built anew. */
  | { type: 'REPLACE' }
  /** The pool closed and cleaned every member up. */
  | { type: 'FORGET' };

export const poolSlotMachine = setup({
  types: { events: {} as SlotEvent },
}).createMachine({
  id: 'poolSlot',
  initial: 'empty',
  on: { FORGET: '.empty' },
  states: {
    empty: { on: { BUILD: 'building' } },
    building: { on: { BUILT: 'idle', BUILD_FAILED: 'empty' } },
    idle: { on: { LEND: 'busy' } },
    busy: { on: { RETURN: 'idle', REPLACE: 'building' } },
  },
});

/** The status a slot moves to on `type`; throws on a move the slot machine does not allow. */
export function moveSlot(status: SlotStatus, type: SlotEvent['type']): SlotStatus {
  const from = poolSlotMachine.resolveState({ value: status, context: undefined });
  const next = transition(poolSlotMachine, from, { type })[0].value as SlotStatus;
  if (next === status && type !== 'FORGET') throw new Error(`a pool slot cannot ${type} when ${status}`);
  return next;
}
