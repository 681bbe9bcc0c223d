import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type InspectionEvent, SimulatedClock } from 'xstate';
import { circuitBreakerMachine } from '../../machines/index.js';
import {
  type BreakerPermit,
  CircuitBreaker,
  type CircuitBreakerOptions,
} from '../../src/actors/CircuitBreaker.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { type CircuitOpenError, isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { ToolError } from '../../src/errors/ToolError.js';

const RESET = 30_000;

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = new SimulatedClock();
  const sent: string[] = [];
  const inspect = (e: InspectionEvent) => {
    if (e.type === '@xstate.event' && !e.event.type.startsWith('xstate.')) sent.push(e.event.type);
  };
  const breaker = new CircuitBreaker({
    id: 'github',
    strategy: { kind: 'consecutive', threshold: 3 },
    resetTimeoutMs: RESET,
    clock,
    inspect,
    ...options,
  });
  return { clock, breaker, sent };
}

function permit(breaker: CircuitBreaker): BreakerPermit {
  const p = breaker.acquire();
  if (isCircuitOpenError(p)) throw new Error(`expected a permit, got ${p.message}`);
  return p;
}

function rejection(breaker: CircuitBreaker): CircuitOpenError {
  const p = breaker.acquire();
  if (!isCircuitOpenError(p)) throw new Error('expected a rejection');
  return p;
}

function trip(breaker: CircuitBreaker, clock: SimulatedClock): void {
  for (let i = 0; i < 3; i++) permit(breaker).failure();
  expect(breaker.state).toBe('open');
  clock.increment(RESET);
}

