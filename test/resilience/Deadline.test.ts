import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { AzcoreError } from '../../src/errors/AzcoreError.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { isTimeoutError, TimeoutError } from '../../src/errors/TimeoutError.js';
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

  it('a budget that started earlier (startedAt) aborts when it runs out, with or without a caller signal', () => {
    for (const signal of [undefined, new AbortController().signal]) {
      const clock = new SimulatedClock();
      const startedAt = clock.now();
      clock.increment(300);
      const d = Deadline.after(1_000, { clock, startedAt, step: 'call', ...(signal ? { signal } : {}) });
      expect(d.remaining()).toBe(700);
      const aborted = d.signal;
      clock.increment(699);
      expect(aborted.aborted).toBe(false);
      clock.increment(1);
      expect(aborted.aborted).toBe(true);
      expect(isTimeoutError(aborted.reason)).toBe(true);
      d.dispose();
    }
  });

  it('gives children the smaller of their own budget and what is left', () => {
    const clock = new SimulatedClock();
    const turn = Deadline.after(1_000, { clock, step: 'turn' });
    clock.increment(800);
    const call = turn.child(5_000, 'search');
    expect(call.remaining()).toBe(200);
    expect(call.name).toBe('search');
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

  it('has a NaN budget rejected with a ConfigurationError', () => {
    expect(() => Deadline.after(Number.NaN, { step: 'turn' })).toThrow(/budget of step "turn" is NaN/);
  });
});

