import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { AzcoreError } from '../../src/errors/AzcoreError.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { InputError } from '../../src/errors/InputError.js';
import { ProtocolError } from '../../src/errors/ProtocolError.js';
import { ResourceError } from '../../src/errors/ResourceError.js';
import { TimeoutError } from '../../src/errors/TimeoutError.js';
import { ToolError } from '../../src/errors/ToolError.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { RuntimeEvent } from '../../src/events/RuntimeEvent.js';
import { byKind } from '../../src/policy/byKind.js';
import { retry } from '../../src/policy/retry.js';
import { run as runPolicy } from '../../src/policy/run.js';
import { wrap } from '../../src/policy/wrap.js';
import {
  type AdaptiveRetryTable,
  DEFAULT_RETRY_TABLE,
  type KindRetryTable,
} from '../../src/resilience/adaptiveRetry.js';
import { seededRandom } from '../../src/resilience/backoff.js';
import { Deadline } from '../../src/resilience/Deadline.js';
import type { RetryAttempt } from '../../src/resilience/retry.js';

/** Fixed delays make the schedule readable: connection 20 ms, timeout 50 ms, runtime kinds 10 ms. */
const table: AdaptiveRetryTable = {
  connection: { maxAttempts: 5, baseMs: 20, strategy: 'constant' },
  timeout: { maxAttempts: 3, baseMs: 50, strategy: 'constant' },
  tool: { maxAttempts: 3, baseMs: 10, strategy: 'constant' },
  resource: { maxAttempts: 3, baseMs: 10, strategy: 'constant' },
  protocol: { maxAttempts: 3, baseMs: 10, strategy: 'constant' },
};

/** Throws the given failures in order, then answers `done`. */
function failingWith(...failures: AzcoreError[]) {
  let calls = 0;
  const fn = async () => {
    const failure = failures[calls++];
    if (failure) throw failure;
    return 'done';
  };
  return { fn, calls: () => calls };
}

/** `retry({ backoff: schedule })` on a simulated clock that jumps each wait. */
function run(schedule: KindRetryTable, fn: () => Promise<string>, extra: { maxAttempts?: number } = {}) {
  const clock = new SimulatedClock();
  const retries: RetryAttempt[] = [];
  const policy = retry({
    backoff: schedule,
    ...extra,
    onRetry: (info) => {
      retries.push(info);
      queueMicrotask(() => clock.increment(info.delayMs));
    },
  });
  const result = policy.execute(() => fn(), { clock }).catch((e: AzcoreError) => e);
  return { result, retries, clock };
}

const tried = (retries: RetryAttempt[]) => retries.map((r) => `${r.error.kind}+${r.delayMs}`);

