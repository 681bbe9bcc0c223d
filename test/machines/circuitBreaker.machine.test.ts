import { describe, expect, it } from 'vitest';
import {
  type AnyTransitionDefinition,
  createActor,
  initialTransition,
  SimulatedClock,
  transition,
} from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import {
  breakerConfigProblems,
  breakerDefaults,
  type CircuitBreakerEvent,
  type CircuitBreakerInput,
  circuitBreakerMachine as machine,
  resumeBreakerSnapshot,
} from '../../machines/index.js';

type Snap = ReturnType<typeof initialTransition<typeof machine>>[0];

const input: CircuitBreakerInput = {
  strategy: { kind: 'consecutive', threshold: 2 },
  successThreshold: 2,
  resetTimeoutMs: 1000,
  halfOpenMaxProbes: 2,
};

// The `after` transition's event, taken from the machine so a renamed delay cannot desync the test.
const afterEventType = machine.states.open!.after[0]!.eventType;

/** A bounded event alphabet: three instants keep the context space (and so the graph) finite. */
function eventsFor(): CircuitBreakerEvent[] {
  const events: CircuitBreakerEvent[] = [{ type: 'RELEASE' }, { type: 'ISOLATE' }, { type: 'RESET' }];
  for (const at of [0, 1000, 2000]) {
    events.push({ type: 'PROBE', at }, { type: 'RESUME', at }, { type: 'TRIP', at });
    // A fleet verdict dated before it arrives.
    if (at > 0) events.push({ type: 'TRIP', at, openedAt: at - 1000 });
    for (const probe of [undefined, false]) {
      events.push(
        probe === undefined ? { type: 'SUCCESS', at } : { type: 'SUCCESS', at, probe },
        probe === undefined ? { type: 'FAILURE', at } : { type: 'FAILURE', at, probe },
      );
    }
  }
  // Not a public event: it is how the delayed transition arrives.
  events.push({ type: afterEventType } as unknown as CircuitBreakerEvent);
  return events;
}

function label(t: AnyTransitionDefinition): string {
  const siblings = t.source.transitions.get(t.eventType) ?? [];
  return `${t.source.key} --${t.eventType}#${siblings.indexOf(t)}--> ${t.target?.[0]?.key ?? '(self)'}`;
}

function allTransitions(): Set<string> {
  const labels = new Set<string>();
  for (const node of Object.values(machine.states)) {
    for (const list of node.transitions.values()) for (const t of list) labels.add(label(t));
  }
  return labels;
}

const at = (snapshot: Snap, event: CircuitBreakerEvent): Snap => transition(machine, snapshot, event)[0];
const start = (overrides: CircuitBreakerInput = {}): Snap =>
  initialTransition(machine, { ...input, ...overrides })[0];
const fail = (s: Snap, when: number, n = 1): Snap => {
  for (let i = 0; i < n; i++) s = at(s, { type: 'FAILURE', at: when });
  return s;
};

describe('circuitBreaker.machine: graph coverage', () => {
  const events = eventsFor();
  const paths = getShortestPaths(machine, { input, events });

  it('reaches every state by a shortest path', () => {
    const reached = new Set(paths.map((p) => String(p.state.value)));
    expect([...reached].sort()).toEqual(Object.keys(machine.states).sort());
  });

  it('takes every transition from the end of some shortest path', () => {
    const taken = new Set<string>();
    for (const path of paths) {
      for (const event of events) {
        for (const t of machine.getTransitionData(path.state, event)) taken.add(label(t));
      }
    }
    // Guarded alternatives of one event are separate transitions, each needing its own path.
    expect([...taken].sort()).toEqual([...allTransitions()].sort());
    expect(taken).toContain(`open --${afterEventType}#0--> halfOpen`);
  });

  it('replays every path on a live actor to the same state and context', () => {
    for (const path of paths) {
      const actor = createActor(machine, { input, clock: new SimulatedClock() }).start();
      for (const step of path.steps.slice(1)) actor.send(step.event);
      expect(actor.getSnapshot().value).toBe(path.state.value);
      expect(actor.getSnapshot().context).toEqual(path.state.context);
      actor.stop();
    }
  });
});

