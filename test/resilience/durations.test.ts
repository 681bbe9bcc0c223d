import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { parseServerConfig } from '../../src/config/serverConfig.js';
import { ConfigurationError } from '../../src/errors/ConfigurationError.js';
import { byKind } from '../../src/policy/byKind.js';
import { AdaptiveTimeout } from '../../src/resilience/AdaptiveTimeout.js';
import {
  constantBackoff,
  createBackoff,
  decorrelatedJitter,
  exponentialBackoff,
  jitteredBackoff,
} from '../../src/resilience/backoff.js';
import { systemClock } from '../../src/resilience/Clock.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import {
  checkConnectionTimers,
  checkTimerMs,
  clampTimerMs,
  MAX_TIMER_MS,
  timerDurationProblem,
} from '../../src/resilience/durations.js';
import { quietLogger } from '../actors/connectionTestKit.js';

const TOO_LONG = [2 ** 31, 1e12, Number.MAX_SAFE_INTEGER];
const NOT_DURATIONS: unknown[] = [Number.NaN, -1, '5000', null, {}, true];

/** Runs `fn`, expects a ConfigurationError and returns its message. */
function configError(fn: () => unknown): string {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ConfigurationError);
  return (thrown as ConfigurationError).message;
}

describe('the shared timer guard', () => {
  it('is the longest delay Node honours', () => {
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });

  it('accepts durations up to MAX_TIMER_MS, 0 and Infinity only where allowed', () => {
    for (const ms of [0, 1, 1.5, 30_000, MAX_TIMER_MS]) expect(timerDurationProblem(ms)).toBeUndefined();
    expect(timerDurationProblem(0, { zero: false })).toMatch(/in \(0, 2147483647\].*, got 0$/);
    expect(timerDurationProblem(Number.POSITIVE_INFINITY)).toMatch(/got Infinity/);
    expect(timerDurationProblem(Number.POSITIVE_INFINITY, { infinite: true })).toBeUndefined();
    expect(timerDurationProblem(Number.NEGATIVE_INFINITY, { infinite: true })).toMatch(/got -Infinity/);
  });

  it.each([...TOO_LONG, ...NOT_DURATIONS])('refuses %s with a message saying what to write', (ms) => {
    expect(timerDurationProblem(ms)).toMatch(
      /^must be a number of ms in \[0, 2147483647\] \(about 24\.8 days at most: a longer timer fires at once\), got /,
    );
  });

  it('describes what it got, without echoing long strings', () => {
    expect(timerDurationProblem(2 ** 31)).toMatch(/got 2147483648$/);
    expect(timerDurationProblem('5000')).toMatch(/got the string "5000"$/);
    expect(timerDurationProblem('x'.repeat(500))).toMatch(/got the string "x{40}"$/);
    expect(timerDurationProblem({})).toMatch(/got a value of type object$/);
  });

  it('checkTimerMs throws a ConfigurationError naming the owner and option; undefined passes', () => {
    expect(() => checkTimerMs(undefined, 'pingTimeoutMs', 'x')).not.toThrow();
    expect(configError(() => checkTimerMs(1e12, 'pingTimeoutMs', "connection of server 'files'"))).toBe(
      "Invalid connection of server 'files' option 'pingTimeoutMs': must be a number of ms in [0, 2147483647] (about 24.8 days at most: a longer timer fires at once), got 1000000000000. Write a whole number of milliseconds, e.g. pingTimeoutMs: 30000.",
    );
  });

  it('clampTimerMs is the last line of defence, and systemClock applies it', () => {
    expect(clampTimerMs(2 ** 31)).toBe(MAX_TIMER_MS);
    expect(clampTimerMs(5)).toBe(5);
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const handle = systemClock.setTimeout(() => {}, 1e12);
    systemClock.clearTimeout(handle);
    expect(spy).toHaveBeenCalledWith(expect.any(Function), MAX_TIMER_MS);
    spy.mockRestore();
  });
});

