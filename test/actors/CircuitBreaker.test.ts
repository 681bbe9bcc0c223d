import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { BreakerStrategyConfig } from '../../machines/index.js';
import {
  type BreakerPermit,
  CircuitBreaker,
  type CircuitBreakerOptions,
} from '../../src/actors/CircuitBreaker.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { CircuitOpenError, isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { ToolError } from '../../src/errors/ToolError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { BreakerTransitioned, RuntimeEvent } from '../../src/events/RuntimeEvent.js';

const RESET = 30_000;

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = new SimulatedClock();
  const bus = new EventBus();
  const events: RuntimeEvent[] = [];
  bus.events$.subscribe((e) => events.push(e));
  const breaker = new CircuitBreaker({
    id: 'github',
    strategy: { kind: 'consecutive', threshold: 3 },
    resetTimeoutMs: RESET,
    clock,
    bus,
    ...options,
  });
  const transitions = () =>
    events
      .filter((e): e is BreakerTransitioned => e.type === 'breaker.transition')
      .map((e) => `${e.from}>${e.to}`);
  return { clock, bus, events, breaker, transitions };
}

/** The permit of one admitted call (fails the test when the breaker rejects it). */
function permit(breaker: CircuitBreaker): BreakerPermit {
  const p = breaker.acquire();
  if (isCircuitOpenError(p)) throw new Error(`expected a permit, got: ${p.message}`);
  return p;
}

/** Admits and fails `n` calls. */
function failTimes(breaker: CircuitBreaker, n: number): void {
  for (let i = 0; i < n; i++) permit(breaker).failure();
}

function rejection(breaker: CircuitBreaker): CircuitOpenError {
  const e = breaker.acquire();
  expect(e).toBeInstanceOf(CircuitOpenError);
  return e as CircuitOpenError;
}

