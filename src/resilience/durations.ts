import { ConfigurationError } from '../errors/ConfigurationError.js';

/**
 * The longest delay a timer honours. Node (like browsers) stores it as a signed 32-bit integer: a
 * longer one (2^31 ms, 1e12, ...) is reset to 1 ms and fires at once, so a huge timeout would
 * turn into an instant one. Every duration the runtime arms as a timer is checked against it
 * where options enter (config, Deadline, breaker, connection, backoff); `systemClock` clamps to
 * it as the last line of defence.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a timer duration may be, beyond "a number of ms <= {@link MAX_TIMER_MS}". */
export interface DurationRule {
  /** Whether 0 is allowed (e.g. "keepalive off", "no backoff"). Default: true. */
  zero?: boolean | undefined;
  /** Whether `Infinity` means "no limit" here. Default: false. */
  infinite?: boolean | undefined;
}

// Rounded down: "at most" must not overstate it.
const DAYS = Math.floor((MAX_TIMER_MS / 86_400_000) * 10) / 10;

/**
 * The tail of "<option> must be ...", or `undefined` when `value` is a valid timer duration.
 *
 * @example timerDurationProblem(2 ** 31) // 'must be a number of ms in [0, 2147483647] (about 24.8 days; ...), got 2147483648'
 */
export function timerDurationProblem(value: unknown, rule: DurationRule = {}): string | undefined {
  const zero = rule.zero ?? true;
  const infinite = rule.infinite ?? false;
  if (typeof value === 'number') {
    if (value === Number.POSITIVE_INFINITY && infinite) return undefined;
    if (value <= MAX_TIMER_MS && (zero ? value >= 0 : value > 0)) return undefined;
  }
  const range = `${zero ? '[0' : '(0'}, ${MAX_TIMER_MS}]`;
  const limit = infinite ? ', or Infinity for no limit' : '';
  return `must be a number of ms in ${range}${limit} (about ${DAYS} days at most: a longer timer fires at once), got ${describe(value)}`;
}

/**
 * Throws a {@link ConfigurationError} naming `owner` and `option` when `value` is not a valid timer
 * duration (see {@link timerDurationProblem}); `undefined` (option left out) passes.
 *
 * @example checkTimerMs(options.pingTimeoutMs, 'pingTimeoutMs', "connection of server 'files'");
 */
export function checkTimerMs(value: unknown, option: string, owner: string, rule: DurationRule = {}): void {
  if (value === undefined) return;
  const problem = timerDurationProblem(value, rule);
  if (problem) {
    throw new ConfigurationError(`Invalid ${owner} option '${option}': ${problem}.`, {
      hint: `Write a whole number of milliseconds, e.g. ${option}: 30000.`,
    });
  }
}

/** Timer durations of `ServerConnectionOptions.connection` and what each may be. */
const CONNECTION_TIMERS: Readonly<Record<string, DurationRule>> = {
  connectTimeoutMs: { zero: false },
  pingIntervalMs: { zero: true }, // 0 turns keepalive off
  pingTimeoutMs: { zero: false },
  failedCooldownMs: { zero: true },
  backoffBaseMs: { zero: true },
  backoffMaxMs: { zero: true },
};

/**
 * Checks the timer durations of a server's connection options (keepalive, reconnect backoff,
 * cooldown), so a hostile or mistyped value fails at construction instead of firing at once.
 *
 * @example checkConnectionTimers({ pingIntervalMs: 2 ** 31 }, 'files') // throws ConfigurationError
 */
export function checkConnectionTimers(connection: object | undefined, server: string): void {
  if (connection === undefined) return;
  const values = connection as Record<string, unknown>;
  for (const [option, rule] of Object.entries(CONNECTION_TIMERS)) {
    checkTimerMs(values[option], option, `connection of server '${server}'`, rule);
  }
}

/**
 * `ms`, clamped to {@link MAX_TIMER_MS}: where a timer is armed, a delay past the limit waits as
 * long as a timer can instead of firing at once. Validation upstream should have refused it.
 */
export function clampTimerMs(ms: number): number {
  return Math.min(ms, MAX_TIMER_MS);
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (value === null) return 'null';
  return `a value of type ${typeof value}`;
}