describe('BreakerPermit', () => {
  it('while closed: a permit per call, no probe, and a no-op success sends nothing to the actor', () => {
    const { breaker, sent } = setup();
    for (let i = 0; i < 100; i++) {
      const p = permit(breaker);
      expect(p.probe).toBe(false);
      p.success();
    }
    expect(sent).toEqual([]);
    permit(breaker).failure();
    permit(breaker).success();
    expect(sent).toEqual(['FAILURE', 'SUCCESS']);
  });

  it('reports once: the first of success, failure or release counts, later ones are ignored', () => {
    const { breaker } = setup();
    const p = permit(breaker);
    expect(p.failure()).toBe('failure');
    expect(p.failure()).toBe('none');
    p.success();
    p.release();
    permit(breaker).failure();
    expect(breaker.state).toBe('closed'); // two failures counted, not four
    permit(breaker).failure();
    expect(breaker.state).toBe('open');
  });

  it('failure(error) is judged by breakerVerdict: failure, success (the server answered) or nothing', () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', threshold: 2 } });
    expect(permit(breaker).failure(new Error('ECONNRESET'))).toBe('failure');
    expect(permit(breaker).failure(new ToolError('no such issue', {}))).toBe('success'); // resets the count
    expect(permit(breaker).failure(new Error('ECONNRESET'))).toBe('failure');
    expect(permit(breaker).failure(new CancelledError('stop', {}))).toBe('none');
    const expired = new ConnectionError('404', { code: 'SESSION_EXPIRED' });
    expect(permit(breaker).failure(expired)).toBe('none');
    expect(permit(breaker).failure(new Error('ECONNRESET'), { local: true })).toBe('none');
    expect(breaker.state).toBe('closed');
    expect(permit(breaker).failure(new ToolError('x', {}), { isFailure: () => true })).toBe('failure');
    expect(breaker.state).toBe('open');
  });

  it('rejects with the CircuitOpenError while open, and admits a probe once the reset time has passed', () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < 3; i++) permit(breaker).failure();
    expect(rejection(breaker)).toMatchObject({ kind: 'circuitOpen', breakerState: 'open', retryAt: RESET });
    clock.increment(RESET);
    const probe = permit(breaker);
    expect(probe.probe).toBe(true);
    expect(breaker.state).toBe('halfOpen');
    expect(rejection(breaker)).toMatchObject({ breakerState: 'halfOpen' });
    probe.success();
    permit(breaker).success();
    expect(breaker.state).toBe('closed');
  });

  it('release() gives a probe slot back and counts nothing; a probe failure re-opens', () => {
    const { breaker, clock } = setup();
    trip(breaker, clock);
    const probe = permit(breaker);
    probe.release();
    expect(breaker.actor.getSnapshot().context).toMatchObject({ probesInFlight: 0, halfOpenSuccesses: 0 });
    permit(breaker).failure();
    expect(breaker.state).toBe('open');
    expect(breaker.openedAt).toBe(RESET);
  });

  it('a permit from before the circuit opened settles nothing in a later half-open episode', () => {
    const { breaker, clock } = setup();
    const slow = permit(breaker);
    trip(breaker, clock);
    const probe = permit(breaker);
    slow.failure();
    slow.success();
    expect(breaker.state).toBe('halfOpen');
    expect(breaker.actor.getSnapshot().context).toMatchObject({ probesInFlight: 1, halfOpenSuccesses: 0 });
    probe.failure();
    expect(breaker.state).toBe('open');
  });

  it('execute() and a permit reported by hand drive the breaker the same way (property)', async () => {
    type Op = 'call-ok' | 'call-fail' | 'call-cancel' | 'tick';
    const op = fc.constantFrom<Op>('call-ok', 'call-fail', 'call-cancel', 'tick');
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const viaExecute = setup({ halfOpenMaxProbes: 2 });
        const byHand = setup({ halfOpenMaxProbes: 2 });
        for (const o of ops) {
          if (o === 'tick') {
            viaExecute.clock.increment(RESET / 2);
            byHand.clock.increment(RESET / 2);
            continue;
          }
          const outcome =
            o === 'call-ok'
              ? Promise.resolve('ok')
              : Promise.reject(
                  o === 'call-fail' ? new ConnectionError('down', {}) : new CancelledError('stop', {}),
                );
          outcome.catch(() => undefined);
          const executed = await viaExecute.breaker.execute(() => outcome).catch((e: unknown) => e);
          const p = byHand.breaker.acquire();
          expect(isCircuitOpenError(p)).toBe(isCircuitOpenError(executed));
          if (isCircuitOpenError(p)) continue;
          if (o === 'call-ok') p.success();
          else if (o === 'call-fail') p.failure();
          else p.release();
          expect(byHand.breaker.state).toBe(viaExecute.breaker.state);
          expect(byHand.breaker.actor.getSnapshot().context).toEqual(
            viaExecute.breaker.actor.getSnapshot().context,
          );
        }
        viaExecute.breaker.stop();
        byHand.breaker.stop();
      }),
    );
  });
});