describe("retry({ backoff: byKind(table) }): the guide's adaptive retry", () => {
  it('keeps the guide numbers by default: connection 5 x 2 s, timeout 3 x 5 s, runtime kinds 3 x 1 s', () => {
    expect(DEFAULT_RETRY_TABLE).toMatchObject({
      connection: { maxAttempts: 5, baseMs: 2_000 },
      timeout: { maxAttempts: 3, baseMs: 5_000 },
      tool: { maxAttempts: 3, baseMs: 1_000 },
      resource: { maxAttempts: 3, baseMs: 1_000 },
      protocol: { maxAttempts: 3, baseMs: 1_000 },
    });
    const policy = byKind();
    expect(policy.configFor('input')).toBeUndefined();
    expect(policy.configFor('auth')).toBeUndefined();
    expect(policy.configFor('connection')?.maxAttempts).toBe(5);
  });

  it('gives a connection failure up to 5 attempts, with the connection delay', async () => {
    const down = () => new ConnectionError('down');
    const { fn, calls } = failingWith(down(), down(), down(), down(), down(), down());
    const { result, retries } = run(byKind(table), fn);
    expect(await result).toMatchObject({ kind: 'connection' });
    expect(calls()).toBe(5);
    expect(tried(retries)).toEqual(['connection+20', 'connection+20', 'connection+20', 'connection+20']);
  });

  it('looks up the kind that failed, and switches when a later attempt fails differently', async () => {
    const { fn, calls } = failingWith(
      new ConnectionError('down'),
      new TimeoutError('slow'),
      new ConnectionError('down again'),
      new TimeoutError('slow again'),
    );
    const { result, retries, clock } = run(byKind(table), fn);
    expect(await result).toBe('done');
    expect(calls()).toBe(5);
    expect(tried(retries)).toEqual(['connection+20', 'timeout+50', 'connection+20', 'timeout+50']);
    expect(clock.now()).toBe(140);
  });

  it('counts attempts per kind: the third timeout ends the call even after connection failures', async () => {
    const { fn, calls } = failingWith(
      new TimeoutError('1'),
      new ConnectionError('a'),
      new TimeoutError('2'),
      new TimeoutError('3'),
    );
    const { result } = run(byKind(table), fn);
    expect(await result).toMatchObject({ kind: 'timeout', message: '3' });
    expect(calls()).toBe(4);
  });

  it('never retries input errors, and retries runtime kinds only when the error says retryable', async () => {
    for (const [failure, expectedCalls] of [
      [new InputError('bad path'), 1],
      [new ToolError('tool said no'), 1],
      [new ToolError('tool hiccup', { retryable: true }), 2],
      [new ProtocolError('version mismatch'), 1],
      [new ResourceError('too large', { retryable: false }), 1],
      [new ResourceError('out of file handles'), 2],
    ] as const) {
      const { fn, calls } = failingWith(failure);
      const { result } = run(byKind(table), fn);
      await result;
      expect({ kind: failure.kind, calls: calls() }).toEqual({ kind: failure.kind, calls: expectedCalls });
    }
  });

  it('stops before a delay that would pass the deadline', async () => {
    const clock = new SimulatedClock();
    const deadline = Deadline.after(30, { clock, step: 'task' });
    const { fn, calls } = failingWith(new ConnectionError('1'), new ConnectionError('2'));
    const retries: RetryAttempt[] = [];
    const outcome = await retry({
      backoff: byKind(table),
      onRetry: (info) => {
        retries.push(info);
        queueMicrotask(() => clock.increment(info.delayMs));
      },
    })
      .execute(() => fn(), { clock, deadline })
      .catch((e: AzcoreError) => e);
    expect(outcome).toMatchObject({ kind: 'connection', message: '2' });
    expect(calls()).toBe(2);
    expect(retries).toHaveLength(1);
    deadline.dispose();
  });

  it('emits call.retried events naming the operation', async () => {
    const bus = new EventBus();
    const seen: RuntimeEvent[] = [];
    bus.events$.subscribe((e) => seen.push(e));
    const clock = new SimulatedClock();
    const { fn } = failingWith(new ConnectionError('down', { server: 'files' }));
    await retry({
      backoff: byKind(table),
      operation: 'sync',
      onRetry: (info) => queueMicrotask(() => clock.increment(info.delayMs)),
    }).execute(() => fn(), { clock, events: bus, server: 'files' });
    expect(seen).toEqual([
      expect.objectContaining({
        type: 'call.retried',
        source: 'server:files',
        server: 'files',
        tool: 'sync',
        delayMs: 20,
        error: expect.objectContaining({ kind: 'connection' }),
      }),
    ]);
  });

  it('maxAttempts of the retry caps all kinds together, on top of the per-kind caps', async () => {
    const down = () => new ConnectionError('down');
    const { fn, calls } = failingWith(down(), down(), down(), down());
    const { result, retries } = run(byKind(table), fn, { maxAttempts: 3 });
    expect(await result).toMatchObject({ kind: 'connection' });
    expect(calls()).toBe(3);
    expect(retries).toHaveLength(2);
  });

  it('run() resolves one Outcome listing every attempt, with reasons, when the kind runs out', async () => {
    const clock = new SimulatedClock();
    const { fn } = failingWith(
      new TimeoutError('1'),
      new ConnectionError('a'),
      new TimeoutError('2'),
      new TimeoutError('3'),
    );
    const outcome = await runPolicy(
      wrap(
        retry({ backoff: byKind(table), onRetry: (i) => queueMicrotask(() => clock.increment(i.delayMs)) }),
      ),
      () => fn(),
      { clock, source: 'sync' },
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.attempts.map((a) => [a.attempt, a.error?.kind])).toEqual([
      [1, 'timeout'],
      [2, 'connection'],
      [3, 'timeout'],
      [4, 'timeout'],
    ]);
    expect(outcome.reasons).toEqual([
      'sync failed: timeout TIMEOUT',
      'sync failed (attempt 2): connection CONNECTION',
      'sync failed (attempt 3): timeout TIMEOUT',
      'sync failed (attempt 4): timeout TIMEOUT',
    ]);
    expect(clock.now()).toBe(50 + 20 + 50);
  });

  it('rejects tables that are not usable, saying what to write', () => {
    expect(() => byKind({ timeout: { maxAttempts: 0, baseMs: 10 } })).toThrow(
      /"timeout": maxAttempts must be an integer of at least 1/,
    );
    expect(() => byKind({ input: { maxAttempts: 3, baseMs: 1 } } as AdaptiveRetryTable)).toThrow(
      /never retried/,
    );
    expect(() => byKind({ tool: { maxAttempts: 2, baseMs: 10, maxMs: 5 } })).toThrow(
      /maxMs must be a number >= baseMs/,
    );
  });

  it('property: per-kind caps, delays within the kind bounds, never past the deadline', async () => {
    const kinds = fc.constantFrom(
      () => new ConnectionError('c'),
      () => new TimeoutError('t'),
      () => new ResourceError('r'),
      () => new ToolError('x', { retryable: true }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(kinds, { maxLength: 20 }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer(),
        async (makers, budget, seed) => {
          const clock = new SimulatedClock();
          const deadline = Deadline.after(budget, { clock });
          const schedule = byKind(
            {
              connection: { maxAttempts: 5, baseMs: 20, maxMs: 200 },
              timeout: { maxAttempts: 3, baseMs: 50, maxMs: 400 },
              tool: { maxAttempts: 3, baseMs: 10, maxMs: 100, strategy: 'jittered' },
              resource: { maxAttempts: 3, baseMs: 10, maxMs: 100, strategy: 'exponential' },
            },
            { random: seededRandom(seed) },
          );
          const failed = new Map<string, number>();
          const { fn } = failingWith(...makers.map((make) => make()));
          await retry({
            backoff: schedule,
            onRetry: ({ error, delayMs }) => {
              const config = schedule.configFor(error.kind);
              const n = (failed.get(error.kind) ?? 0) + 1;
              failed.set(error.kind, n);
              expect(n).toBeLessThan(config?.maxAttempts ?? 0);
              expect(delayMs).toBeGreaterThanOrEqual(config?.baseMs ?? 0);
              expect(delayMs).toBeLessThanOrEqual(config?.maxMs ?? 0);
              expect(clock.now() + delayMs).toBeLessThan(deadline.expiresAt);
              queueMicrotask(() => clock.increment(delayMs));
            },
          })
            .execute(() => fn(), { clock, deadline })
            .catch(() => undefined);
          deadline.dispose();
        },
      ),
      { numRuns: 150 },
    );
  });
});