describe('server config timeouts', () => {
  const base = { name: 'files', transport: 'stdio', command: 'npx' } as const;

  it.each(['connectTimeoutMs', 'requestTimeoutMs'])('%s: up to MAX_TIMER_MS, not beyond', (field) => {
    expect(parseServerConfig({ ...base, [field]: MAX_TIMER_MS })).toMatchObject({ [field]: MAX_TIMER_MS });
    for (const ms of [...TOO_LONG, Number.POSITIVE_INFINITY, Number.NaN, -1, '30000']) {
      expect(configError(() => parseServerConfig({ ...base, [field]: ms }))).toMatch(
        new RegExp(
          `^\\[files\\] ${field} must be a positive integer number of milliseconds, e\\.g\\. \\d+, at most 2147483647 \\(about 24\\.8 days: a longer timer fires at once\\)\\.$`,
        ),
      );
    }
  });
});

describe('Deadline budgets', () => {
  it.each(TOO_LONG)('refuses a finite budget of %s ms instead of firing at once', (ms) => {
    expect(configError(() => Deadline.after(ms, { step: 'turn', clock: new SimulatedClock() }))).toMatch(
      new RegExp(
        `^The budget of step "turn" is ${ms} ms, past the longest timer \\(2147483647 ms\\): it would fire at once\\. Pass a number of milliseconds up to 2147483647 \\(about 24\\.8 days\\), or Infinity for no limit`,
      ),
    );
  });

  it('refuses budgets that are not numbers', () => {
    const clock = new SimulatedClock();
    expect(configError(() => Deadline.after('5000' as unknown as number, { step: 'turn', clock }))).toMatch(
      /^The budget of step "turn" is not a number \(string\)\./,
    );
    expect(configError(() => Deadline.after(Number.NaN, { step: 'turn', clock }))).toMatch(/is NaN\./);
    expect(configError(() => Deadline.after(1_000, { step: 'turn', clock, maxTotalMs: Number.NaN }))).toMatch(
      /total budget \(maxTotalMs\) of step "turn" is not a number/,
    );
  });

  it('keeps Infinity as "no limit", MAX_TIMER_MS as the longest, and a negative budget as spent', () => {
    const clock = new SimulatedClock();
    const endless = Deadline.after(Number.POSITIVE_INFINITY, { clock });
    clock.increment(MAX_TIMER_MS);
    expect(endless.expired).toBe(false);
    const longest = Deadline.after(MAX_TIMER_MS, { clock });
    clock.increment(MAX_TIMER_MS - 1);
    expect(longest.expired).toBe(false);
    clock.increment(1);
    expect(longest.signal.aborted).toBe(true);
    expect(Deadline.after(-5, { clock }).expired).toBe(true);
    // A child of an endless deadline is checked like a budget of its own.
    expect(() => endless.child(2 ** 31, 'step')).toThrow(ConfigurationError);
  });
});

describe('circuit breaker durations', () => {
  it('takes resetTimeoutMs up to MAX_TIMER_MS, no more', () => {
    const clock = new SimulatedClock();
    new CircuitBreaker({ id: 'b', clock, resetTimeoutMs: MAX_TIMER_MS }).stop();
    for (const ms of [...TOO_LONG, Number.POSITIVE_INFINITY, Number.NaN, -1, 0, '30000']) {
      expect(configError(() => new CircuitBreaker({ id: 'b', clock, resetTimeoutMs: ms as number }))).toMatch(
        /^Invalid circuit breaker option 'resetTimeoutMs' of 'b': must be a number of ms in \(0, 2147483647\]/,
      );
    }
  });
});

