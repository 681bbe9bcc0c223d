import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { AzcoreError } from '../../src/errors/AzcoreError.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { withTimeout } from '../../src/resilience/withTimeout.js';

const never = () => new Promise<never>(() => undefined);

describe('withTimeout', () => {
  it('resolves with the value when the work finishes in time, and leaves no timer behind', async () => {
    const clock = new SimulatedClock();
    let signal: AbortSignal | undefined;
    const value = await withTimeout(
      'echo',
      100,
      async (s) => {
        signal = s;
        return 'hi';
      },
      { clock },
    );
    expect(value).toBe('hi');
    clock.increment(1_000);
    expect(signal?.aborted).toBe(false);
  });

  it('cancels the work through its signal and rejects with a TimeoutError naming the operation', async () => {
    const clock = new SimulatedClock();
    let signal: AbortSignal | undefined;
    const pending = withTimeout(
      'hang',
      250,
      (s) => {
        signal = s;
        return never();
      },
      { clock, server: 'fx' },
    ).catch((e: AzcoreError) => e);
    await Promise.resolve();
    clock.increment(250);
    const error = await pending;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ step: 'hang', timeoutMs: 250, server: 'fx' });
    expect(error.message).toMatch(/"hang" ran out of its 250 ms budget\. Raise/);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
  });

  it("rejects with the caller's cancellation, not a timeout", async () => {
    const controller = new AbortController();
    const pending = withTimeout('hang', 10_000, never, { signal: controller.signal });
    controller.abort(new CancelledError('user pressed stop'));
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('gets no more than what is left of an enclosing deadline, on its clock', async () => {
    const clock = new SimulatedClock();
    const turn = Deadline.after(1_000, { clock, step: 'turn' });
    clock.increment(900);
    let left = -1;
    await withTimeout(
      'search',
      5_000,
      async (_s, d) => {
        left = d.remaining();
      },
      { deadline: turn },
    );
    expect(left).toBe(100);
    const pending = withTimeout('search', 5_000, never, {
      deadline: turn,
      signal: new AbortController().signal,
    });
    clock.increment(100);
    await expect(pending).rejects.toMatchObject({ kind: 'timeout', step: 'turn' });
  });

  it('never starts work with no budget, and types raw failures', async () => {
    let started = false;
    await expect(
      withTimeout('late', 0, async () => {
        started = true;
      }),
    ).rejects.toMatchObject({ kind: 'timeout', step: 'late' });
    expect(started).toBe(false);
    await expect(
      withTimeout('fetch', 1_000, async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }),
    ).rejects.toMatchObject({ kind: 'connection', code: 'ECONNREFUSED' });
  });
});
