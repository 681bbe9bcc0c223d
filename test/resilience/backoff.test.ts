import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import {
  type BackoffStrategy,
  constantBackoff,
  createBackoff,
  decorrelatedJitter,
  exponentialBackoff,
  jitteredBackoff,
  previewSchedule,
  seededRandom,
} from '../../src/resilience/backoff.js';

describe('backoff schedules', () => {
  it('exponential doubles from the base and stops at the cap', () => {
    const b = exponentialBackoff({ baseMs: 1_000, maxMs: 10_000 });
    expect([1, 2, 3, 4, 5, 6].map((a) => b(a, 0))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('jittered adds at most 10% (the guide) and is reproducible with a seed', () => {
    const a = jitteredBackoff({ baseMs: 1_000 }, seededRandom(7));
    const b = jitteredBackoff({ baseMs: 1_000 }, seededRandom(7));
    const xs = [1, 2, 3].map((n) => a(n, 0));
    expect(xs).toEqual([1, 2, 3].map((n) => b(n, 0)));
    expect(xs[0]).toBeGreaterThanOrEqual(1_000);
    expect(xs[0]).toBeLessThanOrEqual(1_100);
  });

  it('property: every schedule stays within [base, max]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer(),
        (baseMs, extra, attempt, previous, seed) => {
          const maxMs = baseMs + extra;
          const random = seededRandom(seed);
          for (const schedule of [
            exponentialBackoff({ baseMs, maxMs }),
            jitteredBackoff({ baseMs, maxMs }, random),
            decorrelatedJitter({ baseMs, maxMs }, random),
          ]) {
            const d = schedule(attempt, previous);
            expect(d).toBeGreaterThanOrEqual(Math.min(baseMs, maxMs));
            expect(d).toBeLessThanOrEqual(maxMs);
          }
        },
      ),
    );
  });

  it('property: decorrelated jitter stays below 3x the previous delay (or the base)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer(),
        (base, prev, seed) => {
          const d = decorrelatedJitter({ baseMs: base, maxMs: 1e9 }, seededRandom(seed))(2, prev);
          expect(d).toBeLessThanOrEqual(Math.max(base, prev * 3));
        },
      ),
    );
  });

  it('constant repeats its base; previewSchedule feeds each delay into the next', () => {
    expect(previewSchedule(constantBackoff({ baseMs: 2_000 }), 3)).toEqual([2_000, 2_000, 2_000]);
    expect(previewSchedule(exponentialBackoff({ baseMs: 1_000, maxMs: 60_000 }), 5)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000,
    ]);
    const decorrelated = previewSchedule(
      decorrelatedJitter({ baseMs: 100, maxMs: 10_000 }, seededRandom(3)),
      6,
    );
    expect(decorrelated[0]).toBe(100);
    for (let i = 1; i < decorrelated.length; i++) {
      expect(decorrelated[i]).toBeLessThanOrEqual(Math.max(100, (decorrelated[i - 1] ?? 0) * 3));
    }
  });

  it('createBackoff builds each named schedule like its factory', () => {
    const strategies: BackoffStrategy[] = ['constant', 'exponential', 'jittered', 'decorrelated'];
    const factories = {
      constant: () => constantBackoff({ baseMs: 50 }),
      exponential: () => exponentialBackoff({ baseMs: 50, maxMs: 5_000 }),
      jittered: () => jitteredBackoff({ baseMs: 50, maxMs: 5_000 }, seededRandom(9)),
      decorrelated: () => decorrelatedJitter({ baseMs: 50, maxMs: 5_000 }, seededRandom(9)),
    };
    for (const name of strategies) {
      const built = createBackoff(name, { baseMs: 50, maxMs: 5_000 }, seededRandom(9));
      expect(previewSchedule(built, 8)).toEqual(previewSchedule(factories[name](), 8));
    }
  });

  it('property: a previewed schedule is whole ms within [base, max] for every strategy', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<BackoffStrategy>('constant', 'exponential', 'jittered', 'decorrelated'),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer(),
        (strategy, baseMs, extra, retries, seed) => {
          const maxMs = baseMs + extra;
          const delays = previewSchedule(
            createBackoff(strategy, { baseMs, maxMs }, seededRandom(seed)),
            retries,
          );
          expect(delays).toHaveLength(retries);
          for (const d of delays) {
            expect(Number.isInteger(d)).toBe(true);
            expect(d).toBeGreaterThanOrEqual(baseMs);
            expect(d).toBeLessThanOrEqual(maxMs);
          }
        },
      ),
    );
  });

  it('a jittered delay fires on a SimulatedClock advanced by exactly that delay', () => {
    const random = seededRandom(11);
    for (const schedule of [
      jitteredBackoff({ baseMs: 250 }, random),
      decorrelatedJitter({ baseMs: 250 }, random),
    ]) {
      const clock = new SimulatedClock();
      let previous = 0;
      for (let attempt = 1; attempt <= 20; attempt++) {
        clock.increment(attempt * 137); // a clock that has moved on
        const delay = schedule(attempt, previous);
        previous = delay;
        let fired = false;
        clock.setTimeout(() => {
          fired = true;
        }, delay);
        clock.increment(delay);
        expect(fired).toBe(true);
      }
    }
  });
  // Added after a Stryker run (npm run test:mutation): pin the exact values the schedules produce.
  describe('exact values (mutation testing)', () => {
    it('seededRandom is mulberry32: pinned outputs, also for a negative seed', () => {
      const r = seededRandom(1);
      expect([r(), r(), r()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
      const n = seededRandom(-5);
      expect([n(), n()]).toEqual([0.48384718922898173, 0.05296749505214393]);
    });

    it('defaults: base 100 ms, cap 30 s, factor 2, jitter 10%', () => {
      expect([1, 2, 3].map((a) => exponentialBackoff()(a, 0))).toEqual([100, 200, 400]);
      expect(exponentialBackoff()(40, 0)).toBe(30_000);
      expect(exponentialBackoff({ baseMs: 10, factor: 3 })(3, 0)).toBe(90);
      expect(jitteredBackoff({}, () => 0.999)(1, 0)).toBe(109);
      expect(jitteredBackoff({}, () => 0.999)(40, 0)).toBe(30_000);
      expect(jitteredBackoff({ baseMs: 1_000, jitterRatio: 0.5 }, () => 0.5)(1, 0)).toBe(1_250);
      expect(decorrelatedJitter({}, () => 0)(1, 0)).toBe(100);
      expect(decorrelatedJitter({}, () => 0.999_999)(5, 1e9)).toBe(30_000);
      expect(constantBackoff()(1, 0)).toBe(100);
    });

    it('attempt 0 or below is treated as the first retry', () => {
      expect(exponentialBackoff({ baseMs: 100 })(0, 0)).toBe(100);
      expect(exponentialBackoff({ baseMs: 100 })(-3, 0)).toBe(100);
    });

    it('decorrelated jitter draws between base and 3x the previous delay', () => {
      expect(decorrelatedJitter({ baseMs: 100, maxMs: 1e9 }, () => 0.5)(2, 1_000)).toBe(1_550);
      expect(decorrelatedJitter({ baseMs: 100, maxMs: 1e9 }, () => 0.5)(2, 10)).toBe(100);
    });

    it('constant never exceeds its cap', () => {
      expect(constantBackoff({ baseMs: 5_000, maxMs: 1_000 })(1, 0)).toBe(1_000);
    });

    it('createBackoff picks the named schedule', () => {
      const random = () => 0.5;
      const opts = { baseMs: 1_000, maxMs: 1e9 };
      expect(previewSchedule(createBackoff('constant', opts, random), 3)).toEqual([1_000, 1_000, 1_000]);
      expect(previewSchedule(createBackoff('exponential', opts, random), 3)).toEqual([1_000, 2_000, 4_000]);
      expect(previewSchedule(createBackoff('jittered', opts, random), 3)).toEqual([1_050, 2_100, 4_200]);
      expect(previewSchedule(createBackoff('decorrelated', opts, random), 3)).toEqual([1_000, 2_000, 3_500]);
    });

    it('previewSchedule passes attempts 1..n and each previous delay', () => {
      const calls: Array<[number, number]> = [];
      const delays = previewSchedule((attempt, previous) => {
        calls.push([attempt, previous]);
        return previous + attempt;
      }, 3);
      expect(calls).toEqual([
        [1, 0],
        [2, 1],
        [3, 3],
      ]);
      expect(delays).toEqual([1, 3, 6]);
      expect(previewSchedule(() => 5, 0)).toEqual([]);
    });
  });
});
