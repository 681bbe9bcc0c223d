import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { z } from 'zod';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { InputError } from '../../src/errors/InputError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { bulkhead } from '../../src/policy/bulkhead.js';
import { fallback } from '../../src/policy/fallback.js';
import type { Work } from '../../src/policy/Policy.js';
import { retry } from '../../src/policy/retry.js';
import { run } from '../../src/policy/run.js';
import { staticValue } from '../../src/policy/staticValue.js';
import { timeout } from '../../src/policy/timeout.js';
import { wrap } from '../../src/policy/wrap.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { validate } from '../../src/validation/validatePolicy.js';

/** Lets every pending promise callback run (no wall-clock wait): the policies reach their timers. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Never settles and ignores its signal: only a budget can end it. */
const deaf: Work<string> = () => new Promise<string>(() => {});
const refused = () => new ConnectionError('refused', { code: 'ECONNREFUSED' });
/** Fails `n` times with a retryable connection error, then answers. */
function flaky(n: number) {
  let calls = 0;
  const work: Work<string> = async (ctx) => {
    calls++;
    if (calls <= n) throw refused();
    return `ok on attempt ${ctx.attempt}`;
  };
  return { work, calls: () => calls };
}
const constant = (baseMs: number) => ({ strategy: 'constant' as const, baseMs });

describe('wrap and run', () => {
  it('wrap() with no policy runs the work; execute throws the typed error, run resolves failed', async () => {
    expect(await wrap().execute(async () => 1)).toBe(1);
    await expect(
      wrap().execute(async () => Promise.reject(new Error('socket hang up'))),
    ).rejects.toMatchObject({
      kind: 'protocol',
    });
    const outcome = await run(wrap(), async () => Promise.reject(refused()));
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { kind: 'connection' },
      reasons: ['primary failed: connection ECONNREFUSED'],
    });
  });

  it('retry runs the work again with ctx.attempt and reports call.retried on the run bus', async () => {
    const clock = new SimulatedClock();
    const bus = new EventBus();
    const events: RuntimeEvent[] = [];
    bus.events$.subscribe((e) => events.push(e));
    const { work, calls } = flaky(2);
    const policy = retry({
      maxAttempts: 3,
      backoff: constant(100),
      onRetry: ({ delayMs }) => queueMicrotask(() => clock.increment(delayMs)),
    });
    const outcome = await run(policy, work, { clock, events: bus, source: 'sync' });
    expect(outcome).toMatchObject({ status: 'success', value: 'ok on attempt 3', source: 'sync' });
    expect(outcome.attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(calls()).toBe(3);
    expect(events).toMatchObject([
      { type: 'call.retried', tool: 'sync', attempt: 1, delayMs: 100 },
      { type: 'call.retried', tool: 'sync', attempt: 2, delayMs: 100 },
    ]);
  });

  it('timeout inside retry is the budget of each attempt', async () => {
    const clock = new SimulatedClock();
    let calls = 0;
    const pending = run(
      wrap(retry({ maxAttempts: 2, backoff: constant(10) }), timeout(500)),
      (ctx) => (++calls === 1 ? deaf(ctx) : Promise.resolve('second attempt answered')),
      { clock },
    );
    await settled();
    clock.increment(500);
    await settled();
    clock.increment(10);
    const outcome = await pending;
    expect(outcome).toMatchObject({ status: 'success', value: 'second attempt answered' });
    expect(outcome.attempts.map((a) => [a.attempt, a.error?.kind ?? 'ok', a.durationMs])).toEqual([
      [1, 'timeout', 500],
      [2, 'ok', 0],
    ]);
  });

  it('timeout outside retry is the budget of all attempts: no wait starts that would end past it', async () => {
    const clock = new SimulatedClock();
    const pending = run(
      wrap(
        timeout({ ms: 1_800, name: 'whole' }),
        retry({ maxAttempts: 5, backoff: constant(1_000) }),
        timeout(500),
      ),
      deaf,
      { clock },
    );
    await settled();
    clock.increment(500); // attempt 1 times out at 500; a 1000 ms wait ends at 1500 < 1800
    await settled();
    clock.increment(1_000);
    await settled();
    clock.increment(300); // at 1800 the whole budget ends attempt 2, before its own 500 ms
    const outcome = await pending;
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect(outcome.attempts).toHaveLength(2);
    expect(outcome.attempts[1]?.durationMs).toBe(300);
    expect(outcome.error?.message).toMatch(/Step "whole" ran out of its 1800 ms budget/);
  });

  it('an enclosing Deadline (a team turn) caps every timeout inside', async () => {
    const clock = new SimulatedClock();
    const turn = Deadline.after(200, { clock, step: 'turn' });
    const pending = run(timeout(5_000), deaf, { clock, deadline: turn });
    await settled();
    clock.increment(200);
    const outcome = await pending;
    expect(outcome).toMatchObject({ status: 'failed', error: { kind: 'timeout' } });
    turn.dispose();
  });

  it("the caller's signal ends a retry wait at once with a cancellation", async () => {
    const controller = new AbortController();
    const pending = run(
      retry({ maxAttempts: 5, backoff: constant(60_000) }),
      async () => Promise.reject(refused()),
      {
        clock: new SimulatedClock(),
        signal: controller.signal,
      },
    );
    await settled();
    controller.abort();
    expect(await pending).toMatchObject({ status: 'failed', error: { kind: 'cancelled' } });
  });

  it('never retries what NEVER_RETRIED lists (input)', async () => {
    let calls = 0;
    const outcome = await run(retry({ maxAttempts: 5, shouldRetry: () => true }), async () => {
      calls++;
      throw new InputError('bad');
    });
    expect(outcome.status).toBe('failed');
    expect(calls).toBe(1);
  });
});

