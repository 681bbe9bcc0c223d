import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BreakerStrategyConfig,
  type BreakerStrategyState,
  initialStrategyState,
  recordStrategyFailure,
  recordStrategySuccess,
  strategyProblems,
  successChangesState,
} from '../../machines/index.js';

type Outcome = 'S' | 'F';

/** Feeds outcomes (all at `at`) and returns the index of the outcome that opened, or -1. */
function openedAt(config: BreakerStrategyConfig, outcomes: Outcome[], at = 0): number {
  let state: BreakerStrategyState = initialStrategyState(config);
  for (const [i, o] of outcomes.entries()) {
    if (o === 'S') {
      state = recordStrategySuccess(config, state, at);
      continue;
    }
    const verdict = recordStrategyFailure(config, state, at);
    if (verdict.shouldOpen) return i;
    state = verdict.state;
  }
  return -1;
}

const seq = (s: string): Outcome[] => [...s] as Outcome[];

describe('consecutive strategy', () => {
  const config: BreakerStrategyConfig = { kind: 'consecutive', threshold: 3 };

  it('opens on exactly the threshold-th failure in a row', () => {
    expect(openedAt(config, seq('FF'))).toBe(-1);
    expect(openedAt(config, seq('FFF'))).toBe(2);
    expect(openedAt(config, seq('FFSFFSFFF'))).toBe(8);
  });

  it('returns the same state object for a success that changes nothing', () => {
    const state = initialStrategyState(config);
    expect(recordStrategySuccess(config, state, 0)).toBe(state);
    const afterFailure = recordStrategyFailure(config, state, 0).state;
    expect(recordStrategySuccess(config, afterFailure, 0)).toEqual({ kind: 'consecutive', failures: 0 });
  });

  it('property: opens exactly when the run of failures reaches the threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.constantFrom<Outcome>('S', 'F')),
        (n, outcomes) => {
          const cfg: BreakerStrategyConfig = { kind: 'consecutive', threshold: n };
          let run = 0;
          const expected = outcomes.findIndex((o) => {
            run = o === 'F' ? run + 1 : 0;
            return run >= n;
          });
          expect(openedAt(cfg, outcomes)).toBe(expected);
        },
      ),
    );
  });
});

describe('count strategy', () => {
  const config: BreakerStrategyConfig = { kind: 'count', threshold: 3, size: 5 };

  it('opens when threshold of the last size calls failed', () => {
    expect(openedAt(config, seq('FSFSS'))).toBe(-1);
    expect(openedAt(config, seq('FSFSF'))).toBe(4);
    // The first F has left the 5-call window by the time the third one arrives.
    expect(openedAt(config, seq('FSSSFSF'))).toBe(-1);
  });

  it('keeps only the last size outcomes in the persisted history', () => {
    let state = initialStrategyState(config);
    for (const o of seq('FFSSSSS')) {
      state =
        o === 'S' ? recordStrategySuccess(config, state, 0) : recordStrategyFailure(config, state, 0).state;
    }
    expect(state).toEqual({ kind: 'count', history: 'SSSSS' });
  });

  it('property: opens exactly when the window first holds threshold failures', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.constantFrom<Outcome>('S', 'F'), { maxLength: 40 }),
        (threshold, extra, outcomes) => {
          const size = threshold + extra;
          const expected = outcomes.findIndex(
            (o, i) =>
              o === 'F' &&
              outcomes.slice(Math.max(0, i + 1 - size), i + 1).filter((x) => x === 'F').length >= threshold,
          );
          expect(openedAt({ kind: 'count', threshold, size }, outcomes)).toBe(expected);
        },
      ),
    );
  });
});

