import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { InputError } from '../../src/errors/InputError.js';
import { exponentialBackoff } from '../../src/resilience/backoff.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { type RetryAttempt, retry } from '../../src/resilience/retry.js';

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
});
