import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { isTimeoutError } from '../../src/errors/TimeoutError.js';
import { Deadline } from '../../src/resilience/Deadline.js';

describe('Deadline', () => {
  it('counts down on the injected clock and never goes negative', () => {
    const clock = new SimulatedClock();
    const d = Deadline.after(1_000, { clock, step: 'turn' });
    expect(d.remaining()).toBe(1_000);
    clock.increment(400);
    expect(d.remaining()).toBe(600);
    clock.increment(10_000);
    expect(d.remaining()).toBe(0);
    expect(d.expired).toBe(true);
  });

  it('aborts its signal with a TimeoutError naming the step', () => {
    const clock = new SimulatedClock();
    const d = Deadline.after(500, { clock, step: 'read_file', server: 'files' });
    expect(d.signal.aborted).toBe(false);
    clock.increment(500);
    expect(d.signal.aborted).toBe(true);
    const reason: unknown = d.signal.reason;
    expect(isTimeoutError(reason) && reason.step).toBe('read_file');
    expect(isTimeoutError(reason) && reason.server).toBe('files');
    expect(() => d.throwIfExpired()).toThrow(/read_file/);
  });

  it('gives children the smaller of their own budget and what is left', () => {
    const clock = new SimulatedClock();
    const turn = Deadline.after(1_000, { clock, step: 'turn' });
    clock.increment(800);
    const call = turn.child(5_000, 'search');
    expect(call.remaining()).toBe(200);
    expect(call.step).toBe('search');
    clock.increment(200);
    expect(call.signal.aborted).toBe(true);
  });

  it('aborts children when the parent aborts, with the same reason', () => {
    const clock = new SimulatedClock();
    const controller = new AbortController();
    const turn = Deadline.after(10_000, { clock, signal: controller.signal });
    const call = turn.child(1_000);
    const reason = new CancelledError('user pressed stop');
    controller.abort(reason);
    expect(turn.signal.reason).toBe(reason);
    expect(call.signal.reason).toBe(reason);
  });

  it('starts aborted under an already aborted signal', () => {
    const controller = new AbortController();
    controller.abort(new CancelledError('gone'));
    const d = Deadline.after(1_000, { signal: controller.signal });
    expect(d.signal.aborted).toBe(true);
    expect(() => d.throwIfExpired()).toThrow('gone');
  });

  it('dispose() cancels its timer so nothing fires later', () => {
    const clock = new SimulatedClock();
    const d = Deadline.after(100, { clock });
    d.dispose();
    clock.increment(1_000);
    expect(d.signal.aborted).toBe(false);
  });

  it('property: remaining() is within [0, budget] and child budgets never exceed the parent', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.integer({ min: 0, max: 50_000 }), { maxLength: 8 }),
        fc.integer({ min: 0, max: 200_000 }),
        (budget, steps, childBudget) => {
          const clock = new SimulatedClock();
          const d = Deadline.after(budget, { clock });
          for (const s of steps) {
            clock.increment(s);
            const left = d.remaining();
            expect(left).toBeGreaterThanOrEqual(0);
            expect(left).toBeLessThanOrEqual(budget);
            const child = d.child(childBudget);
            expect(child.remaining()).toBeLessThanOrEqual(left);
            child.dispose();
          }
          d.dispose();
        },
      ),
    );
  });
});