describe('sampling strategy', () => {
  const config: BreakerStrategyConfig = { kind: 'sampling', ratio: 0.5, windowMs: 10_000, minThroughput: 4 };

  it('waits for minThroughput, then opens at exactly the ratio', () => {
    // 2 of 3 failed (67%) but only 3 calls: below minThroughput.
    expect(openedAt(config, seq('FSF'))).toBe(-1);
    // 4th call: 2 of 4 = 50% >= ratio.
    expect(openedAt(config, seq('SFSF'))).toBe(3);
    // 2 of 5 = 40%: not yet.
    expect(openedAt(config, seq('SSFSF'))).toBe(-1);
  });

  it('forgets outcomes older than the window', () => {
    let state = initialStrategyState(config);
    for (let i = 0; i < 3; i++) state = recordStrategyFailure(config, state, 0).state;
    // At t = 10 s the three failures are out of the window: one failure in one call is below minThroughput.
    expect(recordStrategyFailure(config, state, 10_000).shouldOpen).toBe(false);
    // At t = 9 s they still count: 4 failures of 4 calls.
    expect(recordStrategyFailure(config, state, 9_000).shouldOpen).toBe(true);
  });

  it('keeps at most one bucket per tenth of the window', () => {
    let state = initialStrategyState(config);
    for (let t = 0; t < 30_000; t += 250) state = recordStrategySuccess(config, state, t);
    expect(state.kind === 'sampling' && state.buckets.length).toBeLessThanOrEqual(10);
  });

  it('property: with all calls in one instant, opens exactly at minThroughput and ratio', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }).map((n) => n / 10),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.constantFrom<Outcome>('S', 'F'), { maxLength: 30 }),
        (ratio, minThroughput, outcomes) => {
          let failures = 0;
          const expected = outcomes.findIndex((o, i) => {
            if (o === 'S') return false;
            failures++;
            return i + 1 >= minThroughput && failures / (i + 1) >= ratio;
          });
          expect(openedAt({ kind: 'sampling', ratio, windowMs: 1000, minThroughput }, outcomes, 5)).toBe(
            expected,
          );
        },
      ),
    );
  });
});

describe('strategy state and configuration', () => {
  it('treats a state persisted under another strategy as empty', () => {
    const config: BreakerStrategyConfig = { kind: 'count', threshold: 1, size: 1 };
    const foreign: BreakerStrategyState = { kind: 'consecutive', failures: 4 };
    expect(recordStrategySuccess(config, foreign, 0)).toEqual({ kind: 'count', history: 'S' });
  });

  it('says when a success would change nothing, so the runtime can skip sending it', () => {
    const consecutive: BreakerStrategyConfig = { kind: 'consecutive', threshold: 2 };
    const zero = initialStrategyState(consecutive);
    expect(successChangesState(consecutive, zero)).toBe(false);
    expect(successChangesState(consecutive, recordStrategyFailure(consecutive, zero, 0).state)).toBe(true);
    const count: BreakerStrategyConfig = { kind: 'count', threshold: 1, size: 2 };
    expect(successChangesState(count, initialStrategyState(count))).toBe(true);
  });

  it('names each invalid option', () => {
    const options = (c: BreakerStrategyConfig) => strategyProblems(c).map((p) => p.option);
    expect(options({ kind: 'consecutive', threshold: 5 })).toEqual([]);
    expect(options({ kind: 'consecutive', threshold: 0 })).toEqual(['strategy.threshold']);
    expect(options({ kind: 'count', threshold: 3, size: 2 })).toEqual(['strategy.size']);
    expect(options({ kind: 'sampling', ratio: 0, windowMs: 1000, minThroughput: 1 })).toEqual([
      'strategy.ratio',
    ]);
    expect(options({ kind: 'sampling', ratio: 1.5, windowMs: 0, minThroughput: 0.5 })).toEqual([
      'strategy.ratio',
      'strategy.windowMs',
      'strategy.minThroughput',
    ]);
    expect(options({ kind: 'bogus' } as unknown as BreakerStrategyConfig)).toEqual(['strategy.kind']);
  });
});

