import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock, type Snapshot } from 'xstate';
import type { BreakerStrategyConfig } from '../../machines/index.js';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { MAX_RESTORE_CLOCK_SKEW_MS } from '../../src/resilience/breakerSnapshot.js';

const RESET = 30_000;
const DAY = 86_400_000;
const STRATEGY: BreakerStrategyConfig = { kind: 'consecutive', threshold: 3 };

type Json = Record<string, unknown> & { context: Record<string, unknown> };

/** A breaker opened at `openedAt` on its clock, persisted and round-tripped through JSON. */
function savedOpen(openedAt = 1_000): Json {
  const clock = new SimulatedClock();
  clock.set(openedAt);
  const breaker = new CircuitBreaker({ id: 'github', strategy: STRATEGY, resetTimeoutMs: RESET, clock });
  for (let i = 0; i < 3; i++) {
    const permit = breaker.acquire();
    if (!isCircuitOpenError(permit)) permit.failure();
  }
  expect(breaker.state).toBe('open');
  const saved = JSON.parse(JSON.stringify(breaker.getPersistedSnapshot())) as Json;
  breaker.stop();
  return saved;
}

/** Restores `snapshot` on a clock at `now`. */
function restore(snapshot: unknown, now = 2_000, strategy: BreakerStrategyConfig = STRATEGY) {
  const clock = new SimulatedClock();
  clock.set(now);
  const breaker = new CircuitBreaker({
    id: 'github',
    server: 'gh',
    strategy,
    resetTimeoutMs: RESET,
    clock,
    snapshot: snapshot as Snapshot<unknown>,
  });
  return { clock, breaker };
}

function withContext(patch: Record<string, unknown>, base = savedOpen()): Json {
  return { ...base, context: { ...base.context, ...patch } };
}

/** The ConfigurationError that restoring `snapshot` throws. */
function refusal(snapshot: unknown, now?: number): ConfigurationError {
  let thrown: unknown;
  try {
    restore(snapshot, now).breaker.stop();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ConfigurationError);
  const error = thrown as ConfigurationError;
  expect(error.code).toBe('INVALID_CONFIG');
  // Names the server and breaker, the option, and says what to do.
  expect(error.message).toMatch(/^\[gh\] Invalid circuit breaker option 'snapshot' of 'github': /);
  expect(error.message).toMatch(/getPersistedSnapshot\(\)|leave 'snapshot' out/);
  return error;
}

describe('CircuitBreaker snapshot restore: valid snapshots', () => {
  it('resumes the remaining open time after a JSON round trip', () => {
    const { clock, breaker } = restore(savedOpen(1_000), 12_000);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAt).toBe(1_000 + RESET);
    clock.increment(1_000 + RESET - 12_000 - 1);
    expect(breaker.state).toBe('open');
    clock.increment(1);
    expect(breaker.state).toBe('halfOpen');
    breaker.stop();
  });

  it('clamps an openedAt within the allowed clock skew to now: open for resetTimeoutMs at most', () => {
    const { breaker } = restore(withContext({ openedAt: 2_000 + MAX_RESTORE_CLOCK_SKEW_MS }), 2_000);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAt).toBe(2_000 + RESET);
    expect(breaker.actor.getSnapshot().context.openedAt).toBe(2_000);
    breaker.stop();
  });

  it('drops unknown keys and ignores the settings saved with the snapshot (today’s options win)', () => {
    const snapshot = withContext({ resetTimeoutMs: 'garbage', strategy: null, extra: { a: 1 } });
    const { breaker } = restore({ ...snapshot, junk: true });
    expect(breaker.actor.getSnapshot().context).toMatchObject({ resetTimeoutMs: RESET, strategy: STRATEGY });
    expect(breaker.actor.getSnapshot().context).not.toHaveProperty('extra');
    breaker.stop();
  });

  it('property: every snapshot a count or sampling breaker persists restores to the same state', () => {
    const strategies: BreakerStrategyConfig[] = [
      { kind: 'count', threshold: 3, size: 5 },
      { kind: 'sampling', ratio: 0.5, windowMs: 1_000, minThroughput: 4 },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...strategies),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { maxLength: 60 }),
        (strategy, outcomes) => {
          const clock = new SimulatedClock();
          const first = new CircuitBreaker({ id: 'github', strategy, resetTimeoutMs: RESET, clock });
          for (const [failed, wait] of outcomes) {
            clock.increment(wait);
            const permit = first.acquire();
            if (isCircuitOpenError(permit)) continue;
            if (failed) permit.failure();
            else permit.success();
          }
          const saved = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
          const { breaker } = restore(saved, clock.now(), strategy);
          const { value, context } = first.actor.getSnapshot();
          expect(breaker.state).toBe(value);
          expect(breaker.actor.getSnapshot().context.strategyState).toEqual(context.strategyState);
          first.stop();
          breaker.stop();
        },
      ),
    );
  });
});