describe('Deadline.step', () => {
  const never = () => new Promise<never>(() => undefined);

  it('runs the step under a child budget capped by what is left, and releases it', async () => {
    const clock = new SimulatedClock();
    const total = Deadline.after(1_000, { clock, step: 'report' });
    clock.increment(700);
    let child: Deadline | undefined;
    const value = await total.step(
      'collect',
      async (d) => {
        child = d;
        return d.remaining();
      },
      { budgetMs: 500 },
    );
    expect(value).toBe(300);
    expect(child?.name).toBe('collect');
    clock.increment(1_000);
    expect(child?.signal.aborted).toBe(false);
  });

  it("rejects at once when the step's budget runs out, naming the step, and aborts its signal", async () => {
    const clock = new SimulatedClock();
    const total = Deadline.after(10_000, { clock, step: 'report', server: 'files' });
    let signal: AbortSignal | undefined;
    const pending = total.step(
      'collect',
      (d) => {
        signal = d.signal;
        return never();
      },
      { budgetMs: 200 },
    );
    await Promise.resolve();
    clock.increment(200);
    const error = await pending.catch((e: AzcoreError) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ step: 'collect', timeoutMs: 200, server: 'files' });
    expect(error.message).toMatch(/\[files\] Step "collect" ran out of its 200 ms budget\. Raise the budget/);
    expect(signal?.aborted).toBe(true);
    expect(total.expired).toBe(false);
  });

  it('names the running step when the enclosing budget runs out', async () => {
    const clock = new SimulatedClock();
    const total = Deadline.after(300, { clock, step: 'report' });
    const pending = total.step('store', never);
    await Promise.resolve();
    clock.increment(300);
    const error = await pending.catch((e: AzcoreError) => e);
    expect(error).toMatchObject({ kind: 'timeout', step: 'store', timeoutMs: 300 });
    expect(error.message).toMatch(/Step "store" was stopped: the enclosing "report" 300 ms budget ran out/);
    expect(isTimeoutError(error.cause) && error.cause.step).toBe('report');
  });

  it('reports the enclosing budget even when a nested call, capped by it, times out first', async () => {
    const clock = new SimulatedClock();
    const total = Deadline.after(300, { clock, step: 'report' });
    clock.increment(100);
    const pending = total.step('store', (d) => {
      const call = d.child(10_000, 'hang'); // like ServerConnection's per-call deadline
      return new Promise<never>((_resolve, reject) => {
        call.signal.addEventListener('abort', () => reject(call.signal.reason));
      });
    });
    await Promise.resolve();
    clock.increment(200);
    const error = await pending.catch((e: AzcoreError) => e);
    expect(error).toMatchObject({ kind: 'timeout', step: 'store', timeoutMs: 300 });
    expect(error.message).toMatch(/Step "store" was stopped: the enclosing "report" 300 ms budget ran out/);
  });

  it('a child whose budget is all the parent has left runs out as the parent: its TimeoutError, one timer', () => {
    const sim = new SimulatedClock();
    const armed: number[] = [];
    const clock = {
      now: () => sim.now(),
      setTimeout: (fn: () => void, ms: number) => {
        armed.push(ms);
        return sim.setTimeout(fn, ms);
      },
      clearTimeout: (handle: unknown) => sim.clearTimeout(handle as never),
    };
    const whole = Deadline.after(300, { clock, step: 'whole task' });
    sim.increment(250);
    const attempt = whole.child(150, 'hang'); // capped to the 50 ms left
    const shorter = whole.child(20, 'quick'); // its own budget binds: its own name
    expect(attempt.remaining()).toBe(50);
    // The parent's timer (50 ms left) and the short child's; none for the capped child, which
    // would be due at the parent's instant and could fire first.
    expect(armed).toEqual([50, 20]);
    const clockStep = (ms: number) => sim.increment(ms);
    clockStep(20);
    expect(shorter.signal.reason).toMatchObject({ step: 'quick', timeoutMs: 20 });
    clockStep(30);
    expect(attempt.signal.reason).toMatchObject({ kind: 'timeout', step: 'whole task', timeoutMs: 300 });
    expect(() => attempt.throwIfExpired()).toThrow(/Step "whole task" ran out of its 300 ms budget/);
  });

  it('does not start a step when the budget is already spent', async () => {
    const clock = new SimulatedClock();
    const total = Deadline.after(100, { clock, step: 'report' });
    clock.increment(100);
    let started = false;
    await expect(
      total.step('store', async () => {
        started = true;
      }),
    ).rejects.toMatchObject({ step: 'store', message: expect.stringMatching(/enclosing "report"/) });
    expect(started).toBe(false);
  });

  it("keeps a nested step's own timeout as it is", async () => {
    const clock = new SimulatedClock();
    const total = Deadline.after(10_000, { clock, step: 'report' });
    const pending = total.step('collect', (d) => d.step('fetch', never, { budgetMs: 50 }));
    await Promise.resolve();
    await Promise.resolve();
    clock.increment(50);
    await expect(pending).rejects.toMatchObject({ step: 'fetch', timeoutMs: 50 });
  });

  it('passes a cancellation through and types raw failures', async () => {
    const controller = new AbortController();
    const total = Deadline.after(10_000, { signal: controller.signal });
    const cancelled = total.step('collect', never);
    controller.abort(new CancelledError('user pressed stop'));
    await expect(cancelled).rejects.toMatchObject({ kind: 'cancelled', message: 'user pressed stop' });

    const other = Deadline.after(10_000);
    await expect(
      other.step('parse', async () => {
        throw new SyntaxError('Unexpected token');
      }),
    ).rejects.toMatchObject({ kind: 'protocol', code: 'MALFORMED' });
    other.dispose();
  });

  it('property: steps never see a negative or larger-than-parent budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.record({ work: fc.integer({ min: 0, max: 3_000 }), budget: fc.option(fc.nat(5_000)) }), {
          maxLength: 6,
        }),
        async (totalMs, steps) => {
          const clock = new SimulatedClock();
          const total = Deadline.after(totalMs, { clock, step: 'total' });
          for (const [i, s] of steps.entries()) {
            const before = total.remaining();
            await total
              .step(
                `s${i}`,
                async (d) => {
                  expect(d.remaining()).toBeGreaterThanOrEqual(0);
                  expect(d.remaining()).toBeLessThanOrEqual(
                    Math.min(before, s.budget ?? Number.POSITIVE_INFINITY),
                  );
                  clock.increment(s.work);
                  expect(d.remaining()).toBeGreaterThanOrEqual(0);
                },
                { budgetMs: s.budget ?? undefined },
              )
              .catch((e: unknown) => {
                expect(isTimeoutError(e) && e.step).toBe(`s${i}`);
              });
            expect(total.remaining()).toBeGreaterThanOrEqual(0);
          }
          total.dispose();
        },
      ),
    );
  });
});