describe('backoff maxima', () => {
  it.each([
    ['exponential', exponentialBackoff],
    ['jittered', jitteredBackoff],
    ['decorrelated', decorrelatedJitter],
    ['constant', constantBackoff],
  ] as const)('%s refuses bounds past MAX_TIMER_MS when built', (_, build) => {
    for (const ms of [...TOO_LONG, Number.POSITIVE_INFINITY, ...NOT_DURATIONS]) {
      expect(configError(() => build({ maxMs: ms as number }))).toMatch(
        /^Invalid backoff option 'maxMs': must be a number of ms in \[0, 2147483647\]/,
      );
      expect(configError(() => build({ baseMs: ms as number }))).toMatch(/^Invalid backoff option 'baseMs'/);
    }
    expect(build({ baseMs: 0, maxMs: MAX_TIMER_MS })(40, MAX_TIMER_MS)).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it('createBackoff, byKind and AdaptiveTimeout check their bounds too', () => {
    expect(() => createBackoff('decorrelated', { maxMs: 2 ** 31 })).toThrow(ConfigurationError);
    expect(configError(() => byKind({ connection: { maxAttempts: 3, baseMs: 100, maxMs: 1e12 } }))).toMatch(
      /^Retry table entry "connection": maxMs must be a number of ms in \[0, 2147483647\]/,
    );
    expect(configError(() => new AdaptiveTimeout({ maxMs: 2 ** 31 }))).toMatch(
      /^AdaptiveTimeout: maxMs must be a number of ms in \(0, 2147483647\]/,
    );
    expect(configError(() => new AdaptiveTimeout({ initialMs: 1e12, maxMs: MAX_TIMER_MS }))).toMatch(
      /^AdaptiveTimeout: initialMs must be/,
    );
  });
});

describe('connection durations', () => {
  const config = { name: 'files', transport: 'stdio', command: 'in-memory' } as const;

  it.each([
    ['pingIntervalMs', 2 ** 31],
    ['pingTimeoutMs', 1e12],
    ['backoffMaxMs', Number.POSITIVE_INFINITY],
    ['backoffBaseMs', Number.NaN],
    ['failedCooldownMs', -1],
    ['connectTimeoutMs', 0],
    ['pingIntervalMs', '15000'],
  ])('ServerConnection refuses connection.%s = %s at construction', (option, ms) => {
    const message = configError(
      () => new ServerConnection({ config, logger: quietLogger, connection: { [option]: ms } }),
    );
    expect(message).toMatch(
      new RegExp(
        `^Invalid connection of server 'files' option '${option}': must be a number of ms in [\\[(]0, 2147483647\\]`,
      ),
    );
  });

  it('accepts every connection duration up to MAX_TIMER_MS, and 0 where it means "off"', () => {
    const longest = {
      connectTimeoutMs: MAX_TIMER_MS,
      pingIntervalMs: MAX_TIMER_MS,
      pingTimeoutMs: MAX_TIMER_MS,
      failedCooldownMs: MAX_TIMER_MS,
      backoffBaseMs: MAX_TIMER_MS,
      backoffMaxMs: MAX_TIMER_MS,
    };
    expect(() => checkConnectionTimers(longest, 'files')).not.toThrow();
    expect(() => checkConnectionTimers({ pingIntervalMs: 0, backoffBaseMs: 0 }, 'files')).not.toThrow();
    expect(() => checkConnectionTimers(undefined, 'files')).not.toThrow();
  });
});

describe('a callTool timeout', () => {
  const open: ServerConnection[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  it('past MAX_TIMER_MS is a ConfigurationError, not a timeout after 1 ms', async () => {
    const conn = new ServerConnection({
      config: { name: 'mem', transport: 'stdio', command: 'in-memory' },
      logger: quietLogger,
      transportFactory: () => {
        const server = new McpServer({ name: 'mem', version: '1.0.0' });
        server.registerTool('ping', {}, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
        const [client, serverSide] = InMemoryTransport.createLinkedPair();
        void server.connect(serverSide);
        return client;
      },
    });
    open.push(conn);
    await conn.start();
    for (const timeout of TOO_LONG) {
      await expect(conn.callTool('ping', {}, { timeout })).rejects.toThrow(
        /The budget of step "ping" is \d+ ms, past the longest timer \(2147483647 ms\)/,
      );
    }
    await expect(conn.callTool('ping', {}, { timeout: Number.NaN })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    await expect(conn.callTool('ping', {}, { timeout: MAX_TIMER_MS - 1_000 })).resolves.toMatchObject({
      content: [{ type: 'text', text: 'pong' }],
    });
  });
});
