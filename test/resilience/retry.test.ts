import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
});
