import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { isConfigurationError } from '../../src/errors/ConfigurationError.js';
import { isTimeoutError } from '../../src/errors/TimeoutError.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import { retry } from '../../src/resilience/retry.js';
import { ErrorSimulator } from '../../src/simulate/ErrorSimulator.js';

const noWait = () => 0;

describe('ErrorSimulator: the typed errors the runtime really produces', () => {
  const sim = new ErrorSimulator({ server: 'search' });

  it('connection, timeout, auth and tool failures, each saying it was simulated', () => {
    expect(sim.connectionError()).toMatchObject({
      kind: 'connection',
      code: 'ECONNREFUSED',
      retryable: true,
      server: 'search',
    });
    expect(sim.timeout(5_000)).toMatchObject({ kind: 'timeout', timeoutMs: 5_000, retryable: true });
    expect(sim.authFailure()).toMatchObject({ kind: 'auth', code: 'HTTP_401', retryable: false });
    expect(sim.toolError('lookup')).toMatchObject({ kind: 'tool', tool: 'lookup', retryable: false });
    expect(sim.connectionError().message).toMatch(
      /^\[search\] Server unreachable \(simulated\)\. .*simulated by ErrorSimulator/,
    );
  });

  it('retries a function that fails twice, then succeeds (the guide test_retry_mechanism)', async () => {
    let calls = 0;
    const work = sim.failTimes(2, () => {
      calls++;
      return { success: true };
    });
    const attempts: number[] = [];
    const result = await retry(() => work(), {
      maxAttempts: 3,
      backoff: noWait,
      onRetry: (r) => attempts.push(r.attempt),
    });
    expect(result).toEqual({ success: true });
    expect(attempts).toEqual([1, 2]);
    expect(calls).toBe(1);
  });

  it('an auth failure is never retried', async () => {
    const retried: number[] = [];
    const error = await retry(sim.failing(sim.authFailure()), {
      maxAttempts: 5,
      onRetry: (r) => retried.push(r.attempt),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'auth' });
    expect(retried).toEqual([]);
  });
});

describe('ErrorSimulator: intermittent failures from a seeded RNG', () => {
  const pattern = (seed: number, n = 100) => {
    const flaky = new ErrorSimulator({ seed }).intermittent(0.3);
    return Promise.all(
      Array.from({ length: n }, () =>
        flaky().then(
          () => 'ok',
          () => 'fail',
        ),
      ),
    );
  };

  it('same seed, same failures; about the asked rate; a retry loop gets through', async () => {
    const a = await pattern(42);
    expect(await pattern(42)).toEqual(a);
    expect(await pattern(43)).not.toEqual(a);
    const failures = a.filter((x) => x === 'fail').length;
    expect(failures).toBeGreaterThan(15);
    expect(failures).toBeLessThan(45);
    const flaky = new ErrorSimulator({ seed: 7 }).intermittent(0.5, () => 'answer');
    await expect(retry(() => flaky(), { maxAttempts: 10, backoff: noWait })).resolves.toBe('answer');
  });

  it('rejects a rate outside [0, 1]', () => {
    const error = (() => {
      try {
        return new ErrorSimulator().intermittent(1.5);
      } catch (e) {
        return e;
      }
    })();
    expect(isConfigurationError(error)).toBe(true);
  });
});

describe('ErrorSimulator: time on the injected clock', () => {
  it('a hanging call ends when the caller budget runs out (the guide test_timeout_handling, no real sleep)', async () => {
    const clock = new SimulatedClock();
    const hang = new ErrorSimulator({ clock }).hang();
    const deadline = Deadline.after(30_000, { clock, step: 'search' });
    const pending = hang(deadline.signal).catch((e: unknown) => e);
    clock.increment(30_000);
    const error = await pending;
    expect(isTimeoutError(error)).toBe(true);
    expect(String(error)).toMatch(/"search" ran out of its 30000 ms budget/);
  });

  it('slow() answers after its delay on the clock', async () => {
    const clock = new SimulatedClock();
    const slow = new ErrorSimulator({ clock }).slow(2_000, () => 'late');
    let value: string | undefined;
    const pending = slow().then((v) => {
      value = v;
    });
    clock.increment(1_999);
    await Promise.resolve();
    expect(value).toBeUndefined();
    clock.increment(1);
    await pending;
    expect(value).toBe('late');
  });

  it('simulated connection errors trip a circuit breaker, which then rejects (the guide test_circuit_breaker)', async () => {
    const sim = new ErrorSimulator({ server: 'search' });
    const breaker = new CircuitBreaker({
      id: 'search',
      clock: new SimulatedClock(),
      strategy: { kind: 'consecutive', threshold: 3 },
    });
    for (let i = 0; i < 3; i++) await breaker.execute(sim.failing()).catch(() => undefined);
    expect(breaker.state).toBe('open');
    const error = await breaker.execute(async () => 'never runs').catch((e: unknown) => e);
    expect(isCircuitOpenError(error)).toBe(true);
    breaker.stop();
  });
});