describe('CircuitBreaker', () => {
  it('starts closed with production defaults', () => {
    const breaker = new CircuitBreaker({ id: 'd', clock: new SimulatedClock() });
    expect(breaker.state).toBe('closed');
    expect(breaker.actor.getSnapshot().context).toMatchObject({
      strategy: { kind: 'consecutive', threshold: 5 },
      successThreshold: 2,
      resetTimeoutMs: 30_000,
      halfOpenMaxProbes: 1,
    });
    breaker.stop();
  });

  it('closed hot path: acquire and a no-op success never send to the actor', () => {
    const sent: string[] = [];
    const { breaker } = setup({
      inspect: (e) => {
        if (e.type === '@xstate.event' && !e.event.type.startsWith('xstate.')) sent.push(e.event.type);
      },
    });
    for (let i = 0; i < 100; i++) permit(breaker).success();
    expect(sent).toEqual([]);
    permit(breaker).failure();
    permit(breaker).success();
    expect(sent).toEqual(['FAILURE', 'SUCCESS']);
  });

  it('opens at the threshold and emits breaker.transition with retryAt from the clock', () => {
    const { breaker, clock, events } = setup();
    clock.set(1_000);
    failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAt).toBe(1_000 + RESET);
    expect(events).toEqual([
      {
        type: 'breaker.transition',
        at: 1_000,
        source: 'breaker:github',
        breaker: 'github',
        from: 'closed',
        to: 'open',
        retryAt: 1_000 + RESET,
      },
    ]);
  });

  it.each([
    [{ kind: 'consecutive', threshold: 4 }, 'SFFFF'],
    [{ kind: 'count', threshold: 3, size: 5 }, 'SFSFSF'],
    [{ kind: 'sampling', ratio: 0.5, windowMs: 60_000, minThroughput: 4 }, 'FSFSSF'],
  ] as [BreakerStrategyConfig, string][])(
    '%j opens on exactly the last outcome of %s',
    (strategy, outcomes) => {
      const { breaker, clock } = setup({ strategy });
      for (const [i, o] of [...outcomes].entries()) {
        expect(breaker.state).toBe('closed');
        const p = permit(breaker);
        clock.increment(100);
        if (o === 'F') p.failure();
        else p.success();
        expect(breaker.state).toBe(i === outcomes.length - 1 ? 'open' : 'closed');
      }
    },
  );

  it('rejects while open with a CircuitOpenError that says when the next probe is allowed', () => {
    const { breaker, clock } = setup();
    failTimes(breaker, 3);
    clock.increment(10_000);
    const e = rejection(breaker);
    expect(e).toMatchObject({ kind: 'circuitOpen', breakerState: 'open', retryAt: RESET, retryable: false });
    expect(e.message).toContain(new Date(RESET).toISOString());
    expect(e.message).toContain('in 20000 ms');
  });

  it('a rejection storm: a fresh error each time, its text up to date with the clock and the state', () => {
    const { breaker, clock } = setup({ server: 'gh' });
    failTimes(breaker, 3);
    const first = rejection(breaker);
    const again = rejection(breaker);
    expect(again).not.toBe(first); // the text is reused, the error is not
    expect(again.message).toBe(first.message);
    expect(first.message).toBe(
      `[gh] Circuit breaker 'github' is open: calls fail fast until the next probe is allowed at ${new Date(RESET).toISOString()} (in 30000 ms).`,
    );
    // No stack frames (a rejection always comes from acquire()); the message says everything.
    expect(first.stack).toBe(`CircuitOpenError: ${first.message}`);
    clock.increment(1);
    expect(rejection(breaker).message).toContain('(in 29999 ms)');
    breaker.isolate();
    expect(rejection(breaker)).toMatchObject({
      breakerState: 'isolated',
      retryAt: undefined,
      server: 'gh',
      message: "[gh] Circuit breaker 'github' is isolated by hand: no call is admitted until reset().",
    });
    breaker.reset();
    failTimes(breaker, 3);
    expect(rejection(breaker).message).toContain(`${new Date(RESET + 1).toISOString()} (in ${RESET} ms)`);
  });

  it('moves to halfOpen when the reset timeout elapses on the clock', () => {
    const { breaker, clock, transitions, events } = setup();
    failTimes(breaker, 3);
    clock.increment(RESET - 1);
    expect(breaker.state).toBe('open');
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
    expect(transitions()).toEqual(['closed>open', 'open>halfOpen']);
    expect(events[1]).toEqual({
      type: 'breaker.transition',
      at: RESET,
      source: 'breaker:github',
      breaker: 'github',
      from: 'open',
      to: 'halfOpen',
    });
  });

  it('halfOpen admits halfOpenMaxProbes probes; extra callers get retryAt = the probe lease expiry', () => {
    const { breaker, clock } = setup({ halfOpenMaxProbes: 2 });
    failTimes(breaker, 3);
    clock.increment(RESET);
    const first = permit(breaker);
    clock.increment(5);
    permit(breaker);
    const e = rejection(breaker);
    expect(e).toMatchObject({ breakerState: 'halfOpen', retryAt: RESET + 5 + RESET });
    expect(e.message).toMatch(/half-open.*probe/);
    expect(breaker.retryAt).toBe(RESET + 5 + RESET);
    first.release();
    expect(breaker.retryAt).toBeUndefined();
    permit(breaker);
  });

  it('closes after successThreshold probe successes; a probe failure re-opens with a fresh openedAt', () => {
    const { breaker, clock, transitions } = setup();
    failTimes(breaker, 3);
    clock.increment(RESET);
    permit(breaker).failure();
    expect(breaker.state).toBe('open');
    expect(breaker.retryAt).toBe(2 * RESET);
    clock.increment(RESET);
    for (let i = 0; i < 2; i++) permit(breaker).success();
    expect(breaker.state).toBe('closed');
    expect(transitions()).toEqual([
      'closed>open',
      'open>halfOpen',
      'halfOpen>open',
      'open>halfOpen',
      'halfOpen>closed',
    ]);
  });

  it('persists: a restored open breaker stays open only for the time left', () => {
    const first = setup();
    failTimes(first.breaker, 3);
    const saved = JSON.parse(JSON.stringify(first.breaker.getPersistedSnapshot()));
    first.breaker.stop();

    const clock = new SimulatedClock();
    clock.set(12_000);
    const bus = new EventBus();
    const events: RuntimeEvent[] = [];
    bus.events$.subscribe((e) => events.push(e));
    const breaker = new CircuitBreaker({ id: 'github', resetTimeoutMs: RESET, clock, bus, snapshot: saved });
    expect(breaker.state).toBe('open');
    expect(breaker.retryAt).toBe(RESET);
    clock.increment(RESET - 12_000 - 1);
    expect(breaker.state).toBe('open');
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
    expect(events).toMatchObject([{ type: 'breaker.transition', from: 'open', to: 'halfOpen', at: RESET }]);
  });

  it('persists: a breaker restored after its reset time probes at once', () => {
    const first = setup();
    failTimes(first.breaker, 3);
    const clock = new SimulatedClock();
    clock.set(RESET + 1);
    const breaker = new CircuitBreaker({
      id: 'github',
      clock,
      snapshot: first.breaker.getPersistedSnapshot(),
    });
    expect(breaker.state).toBe('halfOpen');
    expect(permit(breaker).probe).toBe(true);
  });

  it("restoring takes today's settings and drops a strategy state of another kind", () => {
    const first = setup();
    failTimes(first.breaker, 2);
    const breaker = new CircuitBreaker({
      id: 'github',
      clock: new SimulatedClock(),
      strategy: { kind: 'count', threshold: 2, size: 4 },
      snapshot: first.breaker.getPersistedSnapshot(),
    });
    expect(breaker.actor.getSnapshot().context).toMatchObject({
      strategy: { kind: 'count' },
      strategyState: { kind: 'count', history: '' },
    });
    expect(
      () => new CircuitBreaker({ id: 'x', snapshot: { status: 'done', output: 1, error: undefined } }),
    ).toThrow(/'snapshot'/);
  });

  it('execute runs admitted calls, records outcomes and throws CircuitOpenError when rejected', async () => {
    const { breaker } = setup();
    await expect(breaker.execute(async () => 42)).resolves.toBe(42);
    const boom = new Error('ECONNRESET');
    for (let i = 0; i < 3; i++) await expect(breaker.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(breaker.state).toBe('open');
    await expect(breaker.execute(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('execute: tool errors count as successes, cancellations as nothing, isFailure overrides', async () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', threshold: 1 } });
    const tool = new ToolError('tool said no', {});
    await expect(breaker.execute(() => Promise.reject(tool))).rejects.toBe(tool);
    await expect(breaker.execute(() => Promise.reject(new CancelledError('stop', {})))).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    await expect(breaker.execute(() => Promise.reject(tool), { isFailure: () => true })).rejects.toBe(tool);
    expect(breaker.state).toBe('open');
  });

  it('execute: a cancelled probe frees its slot; a late result from a closed-era call settles nothing', async () => {
    const { breaker, clock } = setup({ strategy: { kind: 'consecutive', threshold: 1 } });
    let finishSlow!: () => void;
    const slow = breaker.execute(() => new Promise<void>((resolve) => (finishSlow = resolve)));
    failTimes(breaker, 1);
    clock.increment(RESET);
    await expect(breaker.execute(() => Promise.reject(new CancelledError('stop', {})))).rejects.toThrow();
    expect(breaker.actor.getSnapshot().context.probesInFlight).toBe(0);
    permit(breaker);
    finishSlow();
    await slow;
    expect(breaker.actor.getSnapshot().context).toMatchObject({ probesInFlight: 1, halfOpenSuccesses: 0 });
  });

  it('isolate holds the circuit open until reset', () => {
    const { breaker, clock, transitions } = setup();
    breaker.isolate();
    const e = rejection(breaker);
    expect(e).toMatchObject({ breakerState: 'isolated', retryAt: undefined });
    expect(e.message).toContain('reset()');
    clock.increment(10 * RESET);
    expect(breaker.state).toBe('isolated');
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(transitions()).toEqual(['closed>isolated', 'isolated>closed']);
  });

  it('state$ replays the current state, then each change, and completes on stop', () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', threshold: 1 } });
    const seen: string[] = [];
    let completed = false;
    breaker.state$.subscribe({ next: (s) => seen.push(s), complete: () => (completed = true) });
    failTimes(breaker, 1);
    breaker.reset();
    breaker.stop();
    expect(seen).toEqual(['closed', 'open', 'closed']);
    expect(completed).toBe(true);
    expect(() => permit(breaker).failure()).not.toThrow();
  });

  it('state$ read first after changes starts from the state then; read after stop, it completes at once', () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', threshold: 1 } });
    failTimes(breaker, 1);
    const seen: string[] = [];
    breaker.state$.subscribe((s) => seen.push(s));
    breaker.stop();
    let completed = false;
    breaker.state$.subscribe({ complete: () => (completed = true) });
    expect({ seen, completed }).toEqual({ seen: ['open'], completed: true });
  });

  it('onState tells what state$ tells, before state$ subscribers; unsubscribed, it tells nothing more', () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', threshold: 1 } });
    const order: string[] = [];
    let completed = 0;
    breaker.state$.subscribe((s) => order.push(`state$:${s}`));
    const stop = breaker.onState({ next: (s) => order.push(`onState:${s}`), complete: () => completed++ });
    const dropped: string[] = [];
    breaker.onState({ next: (s) => dropped.push(s) })();
    failTimes(breaker, 1);
    breaker.reset();
    breaker.stop();
    stop();
    const late: string[] = [];
    breaker.onState({ next: (s) => late.push(s), complete: () => completed++ });
    expect(order).toEqual([
      'state$:closed',
      'onState:closed',
      'onState:open',
      'state$:open',
      'onState:closed',
      'state$:closed',
    ]);
    expect({ dropped, late, completed }).toEqual({ dropped: ['closed'], late: ['closed'], completed: 2 });
  });

  it('passes the inspect observer to the actor', () => {
    const inspected: string[] = [];
    const { breaker } = setup({ inspect: (e) => inspected.push(e.type) });
    permit(breaker).failure();
    expect(inspected).toContain('@xstate.snapshot');
    expect(inspected).toContain('@xstate.event');
  });

  it.each([
    [{ id: '' }, 'id'],
    [{ strategy: { kind: 'consecutive', threshold: 0 } }, 'strategy.threshold'],
    [{ strategy: { kind: 'count', threshold: 3, size: 2 } }, 'strategy.size'],
    [{ strategy: { kind: 'sampling', ratio: 1.2, windowMs: 1000, minThroughput: 5 } }, 'strategy.ratio'],
    [{ strategy: { kind: 'sampling', ratio: 0.5, windowMs: -1, minThroughput: 5 } }, 'strategy.windowMs'],
    [{ successThreshold: 0 }, 'successThreshold'],
    [{ halfOpenMaxProbes: 1.5 }, 'halfOpenMaxProbes'],
    [{ resetTimeoutMs: 2 ** 31 }, 'resetTimeoutMs'],
  ] as [Partial<CircuitBreakerOptions>, string][])('rejects invalid %j naming %s', (bad, option) => {
    const make = () => new CircuitBreaker({ id: 'x', ...bad });
    expect(make).toThrow(ConfigurationError);
    expect(make).toThrow(`'${option}'`);
  });
});

