import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { AzcoreError } from '../../src/errors/AzcoreError.js';
import { run } from '../../src/policy/run.js';
import { timeout } from '../../src/policy/timeout.js';
import { AdaptiveTimeout } from '../../src/resilience/AdaptiveTimeout.js';
import { Deadline } from '../../src/resilience/Deadline.js';

const never = () => new Promise<never>(() => undefined);

describe('AdaptiveTimeout', () => {
  it('starts from the guide defaults: 30 s, clamped to [10 s, 300 s]', () => {
    const timeouts = new AdaptiveTimeout();
    expect(timeouts.timeoutFor('search')).toBe(30_000);
    for (let i = 0; i < 10; i++) timeouts.record('search', 100);
    expect(timeouts.timeoutFor('search')).toBe(10_000);
    for (let i = 0; i < 100; i++) timeouts.record('search', 1_000_000);
    expect(timeouts.timeoutFor('search')).toBe(300_000);
  });

  it('uses mean + 3 sample standard deviations once it has enough samples', () => {
    const timeouts = new AdaptiveTimeout({ initialMs: 1_000, minMs: 1, minSamples: 5 });
    for (const ms of [100, 110, 90, 100]) timeouts.record('t', ms);
    expect(timeouts.timeoutFor('t')).toBe(1_000);
    timeouts.record('t', 100);
    const sd = Math.sqrt(200 / 4);
    expect(timeouts.stats('t')).toMatchObject({ samples: 5, meanMs: 100, backoff: 1 });
    expect(timeouts.stats('t').stdDevMs).toBeCloseTo(sd, 10);
    expect(timeouts.timeoutFor('t')).toBe(Math.ceil(100 + 3 * sd));
  });

  it('keeps only the last `window` durations, per key', () => {
    const timeouts = new AdaptiveTimeout({ minMs: 1, window: 3, minSamples: 3 });
    for (const ms of [1_000, 1_000, 1_000, 50, 50, 50]) timeouts.record('slow', ms);
    timeouts.record('fast', 5);
    expect(timeouts.stats('slow')).toMatchObject({ samples: 3, meanMs: 50, stdDevMs: 0, timeoutMs: 50 });
    expect(timeouts.stats('fast').samples).toBe(1);
    expect(timeouts.timeoutFor('other')).toBe(30_000);
  });

  it("timeout({ ms: adaptive }) measures on the run's clock and learns from successes", async () => {
    const clock = new SimulatedClock();
    const timeouts = new AdaptiveTimeout({ minMs: 10, initialMs: 500, minSamples: 1 });
    const outcome = await run(
      timeout({ ms: timeouts, name: 'slow' }),
      async () => {
        clock.increment(40);
        return 'slept 40';
      },
      { clock },
    );
    expect(outcome).toMatchObject({ status: 'success', value: 'slept 40' });
    expect(timeouts.stats('slow')).toMatchObject({ samples: 1, meanMs: 40, timeoutMs: 40 });
  });

  it("the key of a learned budget defaults to the run's source", async () => {
    const clock = new SimulatedClock();
    const timeouts = new AdaptiveTimeout({ minMs: 10, initialMs: 500, minSamples: 1 });
    await timeout({ ms: timeouts }).execute(
      async () => {
        clock.increment(25);
      },
      { clock, source: 'search' },
    );
    expect(timeouts.stats('search')).toMatchObject({ samples: 1, meanMs: 25 });
    expect(timeouts.stats('primary').samples).toBe(0);
  });

  it('doubles the next timeout after each timeout of its own limit, and resets on success', async () => {
    const clock = new SimulatedClock();
    const timeouts = new AdaptiveTimeout({ minMs: 10, initialMs: 100, maxMs: 1_000 });
    const policy = timeout({ ms: timeouts, name: 'hang' });
    for (const expected of [100, 200, 400, 800, 1_000]) {
      expect(timeouts.timeoutFor('hang')).toBe(expected);
      const pending = run(policy, never, { clock });
      clock.increment(expected);
      expect(await pending).toMatchObject({
        status: 'failed',
        error: { kind: 'timeout', step: 'hang', timeoutMs: expected },
        reasons: ['primary failed: timeout TIMEOUT'],
      });
    }
    expect(timeouts.stats('hang').backoff).toBe(32);
    timeouts.record('hang', 50);
    expect(timeouts.timeoutFor('hang')).toBe(100);
  });

  it('learns nothing from an enclosing deadline running out or from other failures', async () => {
    const clock = new SimulatedClock();
    const timeouts = new AdaptiveTimeout({ minMs: 10, initialMs: 100 });
    const policy = timeout({ ms: timeouts, name: 'hang' });
    const turn = Deadline.after(30, { clock, step: 'turn' });
    const pending = policy.execute(never, { deadline: turn }).catch((e: AzcoreError) => e);
    clock.increment(30);
    expect(await pending).toMatchObject({ kind: 'timeout', step: 'turn' });
    const failed = await run(
      policy,
      async () => {
        throw new Error('Not connected');
      },
      { clock },
    );
    expect(failed.status).toBe('failed');
    expect(timeouts.stats('hang')).toMatchObject({ samples: 0, backoff: 1, timeoutMs: 100 });
  });

  it('rejects unusable settings with a ConfigurationError that shows what to write', () => {
    expect(() => new AdaptiveTimeout({ minMs: 500, maxMs: 100 })).toThrow(
      /0 < minMs <= maxMs.*new AdaptiveTimeout/,
    );
    expect(() => new AdaptiveTimeout({ window: 1 })).toThrow(/window must be an integer >= 2/);
    expect(() => new AdaptiveTimeout({ minSamples: 0 })).toThrow(/minSamples/);
  });

  it('property: the timeout always stays within [minMs, maxMs]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 200_000 }),
        fc.array(
          fc.oneof(fc.double({ min: -1e9, max: 1e12, noNaN: false }), fc.constant('timeout' as const)),
          {
            maxLength: 150,
          },
        ),
        (minMs, extra, initialMs, events) => {
          const maxMs = minMs + extra;
          const timeouts = new AdaptiveTimeout({ minMs, maxMs, initialMs, window: 20, minSamples: 2 });
          for (const e of events) {
            if (e === 'timeout') timeouts.recordTimeout('k');
            else timeouts.record('k', e);
            const t = timeouts.timeoutFor('k');
            expect(t).toBeGreaterThanOrEqual(minMs);
            expect(t).toBeLessThanOrEqual(maxMs);
          }
        },
      ),
    );
  });
});