describe('circuitBreaker.machine: behaviour', () => {
  it('uses production defaults when given no input', () => {
    const { context } = initialTransition(machine, {})[0];
    expect(context).toMatchObject({
      strategy: { kind: 'consecutive', threshold: 5 },
      successThreshold: 2,
      resetTimeoutMs: 30_000,
      halfOpenMaxProbes: 1,
      probesInFlight: 0,
    });
  });

  it('opens on the threshold-th consecutive failure and stamps openedAt', () => {
    let s = fail(start(), 5);
    expect(s.value).toBe('closed');
    s = fail(s, 7);
    expect(s.value).toBe('open');
    expect(s.context.openedAt).toBe(7);
  });

  it('a success between failures resets the consecutive count', () => {
    let s = fail(start(), 0);
    s = at(s, { type: 'SUCCESS', at: 0 });
    expect(fail(s, 0).value).toBe('closed');
  });

  it('moves open -> halfOpen after resetTimeoutMs on the actor clock', () => {
    const clock = new SimulatedClock();
    const actor = createActor(machine, { input, clock }).start();
    actor.send({ type: 'FAILURE', at: 0 });
    actor.send({ type: 'FAILURE', at: 0 });
    clock.increment(999);
    expect(actor.getSnapshot().value).toBe('open');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('halfOpen');
    actor.stop();
  });

  it('a probe after the reset time moves open -> halfOpen even without the timer', () => {
    const s = fail(start(), 0, 2);
    expect(at(s, { type: 'PROBE', at: 999 }).value).toBe('open');
    const probing = at(s, { type: 'PROBE', at: 1000 });
    expect(probing.value).toBe('halfOpen');
    expect(probing.context).toMatchObject({ probesInFlight: 1, lastProbeAt: 1000 });
  });

  it('RESUME re-arms the timer of a restored open snapshot for the time left only', () => {
    const persisted = createActor(machine, { input }).start();
    persisted.send({ type: 'FAILURE', at: 0 });
    persisted.send({ type: 'FAILURE', at: 0 });
    const snapshot = persisted.getPersistedSnapshot();
    persisted.stop();

    const clock = new SimulatedClock();
    clock.set(600);
    const actor = createActor(machine, { input, clock, snapshot }).start();
    actor.send({ type: 'RESUME', at: 600 });
    clock.increment(399);
    expect(actor.getSnapshot().value).toBe('open');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('halfOpen');
    actor.stop();
  });

  it('halfOpen admits at most halfOpenMaxProbes until a lease expires', () => {
    let s = at(fail(start(), 0, 2), { type: 'PROBE', at: 1000 });
    s = at(s, { type: 'PROBE', at: 1500 });
    expect(s.context.probesInFlight).toBe(2);
    const refused = at(s, { type: 'PROBE', at: 2499 });
    expect(refused.context).toEqual(s.context);
    const reclaimed = at(s, { type: 'PROBE', at: 2500 });
    expect(reclaimed.context).toMatchObject({ probesInFlight: 1, lastProbeAt: 2500 });
  });

  it('closes after successThreshold probe successes and forgets the past', () => {
    let s = at(fail(start(), 0, 2), { type: 'PROBE', at: 1000 });
    s = at(s, { type: 'SUCCESS', at: 1001 });
    expect(s.value).toBe('halfOpen');
    expect(s.context).toMatchObject({ halfOpenSuccesses: 1, probesInFlight: 0 });
    s = at(at(s, { type: 'PROBE', at: 1002 }), { type: 'SUCCESS', at: 1003 });
    expect(s.value).toBe('closed');
    expect(s.context).toMatchObject({
      strategyState: { failures: 0 },
      openedAt: undefined,
      halfOpenSuccesses: 0,
    });
  });

  it('a probe failure re-opens with a fresh openedAt', () => {
    const s = fail(at(fail(start(), 0, 2), { type: 'PROBE', at: 1000 }), 1200);
    expect(s.value).toBe('open');
    expect(s.context.openedAt).toBe(1200);
  });

  it('halfOpen ignores late outcomes of calls admitted while closed', () => {
    const s = at(fail(start(), 0, 2), { type: 'PROBE', at: 1000 });
    expect(at(s, { type: 'FAILURE', at: 1001, probe: false })).toBe(s);
    expect(at(s, { type: 'SUCCESS', at: 1001, probe: false })).toBe(s);
  });

  it('TRIP opens as of its instant from closed, halfOpen and open (a fleet verdict)', () => {
    const closed = at(start(), { type: 'TRIP', at: 500 });
    expect(closed.value).toBe('open');
    expect(closed.context.openedAt).toBe(500);
    const half = at(at(fail(start(), 0, 2), { type: 'PROBE', at: 1000 }), { type: 'TRIP', at: 1500 });
    expect(half.value).toBe('open');
    expect(half.context).toMatchObject({ openedAt: 1500, probesInFlight: 0 });
    expect(at(fail(start(), 0, 2), { type: 'TRIP', at: 700 }).context.openedAt).toBe(700);
  });

  it('TRIP dated before it arrives opens as of openedAt and arms the timer for the time left after at', () => {
    const clock = new SimulatedClock();
    clock.set(1500);
    const actor = createActor(machine, { input, clock }).start();
    actor.send({ type: 'TRIP', at: 1500, openedAt: 1000 });
    expect(actor.getSnapshot().context.openedAt).toBe(1000);
    clock.increment(499);
    expect(actor.getSnapshot().value).toBe('open');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('halfOpen');
    actor.stop();
  });

  it('isolated ignores everything but RESET', () => {
    const s = at(start(), { type: 'ISOLATE' });
    expect(s.value).toBe('isolated');
    for (const e of eventsFor().filter((e) => e.type !== 'RESET')) expect(at(s, e).value).toBe('isolated');
    expect(at(s, { type: 'RESET' }).value).toBe('closed');
  });
});

describe('circuitBreaker.machine: configuration and snapshots', () => {
  it('lists every invalid setting by option name', () => {
    expect(breakerConfigProblems(breakerDefaults)).toEqual([]);
    const bad = {
      ...breakerDefaults,
      successThreshold: 0,
      halfOpenMaxProbes: -1,
      resetTimeoutMs: Number.NaN,
    };
    expect(breakerConfigProblems(bad).map((p) => p.option)).toEqual([
      'successThreshold',
      'halfOpenMaxProbes',
      'resetTimeoutMs',
    ]);
  });

  it('resumes a persisted snapshot under new settings and refuses anything else', () => {
    const actor = createActor(machine, { input }).start();
    actor.send({ type: 'FAILURE', at: 0 });
    const config = { ...breakerDefaults, resetTimeoutMs: 5 };
    const resumed = resumeBreakerSnapshot(actor.getPersistedSnapshot(), config) as Snap;
    expect(resumed.context).toMatchObject({
      resetTimeoutMs: 5,
      strategyState: { kind: 'consecutive', failures: 1 },
    });
    expect(
      resumeBreakerSnapshot({ status: 'active', output: undefined, error: undefined }, config),
    ).toBeUndefined();
    actor.stop();
  });
});
