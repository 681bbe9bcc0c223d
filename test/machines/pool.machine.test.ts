import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, type InspectionEvent, type SnapshotFrom, transition } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import {
  initialPoolContext,
  poolMachine as machine,
  type PoolContext,
  type PoolEffect,
  type PoolEvent,
  type PoolFailure,
  type PoolInput,
  poolCounts,
  stepPool,
} from '../../machines/pool.machine.js';
import { moveSlot } from '../../machines/poolSlot.machine.js';
import {
  allTransitions,
  coverageReport,
  describeTransition,
  formatCoverage,
  recordCoverage,
} from '../support/machineCoverage.js';

type Snap = SnapshotFrom<typeof machine>;

const failure: PoolFailure = {
  kind: 'connection',
  code: 'TEAM_BUILD_FAILED',
  message: 'no server',
  retryable: true,
};
/** Events XState raises itself (the closeMembers actor settling): outside PoolEvent, yet sendable. */
const internal = (type: string, payload: Record<string, unknown> = {}): PoolEvent =>
  ({ type, ...payload }) as unknown as PoolEvent;

const ids = ['a', 'b'];
const slots = [0, 1];
const alphabet: PoolEvent[] = [
  ...ids.flatMap((requestId): PoolEvent[] => [
    { type: 'ACQUIRE', requestId },
    { type: 'CANCEL', requestId },
    ...slots.map((slot): PoolEvent => ({ type: 'BROKEN', slot, requestId })),
  ]),
  ...slots.flatMap((slot): PoolEvent[] => [
    { type: 'RELEASE', slot, healthy: true },
    { type: 'RELEASE', slot, healthy: false },
    { type: 'BUILT', slot },
    { type: 'BUILD_FAILED', slot, error: failure },
  ]),
  { type: 'CLOSE' },
  internal('xstate.done.actor.closeMembers', { output: undefined }),
  internal('xstate.error.actor.closeMembers', { error: new Error('cleanup failed') }),
];
// Only events some active node declares: an unhandled actor error event would put the actor in error.
const eventsFor = (s: Snap): PoolEvent[] => {
  if (s.status !== 'active') return [];
  const handled = new Set(s._nodes.flatMap((node) => [...node.transitions.keys()]));
  return alphabet.filter((e) => handled.has(e.type));
};
const keyOf = (s: Snap): string =>
  JSON.stringify([s.value, s.context.slots, s.context.idle, s.context.waiters]);

/** Replays events on a real actor (closeMembers never settles by itself), collecting what it emits. */
function run(input: PoolInput, events: PoolEvent[], inspect?: (e: InspectionEvent) => void) {
  const inert = machine.provide({ actors: { closeMembers: fromPromise(() => new Promise<void>(() => {})) } });
  const actor = createActor(inert, { input, ...(inspect ? { inspect } : {}) });
  const effects: PoolEffect[] = [];
  actor.on('*', (e) => effects.push(e));
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  for (const event of events) actor.send(event);
  const snapshot = actor.getSnapshot();
  actor.stop();
  return { snapshot, effects, errors };
}

