import { checkTimerMs } from './durations.js';

/** A source of uniform numbers in [0, 1): injectable so jitter is reproducible in tests. */
export type Random = () => number;

/** Options shared by the backoff schedules. All in milliseconds. */
export interface BackoffOptions {
  /** First delay. Default 100 ms. */
  baseMs?: number;
  /** Ceiling of any single delay. Default 30 s. */
  maxMs?: number;
  /** Growth per attempt for exponential schedules. Default 2. */
  factor?: number;
}

/**
 * A backoff schedule: given the attempt number (1 for the first retry) and the previous delay,
 * the next delay. Pure, apart from the injected RNG. The built-in schedules return whole
 * milliseconds (given whole-ms options): real timers honour nothing finer, and a fractional delay
 * may never fire on xstate's SimulatedClock, whose `now - start >= timeout` check loses to
 * floating-point rounding.
 */
export type Backoff = (attempt: number, previousMs: number) => number;

/**
 * Plain exponential: base * factor^(attempt-1), capped.
 *
 * @example exponentialBackoff({ baseMs: 1000 })(3, 0) // 4000
 */
export function exponentialBackoff(options: BackoffOptions = {}): Backoff {
  const { baseMs = 100, maxMs = 30_000, factor = 2 } = checked(options);
  return (attempt) => Math.min(maxMs, Math.round(baseMs * factor ** Math.max(0, attempt - 1)));
}

/**
 * Exponential plus up to `jitterRatio` (default 10%, the guide's) extra, capped.
 *
 * @example jitteredBackoff({ baseMs: 1000 }, Math.random)(1, 0) // 1000..1100
 */
export function jitteredBackoff(
  options: BackoffOptions & { jitterRatio?: number } = {},
  random: Random = Math.random,
): Backoff {
  const exp = exponentialBackoff(options);
  const { maxMs = 30_000, jitterRatio = 0.1 } = options;
  return (attempt, previous) => {
    const d = exp(attempt, previous);
    return Math.min(maxMs, Math.floor(d + d * jitterRatio * random()));
  };
}

/**
 * Decorrelated jitter (AWS architecture blog): random between base and 3x the previous delay,
 * capped. Spreads reconnect storms better than plain jitter; the default for reconnects.
 *
 * @example decorrelatedJitter({ baseMs: 100, maxMs: 10_000 })(2, 300) // 100..900
 */
export function decorrelatedJitter(options: BackoffOptions = {}, random: Random = Math.random): Backoff {
  const { baseMs = 100, maxMs = 30_000 } = checked(options);
  return (_attempt, previous) => {
    const upper = Math.max(baseMs, previous * 3);
    return Math.min(maxMs, Math.floor(baseMs + (upper - baseMs) * random()));
  };
}

/** A seeded RNG (mulberry32) for reproducible jitter in tests and simulations. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The same delay every time: an entry of the guide's adaptive retry table (2 s, 5 s, 1 s) in
 * schedule form; `byKind(table)` is the whole table.
 *
 * @example constantBackoff({ baseMs: 2_000 })(4, 2_000) // 2000
 */
export function constantBackoff(options: Pick<BackoffOptions, 'baseMs' | 'maxMs'> = {}): Backoff {
  const { baseMs = 100, maxMs = 30_000 } = checked(options);
  const delay = Math.min(baseMs, maxMs);
  return () => delay;
}

/** The schedules by name, so a retry table can be plain data (JSON config, a printed table). */
export type BackoffStrategy = 'constant' | 'exponential' | 'jittered' | 'decorrelated';

/**
 * Builds a named schedule. `decorrelated` is the runtime's default: it spreads retries of many
 * callers best.
 *
 * @example createBackoff('jittered', { baseMs: 500, maxMs: 8_000 }, seededRandom(1))
 */
export function createBackoff(
  strategy: BackoffStrategy,
  options: BackoffOptions = {},
  random: Random = Math.random,
): Backoff {
  switch (strategy) {
    case 'constant':
      return constantBackoff(options);
    case 'exponential':
      return exponentialBackoff(options);
    case 'jittered':
      return jitteredBackoff(options, random);
    case 'decorrelated':
      return decorrelatedJitter(options, random);
  }
}

/**
 * The first `retries` delays a schedule would produce, each fed the previous one: for logs, docs
 * and tests. Consumes the schedule's RNG like a real run would.
 *
 * @example previewSchedule(exponentialBackoff({ baseMs: 1_000 }), 4) // [1000, 2000, 4000, 8000]
 */
export function previewSchedule(backoff: Backoff, retries: number): number[] {
  const delays: number[] = [];
  let previous = 0;
  for (let attempt = 1; attempt <= retries; attempt++) {
    previous = backoff(attempt, previous);
    delays.push(previous);
  }
  return delays;
}

/** Every delay becomes a timer: bounds past MAX_TIMER_MS (or not numbers) are refused when the schedule is built. */
function checked<T extends Pick<BackoffOptions, 'baseMs' | 'maxMs'>>(options: T): T {
  checkTimerMs(options.baseMs, 'baseMs', 'backoff');
  checkTimerMs(options.maxMs, 'maxMs', 'backoff');
  return options;
}