describe('CircuitBreaker snapshot restore: hostile snapshots give a ConfigurationError', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['not an object', () => 'open', /snapshot must be an object from getPersistedSnapshot\(\), got "open"/],
    ['null', () => null, /snapshot must be an object/],
    ['a finished actor', () => ({ ...savedOpen(), status: 'done' }), /status must be 'active'/],
    [
      'an unknown state',
      () => ({ ...savedOpen(), value: 'ajar' }),
      /value must be 'closed', 'open', 'halfOpen' or 'isolated', got "ajar"/,
    ],
    ['a nested state value', () => ({ ...savedOpen(), value: { open: 'x' } }), /value must be/],
    ['no context', () => ({ ...savedOpen(), context: undefined }), /context must be an object/],
    [
      'openedAt "abc"',
      () => withContext({ openedAt: 'abc' }),
      /context\.openedAt must be epoch ms: a finite number >= 0, got "abc"/,
    ],
    [
      'openedAt NaN (null after JSON)',
      () => withContext({ openedAt: null }),
      /context\.openedAt must be epoch ms.*got null/,
    ],
    [
      'openedAt NaN',
      () => withContext({ openedAt: Number.NaN }),
      /context\.openedAt must be epoch ms.*got NaN/,
    ],
    [
      'openedAt Infinity',
      () => withContext({ openedAt: Number.POSITIVE_INFINITY }),
      /context\.openedAt must be epoch ms.*got Infinity/,
    ],
    ['openedAt negative', () => withContext({ openedAt: -5 }), /context\.openedAt must be epoch ms.*got -5/],
    ['open without openedAt', () => withContext({ openedAt: undefined }), /context\.openedAt is missing/],
    [
      'probesInFlight "1"',
      () => withContext({ probesInFlight: '1' }),
      /context\.probesInFlight must be an integer >= 0, got "1"/,
    ],
    [
      'probesInFlight -1',
      () => withContext({ probesInFlight: -1 }),
      /context\.probesInFlight must be an integer >= 0, got -1/,
    ],
    [
      'probesInFlight 0.5',
      () => withContext({ probesInFlight: 0.5 }),
      /context\.probesInFlight must be an integer >= 0, got 0\.5/,
    ],
    [
      'halfOpenSuccesses NaN',
      () => withContext({ halfOpenSuccesses: Number.NaN }),
      /context\.halfOpenSuccesses must be an integer >= 0, got NaN/,
    ],
    [
      'lastProbeAt as a string',
      () => withContext({ lastProbeAt: '2026-01-01' }),
      /context\.lastProbeAt must be epoch ms/,
    ],
    [
      'failures as a string',
      () => withContext({ strategyState: { kind: 'consecutive', failures: '2' } }),
      /context\.strategyState\.failures must be an integer >= 0, got "2"/,
    ],
    [
      'failures negative',
      () => withContext({ strategyState: { kind: 'consecutive', failures: -3 } }),
      /failures must be an integer >= 0, got -3/,
    ],
    [
      'an unknown strategy kind',
      () => withContext({ strategyState: { kind: 'vibes' } }),
      /context\.strategyState\.kind must be 'consecutive', 'count' or 'sampling', got "vibes"/,
    ],
    ['no strategy state', () => withContext({ strategyState: undefined }), /context\.strategyState must be/],
    [
      'a count history of other letters',
      () => withContext({ strategyState: { kind: 'count', history: 'SFX' } }),
      /history must be a string of 'S' \(success\) and 'F' \(failure\)/,
    ],
    [
      'buckets not an array',
      () => withContext({ strategyState: { kind: 'sampling', buckets: {} } }),
      /buckets must be at most 10 buckets/,
    ],
    [
      'too many buckets',
      () =>
        withContext({
          strategyState: {
            kind: 'sampling',
            buckets: Array.from({ length: 11 }, (_, i) => ({ start: i, successes: 0, failures: 1 })),
          },
        }),
      /buckets must be at most 10 buckets/,
    ],
    [
      'buckets out of order',
      () =>
        withContext({
          strategyState: {
            kind: 'sampling',
            buckets: [
              { start: 200, successes: 1, failures: 0 },
              { start: 100, successes: 1, failures: 0 },
            ],
          },
        }),
      /each start later than the one before/,
    ],
    [
      'a bucket with NaN failures',
      () =>
        withContext({
          strategyState: { kind: 'sampling', buckets: [{ start: 0, successes: 1, failures: null }] },
        }),
      /buckets\.0\.failures must be an integer >= 0, got null/,
    ],
    [
      'children to restore',
      () => ({ ...savedOpen(), children: { evil: { src: 'x' } } }),
      /children must be an empty object/,
    ],
  ])('%s', (_, snapshot, message) => {
    expect(refusal(snapshot()).message).toMatch(message);
  });

  it('refuses an openedAt days in the future instead of refusing calls for days', () => {
    const error = refusal(withContext({ openedAt: 2_000 + 3 * DAY }), 2_000);
    expect(error.message).toMatch(
      /context\.openedAt is 259202000 \(1970-01-04T00:00:02\.000Z\), 259200000 ms after this clock's now .* more than the 60000 ms of clock skew allowed/,
    );
    expect(error.message).toMatch(/check the clocks \(NTP\)/);
  });

  it('refuses an openedAt just past the allowed skew, and future probe leases and buckets', () => {
    refusal(withContext({ openedAt: 2_000 + MAX_RESTORE_CLOCK_SKEW_MS + 1 }), 2_000);
    expect(refusal(withContext({ lastProbeAt: 2_000 + DAY }), 2_000).message).toMatch(
      /context\.lastProbeAt is/,
    );
    const future = { kind: 'sampling', buckets: [{ start: 2_000 + DAY, successes: 0, failures: 9 }] };
    expect(refusal(withContext({ strategyState: future }), 2_000).message).toMatch(
      /context\.strategyState\.buckets\.0\.start is/,
    );
  });

  it('never lets a restored breaker throw a raw RangeError from acquire()', () => {
    for (const openedAt of ['abc', Number.NaN, 1e300, -1e300, {}]) {
      try {
        const { breaker } = restore(withContext({ openedAt }));
        expect(() => breaker.acquire()).not.toThrow();
        breaker.stop();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigurationError);
      }
    }
  });
});