describe('pool.machine: every state and transition on a path (xstate/graph)', () => {
  const configs: PoolInput[] = [
    { pool: 'g', size: 2, prewarm: 1 },
    { pool: 'g', size: 2, prewarm: 0 },
  ];

  it('the event alphabet names exactly the event types the machine declares', () => {
    const declared = new Set(allTransitions(machine).map((t) => t.event));
    expect([...new Set(alphabet.map((e) => e.type))].sort()).toEqual([...declared].sort());
  });

  it('replays every shortest path on a real actor; one step further, every transition is taken', () => {
    const coverage = recordCoverage(machine);
    const mismatches: string[] = [];
    let replayed = 0;
    for (const input of configs) {
      for (const path of getShortestPaths(machine, { input, events: eventsFor, serializeState: keyOf })) {
        const events = path.steps.slice(1).map((step) => step.event);
        const tries = [{ events, expected: keyOf(path.state) }];
        // A self-loop lies on no shortest path: also try each event from the path's end, on a live
        // actor, whenever it takes a transition no run has taken yet.
        for (const event of eventsFor(path.state)) {
          const taken = machine.getTransitionData(path.state, event).map((t) => describeTransition(t).key);
          if (taken.some((key) => !coverage.transitions.has(key))) {
            tries.push({
              events: [...events, event],
              expected: keyOf(transition(machine, path.state, event)[0]),
            });
          }
        }
        for (const t of tries) {
          replayed++;
          const { snapshot, errors } = run(input, t.events, coverage.inspect);
          expect(errors).toEqual([]);
          if (keyOf(snapshot) !== t.expected) mismatches.push(t.events.map((e) => e.type).join(' > '));
        }
      }
    }
    expect(mismatches).toEqual([]);
    const report = coverageReport(machine, coverage);
    console.log(`${formatCoverage(machine, report)}\n  ${replayed} paths replayed`);
    expect(report.unknownTransitions).toEqual([]);
    expect(report.states.missing).toEqual([]);
    expect(report.transitions.missing).toEqual([]);
  });
});