describe('execute(): the closed shortcut and the permit path', () => {
  type Op = 'ok' | 'fail' | 'cancel' | 'tool' | 'throwSync' | 'judgedFailure' | 'tick';
  const ops = fc.constantFrom<Op>('ok', 'fail', 'cancel', 'tool', 'throwSync', 'judgedFailure', 'tick');
  const strategies = fc.constantFrom<CircuitBreakerOptions['strategy']>(
    { kind: 'consecutive', threshold: 3 },
    { kind: 'count', threshold: 2, size: 4 },
    { kind: 'sampling', ratio: 0.5, windowMs: RESET, minThroughput: 3 },
  );
  /** The call of one op; `isFailure` turns a tool error into a failure for 'judgedFailure'. */
  function call(o: Exclude<Op, 'tick'>): { fn: () => Promise<string>; isFailure?: (e: unknown) => boolean } {
    if (o === 'ok') return { fn: () => Promise.resolve('ok') };
    if (o === 'throwSync')
      return {
        fn: () => {
          throw new ConnectionError('thrown before any promise', {});
        },
      };
    const error =
      o === 'fail'
        ? new ConnectionError('down', {})
        : o === 'cancel'
          ? new CancelledError('stop', {})
          : new ToolError('the server answered', {});
    return {
      fn: () => Promise.reject(error),
      ...(o === 'judgedFailure' ? { isFailure: () => true } : {}),
    };
  }
  /** A permit reported by hand, as the docs of acquire() show: the long way. */
  async function byHand(breaker: CircuitBreaker, o: Exclude<Op, 'tick'>): Promise<unknown> {
    const p = breaker.acquire();
    if (isCircuitOpenError(p)) return p;
    const { fn, isFailure } = call(o);
    try {
      const result = await fn();
      p.success();
      return result;
    } catch (e) {
      p.failure(e, { isFailure });
      return e;
    }
  }
  const view = (b: CircuitBreaker, outcome: unknown) => ({
    state: b.state,
    retryAt: b.retryAt,
    openedAt: b.openedAt,
    strategyState: b.strategyState,
    outcome: isCircuitOpenError(outcome)
      ? { breakerState: outcome.breakerState, retryAt: outcome.retryAt, message: outcome.message }
      : outcome,
  });

  it('execute() on a lazy breaker, execute() on one whose actor exists and a permit by hand agree (property)', async () => {
    await fc.assert(
      fc.asyncProperty(strategies, fc.array(ops, { maxLength: 40 }), async (strategy, script) => {
        // No inspector: its actor is created on first need (the others' exist from the start).
        const lazyClock = new SimulatedClock();
        const lazy = new CircuitBreaker({ id: 'github', strategy, resetTimeoutMs: RESET, clock: lazyClock });
        const eager = setup({ strategy });
        const hand = setup({ strategy });
        for (const o of script) {
          if (o === 'tick') {
            for (const c of [lazyClock, eager.clock, hand.clock]) c.increment(RESET / 2);
            continue;
          }
          const viaLazy = await lazy.execute(call(o).fn, call(o)).catch((e: unknown) => e);
          const viaEager = await eager.breaker.execute(call(o).fn, call(o)).catch((e: unknown) => e);
          const expected = view(hand.breaker, await byHand(hand.breaker, o));
          expect(view(lazy, viaLazy)).toEqual(expected);
          expect(view(eager.breaker, viaEager)).toEqual(expected);
        }
        expect(lazy.getPersistedSnapshot()).toEqual(hand.breaker.getPersistedSnapshot());
        expect(eager.breaker.getPersistedSnapshot()).toEqual(hand.breaker.getPersistedSnapshot());
        for (const b of [lazy, eager.breaker, hand.breaker]) b.stop();
      }),
    );
  });
});

describe('one shared breaker machine', () => {
  it('every breaker runs the same machine object; settings travel as input', () => {
    const a = new CircuitBreaker({ id: 'a', clock: new SimulatedClock() });
    const b = new CircuitBreaker({ id: 'b', clock: new SimulatedClock(), resetTimeoutMs: 5 });
    const logicOf = (breaker: CircuitBreaker) => (breaker.actor as unknown as { logic: unknown }).logic;
    expect(logicOf(a)).toBe(circuitBreakerMachine);
    expect(logicOf(b)).toBe(circuitBreakerMachine);
    expect(b.actor.getSnapshot().context.resetTimeoutMs).toBe(5);
    a.stop();
    b.stop();
  });

  it('applyOpen(openedAt) in the past waits only the time left on the breaker clock', () => {
    const { breaker, clock } = setup();
    clock.set(10_000);
    breaker.applyOpen(5_000);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAt).toBe(5_000 + RESET);
    clock.increment(RESET - 5_000 - 1);
    expect(breaker.state).toBe('open');
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
  });

  it('timers of breakers on one machine do not leak into each other', () => {
    const fast = setup({ resetTimeoutMs: 1_000 });
    const slow = setup();
    for (const { breaker } of [fast, slow]) for (let i = 0; i < 3; i++) permit(breaker).failure();
    fast.clock.increment(1_000);
    slow.clock.increment(1_000);
    expect(fast.breaker.state).toBe('halfOpen');
    expect(slow.breaker.state).toBe('open');
  });
});