describe('CircuitBreaker properties', () => {
  it('never has more than halfOpenMaxProbes probes outstanding in halfOpen', () => {
    const op = fc.constantFrom('admit', 'success', 'failure', 'release');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const { breaker, clock } = setup({ halfOpenMaxProbes: max, successThreshold: 3 });
        failTimes(breaker, 3);
        clock.increment(RESET);
        const outstanding: BreakerPermit[] = [];
        for (const o of ops) {
          if (breaker.state !== 'halfOpen') break;
          if (o === 'admit') {
            const p = breaker.acquire();
            if (!isCircuitOpenError(p)) outstanding.push(p);
          } else {
            const p = outstanding.pop();
            if (o === 'success') p?.success();
            else if (o === 'failure') p?.failure();
            else p?.release();
          }
          if (breaker.state === 'halfOpen') expect(outstanding.length).toBeLessThanOrEqual(max);
        }
        breaker.stop();
      }),
    );
  });

  it('opens exactly when the consecutive threshold is reached', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        (threshold, oks) => {
          const { breaker } = setup({ strategy: { kind: 'consecutive', threshold } });
          let run = 0;
          for (const ok of oks) {
            const p = permit(breaker);
            if (ok) p.success();
            else p.failure();
            run = ok ? 0 : run + 1;
            expect(breaker.state).toBe(run >= threshold ? 'open' : 'closed');
            if (run >= threshold) break;
          }
          breaker.stop();
        },
      ),
    );
  });

  it('closes after exactly successThreshold probe successes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), (k, max) => {
        const { breaker, clock } = setup({ successThreshold: k, halfOpenMaxProbes: max });
        failTimes(breaker, 3);
        clock.increment(RESET);
        for (let i = 1; i <= k; i++) {
          expect(breaker.state).toBe('halfOpen');
          permit(breaker).success();
        }
        expect(breaker.state).toBe('closed');
        breaker.stop();
      }),
    );
  });
});