describe('pool.machine: behaviour', () => {
  const input: PoolInput = { pool: 'p', size: 2 };

  it('each event takes a named step of its own, chosen by guards alone (no reducer over every event)', () => {
    const steps = (state: 'open' | 'closing') =>
      Object.fromEntries(
        Object.entries(machine.states[state]!.on).map(([type, transitions]) => [
          type,
          transitions.map((t) =>
            t.actions.map((a) => (typeof a === 'string' ? a : (a as { type: string }).type)),
          ),
        ]),
      );
    expect(steps('open')).toEqual({
      ACQUIRE: [['enqueue']],
      CANCEL: [['dropWaiter']],
      RELEASE: [['takeBack'], ['replaceReleased']],
      BROKEN: [['replaceGranted']],
      BUILT: [['addBuilt']],
      BUILD_FAILED: [['failBuild']],
      CLOSE: [['rejectWaiters']],
    });
    expect(steps('closing')).toEqual({
      ACQUIRE: [['rejectRequest']],
      RELEASE: [['settleReleased']],
      BROKEN: [['settleBroken']],
      BUILT: [['settleBuild']],
      BUILD_FAILED: [['settleBuild']],
      'xstate.done.actor.closeMembers': [[]],
      'xstate.error.actor.closeMembers': [[]],
    });
  });

  it('stepPool is the machine itself: a step its guards refuse changes nothing', () => {
    const context = initialPoolContext({ pool: 'p', size: 1, prewarm: 0 });
    expect(stepPool(context, { type: 'RELEASE', slot: 0, healthy: true })).toEqual({ context, effects: [] });
    expect(stepPool(context, { type: 'CANCEL', requestId: 'nobody' })).toEqual({ context, effects: [] });
  });

  it('prewarms every slot by default, then grants built members first come, first served', () => {
    const { snapshot, effects } = run(input, [
      { type: 'ACQUIRE', requestId: 'a' },
      { type: 'ACQUIRE', requestId: 'b' },
      { type: 'ACQUIRE', requestId: 'c' },
      { type: 'BUILT', slot: 1 },
      { type: 'BUILT', slot: 0 },
    ]);
    expect(effects).toEqual([
      { type: 'build', slot: 0 },
      { type: 'build', slot: 1 },
      { type: 'queued', requestId: 'a', position: 0 },
      { type: 'queued', requestId: 'b', position: 1 },
      { type: 'queued', requestId: 'c', position: 2 },
      { type: 'granted', requestId: 'a', slot: 1 },
      { type: 'granted', requestId: 'b', slot: 0 },
    ]);
    expect(snapshot.context.waiters).toEqual(['c']);
    expect(poolCounts(snapshot.context)).toMatchObject({ busy: 2, waiting: 1 });
  });

  it('builds on demand only for waiters no pending build will serve', () => {
    const { effects } = run({ pool: 'p', size: 3, prewarm: 0 }, [
      { type: 'ACQUIRE', requestId: 'a' },
      { type: 'ACQUIRE', requestId: 'b' },
      { type: 'CANCEL', requestId: 'b' },
      { type: 'ACQUIRE', requestId: 'c' },
    ]);
    expect(effects.filter((e) => e.type === 'build')).toEqual([
      { type: 'build', slot: 0 },
      { type: 'build', slot: 1 },
    ]);
  });

  it('an unhealthy release is disposed and rebuilt; a broken grant re-queues its request first', () => {
    const { snapshot, effects } = run(input, [
      { type: 'BUILT', slot: 0 },
      { type: 'BUILT', slot: 1 },
      { type: 'ACQUIRE', requestId: 'a' },
      { type: 'RELEASE', slot: 0, healthy: false },
      { type: 'ACQUIRE', requestId: 'b' },
      { type: 'BROKEN', slot: 1, requestId: 'b' },
    ]);
    expect(effects.slice(2)).toEqual([
      { type: 'granted', requestId: 'a', slot: 0 },
      { type: 'dispose', slot: 0 },
      { type: 'build', slot: 0 },
      { type: 'granted', requestId: 'b', slot: 1 },
      { type: 'dispose', slot: 1 },
      { type: 'build', slot: 1 },
    ]);
    expect(snapshot.context.waiters).toEqual(['b']);
    expect(snapshot.context.slots).toEqual(['building', 'building']);
  });

  it('a failed build fails the oldest waiter instead of rebuilding forever', () => {
    const { effects, snapshot } = run({ pool: 'p', size: 1 }, [
      { type: 'ACQUIRE', requestId: 'a' },
      { type: 'ACQUIRE', requestId: 'b' },
      { type: 'BUILD_FAILED', slot: 0, error: failure },
      { type: 'BUILD_FAILED', slot: 0, error: failure },
    ]);
    expect(effects.filter((e) => e.type === 'rejected' || e.type === 'build')).toEqual([
      { type: 'build', slot: 0 },
      { type: 'rejected', requestId: 'a', reason: 'buildFailed', slot: 0, error: failure },
      { type: 'build', slot: 0 },
      { type: 'rejected', requestId: 'b', reason: 'buildFailed', slot: 0, error: failure },
    ]);
    expect(snapshot.context.slots).toEqual(['empty']);
  });

  it('CLOSE rejects every waiter; while closing, acquires are rejected and nothing is built', () => {
    const { snapshot, effects } = run({ pool: 'p', size: 1, prewarm: 0 }, [
      { type: 'ACQUIRE', requestId: 'a' },
      { type: 'CLOSE' },
      { type: 'ACQUIRE', requestId: 'b' },
      { type: 'BUILT', slot: 0 },
    ]);
    expect(snapshot.value).toBe('closing');
    expect(effects.filter((e) => e.type === 'rejected')).toEqual([
      { type: 'rejected', requestId: 'a', reason: 'closed' },
      { type: 'rejected', requestId: 'b', reason: 'closed' },
    ]);
    expect(effects.filter((e) => e.type === 'build')).toHaveLength(1);
  });
});

describe('poolSlot.machine: the only moves a slot makes', () => {
  it('moves along the drawn lifecycle and refuses anything else', () => {
    expect(moveSlot('empty', 'BUILD')).toBe('building');
    expect(moveSlot('building', 'BUILT')).toBe('idle');
    expect(moveSlot('building', 'BUILD_FAILED')).toBe('empty');
    expect(moveSlot('idle', 'LEND')).toBe('busy');
    expect(moveSlot('busy', 'RETURN')).toBe('idle');
    expect(moveSlot('busy', 'REPLACE')).toBe('building');
    expect(moveSlot('busy', 'FORGET')).toBe('empty');
    expect(() => moveSlot('idle', 'RETURN')).toThrow('a pool slot cannot RETURN when idle');
    expect(() => moveSlot('empty', 'LEND')).toThrow('a pool slot cannot LEND when empty');
  });
});