// Added after a Stryker run (npm run test:mutation): exact states, edges and messages.
describe('strategy details (mutation testing)', () => {
  it('starts each strategy from its empty state', () => {
    expect(initialStrategyState({ kind: 'consecutive', threshold: 2 })).toEqual({
      kind: 'consecutive',
      failures: 0,
    });
    expect(initialStrategyState({ kind: 'count', threshold: 2, size: 3 })).toEqual({
      kind: 'count',
      history: '',
    });
    expect(initialStrategyState({ kind: 'sampling', ratio: 0.5, windowMs: 1_000, minThroughput: 1 })).toEqual(
      { kind: 'sampling', buckets: [] },
    );
  });

  it('consecutive: a success resets the count; a foreign state counts as zero failures', () => {
    const config: BreakerStrategyConfig = { kind: 'consecutive', threshold: 2 };
    expect(recordStrategySuccess(config, { kind: 'consecutive', failures: 3 }, 0)).toEqual({
      kind: 'consecutive',
      failures: 0,
    });
    const foreign: BreakerStrategyState = { kind: 'count', history: 'FFFF' };
    expect(recordStrategySuccess(config, foreign, 0)).toEqual({ kind: 'consecutive', failures: 0 });
    expect(recordStrategyFailure(config, foreign, 0)).toEqual({
      state: { kind: 'consecutive', failures: 1 },
      shouldOpen: false,
    });
    expect(recordStrategyFailure(config, { kind: 'consecutive', failures: 1 }, 0)).toEqual({
      state: { kind: 'consecutive', failures: 2 },
      shouldOpen: true,
    });
    expect(recordStrategyFailure(config, { kind: 'consecutive', failures: 5 }, 0).shouldOpen).toBe(true);
  });

  it('successChangesState is true for a consecutive config over a foreign state, and for sampling', () => {
    const consecutive: BreakerStrategyConfig = { kind: 'consecutive', threshold: 2 };
    expect(successChangesState(consecutive, { kind: 'count', history: '' })).toBe(true);
    const sampling: BreakerStrategyConfig = {
      kind: 'sampling',
      ratio: 0.5,
      windowMs: 1_000,
      minThroughput: 1,
    };
    expect(successChangesState(sampling, initialStrategyState(sampling))).toBe(true);
    // A zeroed consecutive state persisted before switching to sampling still changes on a success.
    expect(successChangesState(sampling, { kind: 'consecutive', failures: 0 })).toBe(true);
  });

  it('count: the history holds exactly size outcomes, oldest dropped first', () => {
    const config: BreakerStrategyConfig = { kind: 'count', threshold: 3, size: 3 };
    let state: BreakerStrategyState = initialStrategyState(config);
    state = recordStrategyFailure(config, state, 0).state;
    state = recordStrategySuccess(config, state, 0);
    state = recordStrategyFailure(config, state, 0).state;
    expect(state).toEqual({ kind: 'count', history: 'FSF' });
    state = recordStrategySuccess(config, state, 0);
    expect(state).toEqual({ kind: 'count', history: 'SFS' });
    // Failures at both ends of the history are counted.
    const verdict = recordStrategyFailure(
      { kind: 'count', threshold: 2, size: 3 },
      { kind: 'count', history: 'FS' },
      0,
    );
    expect(verdict).toEqual({ state: { kind: 'count', history: 'FSF' }, shouldOpen: true });
  });

  it('sampling: buckets are a tenth of the window wide, aligned, and hold exact counts', () => {
    const config: BreakerStrategyConfig = {
      kind: 'sampling',
      ratio: 0.9,
      windowMs: 10_000,
      minThroughput: 100,
    };
    let state: BreakerStrategyState = initialStrategyState(config);
    state = recordStrategySuccess(config, state, 2_345);
    state = recordStrategyFailure(config, state, 2_999).state;
    state = recordStrategyFailure(config, state, 3_000).state;
    expect(state).toEqual({
      kind: 'sampling',
      buckets: [
        { start: 2_000, successes: 1, failures: 1 },
        { start: 3_000, successes: 0, failures: 1 },
      ],
    });
    // A clock stepping backwards lands in the newest bucket.
    state = recordStrategySuccess(config, state, 1_000);
    expect(state.kind === 'sampling' && state.buckets[1]).toEqual({
      start: 3_000,
      successes: 1,
      failures: 1,
    });
  });

  it('sampling: negative times align down, and tiny windows use 1 ms buckets', () => {
    const config: BreakerStrategyConfig = { kind: 'sampling', ratio: 1, windowMs: 10_000, minThroughput: 1 };
    const verdict = recordStrategyFailure(config, initialStrategyState(config), -1_500);
    expect(verdict).toEqual({
      state: { kind: 'sampling', buckets: [{ start: -2_000, successes: 0, failures: 1 }] },
      shouldOpen: true,
    });
    const tiny: BreakerStrategyConfig = { kind: 'sampling', ratio: 1, windowMs: 5, minThroughput: 1 };
    let state: BreakerStrategyState = initialStrategyState(tiny);
    state = recordStrategySuccess(tiny, state, 3);
    state = recordStrategySuccess(tiny, state, 4);
    expect(state).toEqual({
      kind: 'sampling',
      buckets: [
        { start: 3, successes: 1, failures: 0 },
        { start: 4, successes: 1, failures: 0 },
      ],
    });
  });

  it('count and sampling treat a foreign state as empty, whatever the window size', () => {
    const foreign: BreakerStrategyState = { kind: 'consecutive', failures: 4 };
    expect(recordStrategySuccess({ kind: 'count', threshold: 2, size: 5 }, foreign, 0)).toEqual({
      kind: 'count',
      history: 'S',
    });
    const sampling: BreakerStrategyConfig = { kind: 'sampling', ratio: 1, windowMs: 1_000, minThroughput: 2 };
    expect(recordStrategyFailure(sampling, foreign, 0)).toEqual({
      state: { kind: 'sampling', buckets: [{ start: 0, successes: 0, failures: 1 }] },
      shouldOpen: false,
    });
  });

  it('accepts the boundary values of every option', () => {
    expect(strategyProblems({ kind: 'consecutive', threshold: 1 })).toEqual([]);
    expect(strategyProblems({ kind: 'count', threshold: 2, size: 2 })).toEqual([]);
    expect(strategyProblems({ kind: 'sampling', ratio: 1, windowMs: 1, minThroughput: 1 })).toEqual([]);
    expect(strategyProblems({ kind: 'count', threshold: 0, size: 0 }).map((p) => p.option)).toEqual([
      'strategy.threshold',
      'strategy.size',
    ]);
  });

  it('rejects non-integers and non-finite windows, with a message naming the value', () => {
    expect(strategyProblems({ kind: 'consecutive', threshold: 2.5 })).toEqual([
      { option: 'strategy.threshold', problem: 'must be an integer >= 1, got 2.5' },
    ]);
    expect(strategyProblems({ kind: 'count', threshold: 3, size: 2 })).toEqual([
      { option: 'strategy.size', problem: 'must be an integer >= 3, got 2' },
    ]);
    expect(
      strategyProblems({ kind: 'sampling', ratio: 0, windowMs: Number.POSITIVE_INFINITY, minThroughput: 1 }),
    ).toEqual([
      { option: 'strategy.ratio', problem: 'must be in (0, 1], got 0' },
      { option: 'strategy.windowMs', problem: 'must be a positive number of ms, got Infinity' },
    ]);
    expect(strategyProblems({ kind: 'bogus' } as unknown as BreakerStrategyConfig)).toEqual([
      { option: 'strategy.kind', problem: `must be 'consecutive', 'count' or 'sampling', got "bogus"` },
    ]);
  });
});