describe('CircuitBreaker: the actor is created on first need', () => {
  const strategies: BreakerStrategyConfig[] = [
    { kind: 'consecutive', threshold: 3 },
    { kind: 'count', threshold: 2, size: 4 },
  ];
  /** One script of outcomes, resets, isolation and time, recorded as states, events and snapshots. */
  function run(strategy: BreakerStrategyConfig, touchActorAtOnce: boolean, peek: boolean) {
    const { clock, events, breaker } = setup({ strategy });
    if (touchActorAtOnce) expect(breaker.actor.getSnapshot().value).toBe('closed');
    const seen: unknown[] = [];
    const record = (label: string) =>
      // Reading the actor (a snapshot) would create it: only the end of the script persists one.
      seen.push([label, breaker.state, breaker.retryAt, breaker.openedAt]);
    const states: string[] = [];
    breaker.state$.subscribe((s) => states.push(s));
    permit(breaker).success();
    permit(breaker).release();
    breaker.reset();
    breaker.applyClose();
    record('idle');
    permit(breaker).success();
    permit(breaker).failure(new ToolError('the server answered', { server: 'github' }));
    record('answered');
    // What the successes left in the strategy's state (this creates the actor when it is missing).
    if (peek) seen.push(breaker.getPersistedSnapshot());
    for (let i = 0; i < 6 && breaker.state === 'closed'; i++) permit(breaker).failure();
    record('failed');
    clock.increment(RESET);
    permit(breaker).success();
    permit(breaker).success();
    record('probed');
    breaker.isolate();
    rejection(breaker);
    breaker.reset();
    record('reset');
    seen.push(breaker.getPersistedSnapshot());
    return { seen, states, events: events.map(({ at, type, ...rest }) => ({ at, type, ...rest })) };
  }

  for (const strategy of strategies) {
    it(`${strategy.kind}: same states, events, errors and snapshots as a breaker whose actor is read at once`, () => {
      for (const peek of [false, true]) {
        const lazy = run(strategy, false, peek);
        expect(lazy).toEqual(run(strategy, true, peek));
        expect(lazy.states).toContain('open');
      }
    });
  }

  it('an idle breaker reads as the machine initial state, and a stopped one hands out a stopped actor', () => {
    const { breaker } = setup();
    expect([breaker.state, breaker.retryAt, breaker.openedAt]).toEqual(['closed', undefined, undefined]);
    const fresh = new CircuitBreaker({
      id: 'fresh',
      resetTimeoutMs: RESET,
      strategy: { kind: 'consecutive', threshold: 3 },
    });
    expect(breaker.getPersistedSnapshot()).toEqual(fresh.actor.getPersistedSnapshot());
    breaker.stop();
    const done = new CircuitBreaker({ id: 'done' });
    done.stop();
    expect(done.actor.getSnapshot().status).toBe('stopped');
    expect(done.acquire()).not.toBeInstanceOf(CircuitOpenError);
  });

  it('with an inspector the actor exists from the start: the inspector sees it before any call', () => {
    const actors: string[] = [];
    const breaker = new CircuitBreaker({
      id: 'seen',
      clock: new SimulatedClock(),
      inspect: (e) => {
        if (e.type === '@xstate.actor') actors.push(e.actorRef.sessionId);
      },
    });
    expect(actors).toHaveLength(1);
    expect(actors[0]).toBe(breaker.actor.sessionId);
  });
});