/** Random traffic against the pure step: the invariants hold after every event. */
describe('pool.machine: invariants (fast-check)', () => {
  type Op = {
    op: 'acquire' | 'cancel' | 'release' | 'broken' | 'built' | 'failed';
    n: number;
    healthy: boolean;
  };
  const opArb: fc.Arbitrary<Op> = fc.record({
    op: fc.constantFrom('acquire', 'cancel', 'release', 'broken', 'built', 'failed'),
    n: fc.nat(10),
    healthy: fc.boolean(),
  });
  const pick = <T>(xs: readonly T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);
  const slotsIn = (c: PoolContext, status: string) => c.slots.flatMap((s, i) => (s === status ? [i] : []));

  /** Turns an abstract op into an event valid in `context`, or undefined when it does not apply. */
  function eventFor({ op, n, healthy }: Op, context: PoolContext, holder: Map<number, string>, id: string) {
    const busy = pick(slotsIn(context, 'busy'), n);
    const building = pick(slotsIn(context, 'building'), n);
    const waiter = pick(context.waiters, n);
    if (op === 'acquire') return { type: 'ACQUIRE', requestId: id } as const;
    if (op === 'cancel' && waiter) return { type: 'CANCEL', requestId: waiter } as const;
    if (op === 'release' && busy !== undefined) return { type: 'RELEASE', slot: busy, healthy } as const;
    if (op === 'broken' && busy !== undefined)
      return { type: 'BROKEN', slot: busy, requestId: holder.get(busy) ?? id } as const;
    if (op === 'built' && building !== undefined) return { type: 'BUILT', slot: building } as const;
    if (op === 'failed' && building !== undefined)
      return { type: 'BUILD_FAILED', slot: building, error: failure } as const;
    return undefined;
  }

  it('serves waiters strictly in order, never twice, never beside an idle member, never past size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(opArb, { maxLength: 60 }), (size, ops) => {
        let context = initialPoolContext({ pool: 'p', size, prewarm: 0 });
        const holder = new Map<number, string>();
        let next = 0;
        for (const op of ops) {
          const event: PoolEvent | undefined = eventFor(op, context, holder, `r${next}`);
          if (!event) continue;
          if (event.type === 'ACQUIRE') next++;
          const queue =
            event.type === 'ACQUIRE'
              ? [...context.waiters, event.requestId]
              : event.type === 'BROKEN'
                ? [event.requestId, ...context.waiters]
                : context.waiters;
          const before = context;
          const { context: after, effects } = stepPool(context, event);
          context = after;
          if (event.type === 'RELEASE' || event.type === 'BROKEN') holder.delete(event.slot);

          const served = effects.flatMap((e) =>
            e.type === 'granted' || (e.type === 'rejected' && e.reason === 'buildFailed')
              ? [e.requestId]
              : [],
          );
          if (event.type !== 'CANCEL') {
            // Whoever is served (or failed) comes off the front of the queue, in order.
            expect(served).toEqual(queue.slice(0, served.length));
            expect(after.waiters).toEqual(queue.slice(served.length));
          }
          for (const e of effects) {
            if (e.type !== 'granted') continue;
            // Only a member that was idle, or that this very event freed or built, is handed out.
            const freed = 'slot' in event && event.slot === e.slot;
            expect(before.idle.includes(e.slot) || freed).toBe(true);
            expect([...holder.values()]).not.toContain(e.requestId);
            holder.set(e.slot, e.requestId);
          }
          const counts = poolCounts(after);
          expect(after.slots).toHaveLength(size);
          expect(counts.busy).toBe(holder.size);
          expect([...after.idle].sort()).toEqual(slotsIn(after, 'idle'));
          if (counts.idle > 0) expect(after.waiters).toEqual([]);
          // Builds in flight never exceed what the waiters and replacements need.
          expect(counts.building + counts.idle + counts.busy + counts.empty).toBe(size);
        }
      }),
    );
  });
});