describe('validate', () => {
  it('rejects bad input before anything runs: kind input, no attempt, a reason', async () => {
    let ran = false;
    const outcome = await run(
      wrap(validate(z.string().min(1), '', { name: 'task' }), fallback(staticValue('unwanted')), retry()),
      async () => {
        ran = true;
        return 'x';
      },
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.kind).toBe('input');
    expect(outcome.error?.code).toBe('VALIDATION_FAILED');
    expect(outcome.attempts).toEqual([]);
    expect(outcome.reasons).toEqual(['stopped: input VALIDATION_FAILED']);
    expect(ran).toBe(false);
  });

  it('valid input runs the work; a check function works too', async () => {
    expect(await validate(z.number().int(), 3).execute(async () => 'ran')).toBe('ran');
    await expect(
      validate(() => {
        throw new InputError('nope');
      }).execute(async () => 'x'),
    ).rejects.toBeInstanceOf(InputError);
  });
});

describe('bulkhead', () => {
  it('runs at most `limit` at once, queues the rest fairly, refuses beyond the queue', async () => {
    const gate = bulkhead(1, { queue: 1 });
    const order: string[] = [];
    let release!: () => void;
    const first = gate.execute(
      () =>
        new Promise<string>((resolve) => {
          order.push('first');
          release = () => resolve('first');
        }),
    );
    const second = gate.execute(async () => {
      order.push('second');
      return 'second';
    });
    await settled();
    const third = await run(gate, async () => 'third');
    expect(third).toMatchObject({ status: 'failed', error: { kind: 'resource', code: 'BULKHEAD_FULL' } });
    expect(third.attempts).toMatchObject([{ ok: false, error: { code: 'BULKHEAD_FULL' } }]);
    expect(order).toEqual(['first']);
    release();
    expect(await first).toBe('first');
    expect(await second).toBe('second');
    expect(order).toEqual(['first', 'second']);
    expect(await gate.execute(async () => 'again')).toBe('again');
  });

  it('a waiting call whose signal aborts stops waiting at once', async () => {
    const gate = bulkhead(1);
    let release!: () => void;
    const holder = gate.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    let ran = false;
    const waiting = run(
      gate,
      async () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    await settled();
    controller.abort();
    expect(await waiting).toMatchObject({ status: 'failed', error: { kind: 'cancelled' } });
    release();
    await holder;
    await settled();
    expect(ran).toBe(false);
  });

  it('rejects a bad limit', () => {
    expect(() => bulkhead(0)).toThrow(/limit must be an integer >= 1/);
  });
});
