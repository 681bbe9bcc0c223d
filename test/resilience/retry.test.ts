import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { AuthError } from '../../src/errors/AuthError.js';
import type { AzcoreError } from '../../src/errors/AzcoreError.js';
import { CancelledError } from '../../src/errors/CancelledError.js';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { InputError } from '../../src/errors/InputError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { decorrelatedJitter, exponentialBackoff, seededRandom } from '../../src/resilience/backoff.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { NEVER_RETRIED, type RetryAttempt, retry } from '../../src/resilience/retry.js';

/** Advances the simulated clock whenever retry schedules a wait, so tests never sleep. */
function autoAdvance(clock: SimulatedClock) {
  return (info: RetryAttempt) => queueMicrotask(() => clock.increment(info.delayMs));
}

describe('retry', () => {
  it('retries retryable failures with the backoff schedule, then succeeds', async () => {
    const clock = new SimulatedClock();
    const seen: RetryAttempt[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new ConnectionError('down', { server: 's' });
        return 'ok';
      },
      {
        maxAttempts: 5,
        backoff: exponentialBackoff({ baseMs: 100 }),
        clock,
        onRetry: (info) => {
          seen.push(info);
          autoAdvance(clock)(info);
        },
      },
    );
    expect(result).toBe('ok');
    expect(seen.map((s) => [s.attempt, s.delayMs, s.error.kind])).toEqual([
      [1, 100, 'connection'],
      [2, 200, 'connection'],
    ]);
    expect(clock.now()).toBe(300);
  });

  it('never retries non-retryable kinds', async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new InputError('bad path');
      }),
    ).rejects.toMatchObject({ kind: 'input' });
    expect(calls).toBe(1);
  });

  it('stops at maxAttempts and throws the last typed error', async () => {
    const clock = new SimulatedClock();
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('Not connected');
        },
        { maxAttempts: 3, backoff: () => 10, clock, onRetry: autoAdvance(clock) },
      ),
    ).rejects.toMatchObject({ kind: 'connection', code: 'NOT_CONNECTED' });
    expect(calls).toBe(3);
  });

  it('does not start a delay that would end past the deadline', async () => {
    const clock = new SimulatedClock();
    const deadline = Deadline.after(150, { clock });
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new ConnectionError('down');
        },
        { maxAttempts: 10, backoff: () => 200, deadline, clock },
      ),
    ).rejects.toMatchObject({ kind: 'connection' });
    expect(calls).toBe(1);
    deadline.dispose();
  });

  it('a cancelled caller stops waiting at once', async () => {
    const clock = new SimulatedClock();
    const controller = new AbortController();
    const pending = retry(
      async () => {
        throw new ConnectionError('down');
      },
      {
        maxAttempts: 5,
        backoff: () => 60_000,
        clock,
        signal: controller.signal,
        onRetry: () => controller.abort(),
      },
    );
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('never retries input, auth, circuitOpen, cancelled or configuration, even when told to', async () => {
    const failures: AzcoreError[] = [
      new InputError('bad'),
      new AuthError('no token', { retryable: true }),
      new CircuitOpenError('open', { breakerState: 'open' }),
      new CancelledError('stop'),
      new ConfigurationError('bad config', { retryable: true }),
    ];
    expect([...NEVER_RETRIED].sort()).toEqual(failures.map((f) => f.kind).sort());
    for (const failure of failures) {
      let calls = 0;
      await expect(
        retry(
          async () => {
            calls++;
            throw failure;
          },
          { maxAttempts: 5, shouldRetry: () => true, backoff: () => 0 },
        ),
      ).rejects.toBe(failure);
      expect(calls).toBe(1);
    }
  });

  it('reports each retry as a call.retried event on the bus', async () => {
    const clock = new SimulatedClock();
    const bus = new EventBus();
    const events: RuntimeEvent[] = [];
    bus.events$.subscribe((e) => events.push(e));
    let calls = 0;
    await retry(
      async () => {
        if (++calls < 3) throw new ConnectionError('down');
        return calls;
      },
      {
        backoff: exponentialBackoff({ baseMs: 10 }),
        clock,
        events: bus,
        operation: 'nightly-report',
        callId: 7,
        onRetry: autoAdvance(clock),
      },
    );
    expect(events).toEqual([
      expect.objectContaining({
        type: 'call.retried',
        source: 'retry:nightly-report',
        tool: 'nightly-report',
        callId: 7,
        attempt: 1,
        delayMs: 10,
        at: 0,
        error: expect.objectContaining({ kind: 'connection', retryable: true }),
      }),
      expect.objectContaining({ type: 'call.retried', attempt: 2, delayMs: 20, at: 10 }),
    ]);
  });

  it('hands the work a signal that aborts when the caller cancels mid-attempt', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const pending = retry(
      (_attempt, signal) =>
        new Promise<never>((_resolve, reject) => {
          seen = signal;
          signal?.addEventListener('abort', () => reject(signal.reason));
        }),
      { signal: controller.signal },
    );
    controller.abort(new CancelledError('user pressed stop'));
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled', message: 'user pressed stop' });
    expect(seen?.aborted).toBe(true);
  });

  it('with both a signal and a deadline, the deadline still stops a running attempt', async () => {
    const clock = new SimulatedClock();
    const deadline = Deadline.after(100, { clock, step: 'sync' });
    const pending = retry(
      (_attempt, signal) =>
        new Promise<never>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
      { signal: new AbortController().signal, deadline, clock },
    );
    clock.increment(100);
    await expect(pending).rejects.toMatchObject({ kind: 'timeout', step: 'sync' });
  });

  it('does not start an attempt once the deadline is spent', async () => {
    const clock = new SimulatedClock();
    const deadline = Deadline.after(0, { clock, step: 'late' });
    let calls = 0;
    await expect(retry(async () => ++calls, { deadline, clock })).rejects.toBeInstanceOf(TimeoutError);
    expect(calls).toBe(0);
  });

  it('property: no delay ends past the deadline, no attempt starts after it, attempts stay capped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 10 }),
        fc.integer(),
        async (budget, maxAttempts, baseMs, workTimes, seed) => {
          const clock = new SimulatedClock();
          const deadline = Deadline.after(budget, { clock });
          const starts: number[] = [];
          const outcome = await retry(
            async (attempt) => {
              starts.push(clock.now());
              clock.increment(workTimes[attempt - 1] ?? 0);
              if (attempt <= workTimes.length) throw new ConnectionError('down');
              return 'ok';
            },
            {
              maxAttempts,
              backoff: decorrelatedJitter({ baseMs, maxMs: 2_000 }, seededRandom(seed)),
              deadline,
              clock,
              onRetry: (info) => {
                expect(info.delayMs).toBeGreaterThanOrEqual(baseMs);
                expect(info.delayMs).toBeLessThanOrEqual(2_000);
                expect(clock.now() + info.delayMs).toBeLessThan(deadline.expiresAt);
                autoAdvance(clock)(info);
              },
            },
          ).catch((e: AzcoreError) => e.kind);
          expect(starts.length).toBeLessThanOrEqual(maxAttempts);
          for (const at of starts) expect(at).toBeLessThan(deadline.expiresAt);
          expect(['ok', 'connection', 'timeout']).toContain(outcome);
          deadline.dispose();
        },
      ),
      { numRuns: 200 },
    );
  });
  // Added after a Stryker run (npm run test:mutation): defaults and edges of the loop.
  describe('defaults and edges (mutation testing)', () => {
    const failing =
      (counter: { calls: number }, retryable = true) =>
      async () => {
        counter.calls++;
        throw new ConnectionError('down', { retryable });
      };

    it('defaults to 3 attempts, and at least 1 whatever maxAttempts says', async () => {
      const c = { calls: 0 };
      await expect(retry(failing(c), { backoff: () => 0 })).rejects.toMatchObject({ kind: 'connection' });
      expect(c.calls).toBe(3);
      const once = { calls: 0 };
      await expect(retry(failing(once), { maxAttempts: 0, backoff: () => 0 })).rejects.toMatchObject({
        kind: 'connection',
      });
      expect(once.calls).toBe(1);
    });

    it('the default schedule is decorrelated jitter starting at 100 ms, capped at 5 s', async () => {
      const clock = new SimulatedClock();
      const delays: number[] = [];
      await expect(
        retry(failing({ calls: 0 }), {
          maxAttempts: 3,
          clock,
          onRetry: (info) => {
            delays.push(info.delayMs);
            autoAdvance(clock)(info);
          },
        }),
      ).rejects.toMatchObject({ kind: 'connection' });
      expect(delays[0]).toBe(100);
      expect(delays[1]).toBeGreaterThanOrEqual(100);
      expect(delays[1]).toBeLessThanOrEqual(300);
    });

    it('feeds the schedule the attempt number and its previous delay', async () => {
      const clock = new SimulatedClock();
      const seen: Array<[number, number]> = [];
      await expect(
        retry(failing({ calls: 0 }), {
          maxAttempts: 4,
          clock,
          backoff: (attempt, previous) => {
            seen.push([attempt, previous]);
            return previous + 10;
          },
          onRetry: autoAdvance(clock),
        }),
      ).rejects.toMatchObject({ kind: 'connection' });
      expect(seen).toEqual([
        [1, 0],
        [2, 10],
        [3, 20],
      ]);
    });

    it('without shouldRetry, a non-retryable error is not retried; shouldRetry overrides both ways', async () => {
      const c = { calls: 0 };
      await expect(retry(failing(c, false), { backoff: () => 0 })).rejects.toMatchObject({
        retryable: false,
      });
      expect(c.calls).toBe(1);

      const asked: Array<[string, number]> = [];
      const forced = { calls: 0 };
      await expect(
        retry(failing(forced, false), {
          backoff: () => 0,
          shouldRetry: (error, attempt) => {
            asked.push([error.kind, attempt]);
            return true;
          },
        }),
      ).rejects.toMatchObject({ kind: 'connection' });
      expect(forced.calls).toBe(3);
      expect(asked).toEqual([
        ['connection', 1],
        ['connection', 2],
      ]);

      const refused = { calls: 0 };
      await expect(
        retry(failing(refused), { backoff: () => 0, shouldRetry: () => false }),
      ).rejects.toMatchObject({
        kind: 'connection',
      });
      expect(refused.calls).toBe(1);
    });

    it('retries without onRetry, events or a clock, and resolves with the value', async () => {
      let calls = 0;
      const value = await retry(
        async (attempt) => {
          calls++;
          if (attempt < 2) throw new ConnectionError('down');
          return attempt;
        },
        { backoff: () => 0 },
      );
      expect(value).toBe(2);
      expect(calls).toBe(2);
    });

    it('gives up when the schedule yields NaN or Infinity', async () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const c = { calls: 0 };
        await expect(retry(failing(c), { maxAttempts: 5, backoff: () => bad })).rejects.toMatchObject({
          kind: 'connection',
        });
        expect(c.calls).toBe(1);
      }
    });

    it('rounds delays to whole ms and clamps negative ones to 0', async () => {
      const clock = new SimulatedClock();
      const delays: number[] = [];
      const planned = [10.6, -50];
      await expect(
        retry(failing({ calls: 0 }), {
          maxAttempts: 3,
          clock,
          backoff: (attempt) => planned[attempt - 1] ?? 0,
          onRetry: (info) => {
            delays.push(info.delayMs);
            autoAdvance(clock)(info);
          },
        }),
      ).rejects.toMatchObject({ kind: 'connection' });
      expect(delays).toEqual([11, 0]);
    });

    it('gives up when a delay would end exactly at the deadline, but waits for one that ends before it', async () => {
      const clock = new SimulatedClock();
      const deadline = Deadline.after(150, { clock });
      const c = { calls: 0 };
      await expect(
        retry(failing(c), { maxAttempts: 5, backoff: () => 150, deadline, clock }),
      ).rejects.toMatchObject({ kind: 'connection' });
      expect(c.calls).toBe(1);
      deadline.dispose();

      const roomy = Deadline.after(1_000, { clock });
      let calls = 0;
      const value = await retry(
        async () => {
          if (++calls < 2) throw new ConnectionError('down');
          return 'ok';
        },
        { backoff: () => 100, deadline: roomy, clock, onRetry: autoAdvance(clock) },
      );
      expect(value).toBe('ok');
      roomy.dispose();
    });

    it('an already aborted signal stops before the first attempt', async () => {
      const controller = new AbortController();
      controller.abort(new CancelledError('before start'));
      let calls = 0;
      await expect(retry(async () => ++calls, { signal: controller.signal })).rejects.toMatchObject({
        kind: 'cancelled',
        message: 'before start',
      });
      expect(calls).toBe(0);
    });

    it('hands the work the deadline signal when there is no caller signal', async () => {
      const clock = new SimulatedClock();
      const deadline = Deadline.after(1_000, { clock });
      let seen: AbortSignal | undefined;
      await retry(
        async (_attempt, signal) => {
          seen = signal;
          return 1;
        },
        { deadline, clock },
      );
      expect(seen).toBe(deadline.signal);
      deadline.dispose();
    });

    it('a call.retried event names the server when there is one, and gets a fresh callId otherwise', async () => {
      const clock = new SimulatedClock();
      const bus = new EventBus();
      const events: RuntimeEvent[] = [];
      bus.events$.subscribe((e) => events.push(e));
      const run = () =>
        retry(
          async (attempt) => {
            if (attempt < 2) throw new ConnectionError('down');
            return attempt;
          },
          { backoff: () => 5, clock, events: bus, server: 'files', onRetry: autoAdvance(clock) },
        );
      await run();
      await run();
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({
        type: 'call.retried',
        source: 'server:files',
        server: 'files',
        tool: 'operation',
        attempt: 1,
        delayMs: 5,
      });
      const ids = events.map((e) => (e.type === 'call.retried' ? e.callId : undefined));
      expect(typeof ids[0]).toBe('number');
      expect(ids[1]).toBe((ids[0] ?? 0) + 1);
    });

    it('waits out the delay on the clock before the next attempt', async () => {
      const clock = new SimulatedClock();
      let calls = 0;
      const pending = retry(
        async () => {
          if (++calls < 2) throw new ConnectionError('down');
          return calls;
        },
        { backoff: () => 1_000, clock },
      );
      for (let i = 0; i < 10; i++) await Promise.resolve();
      expect(calls).toBe(1);
      clock.increment(999);
      for (let i = 0; i < 10; i++) await Promise.resolve();
      expect(calls).toBe(1);
      clock.increment(1);
      await expect(pending).resolves.toBe(2);
    });

    it('the default schedule is capped at 5 s', async () => {
      const clock = new SimulatedClock();
      const delays: number[] = [];
      const random = vi.spyOn(Math, 'random').mockReturnValue(0.999);
      try {
        await expect(
          retry(failing({ calls: 0 }), {
            maxAttempts: 8,
            clock,
            onRetry: (info) => {
              delays.push(info.delayMs);
              autoAdvance(clock)(info);
            },
          }),
        ).rejects.toMatchObject({ kind: 'connection' });
      } finally {
        random.mockRestore();
      }
      expect(Math.max(...delays)).toBe(5_000);
    });

    it('without a server, events use the default operation name', async () => {
      const clock = new SimulatedClock();
      const bus = new EventBus();
      const events: RuntimeEvent[] = [];
      bus.events$.subscribe((e) => events.push(e));
      await retry(
        async (attempt) => {
          if (attempt < 2) throw new ConnectionError('down');
          return attempt;
        },
        { backoff: () => 5, clock, events: bus, onRetry: autoAdvance(clock) },
      );
      expect(events[0]).toMatchObject({ source: 'retry:operation', server: '', tool: 'operation' });
    });
  });
});
