import type { Client } from '@modelcontextprotocol/client';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  handleWhen,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import Opossum from 'opossum';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { ServerConnection } from '../../src/actors/ServerConnection.js';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { createLogger } from '../../src/observe/logger.js';
import { CALL, check, inMemoryConfig, inMemoryFactory, rawClient } from './inMemory.js';

/**
 * One thing to measure. `run(n)` performs n operations one after the other (awaiting each), so the
 * same subject serves the timing (tinybench runs `run(batch)` per sample) and the allocation
 * counter (heap delta over `run(N)`).
 */
export interface Subject {
  id: string;
  label: string;
  /** Operations per tinybench sample: sub-microsecond operations are batched to rise above timer noise. */
  batch: number;
  run(n: number): Promise<void>;
  close(): Promise<void>;
}

export const REQUEST_TIMEOUT_MS = 60_000;
const HOUR_MS = 3_600_000;

const silent = createLogger({ level: 'silent' });

/** Keeps the reference Error alive so the engine cannot drop its construction. */
export let sink: unknown;

/** Errors a user would not retry: the breaker said no. */
const notCircuitRejection = (e: unknown): boolean => !(e instanceof BrokenCircuitError);

/** The same retry + circuit breaker + timeout stack a cockatiel user would build around the raw call. */
function cockatielPolicy(resetMs: number) {
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: resetMs,
    breaker: new ConsecutiveBreaker(5),
  });
  // maxAttempts counts retries in cockatiel: 2 retries = 3 attempts, as our default.
  const retryPolicy = retry(handleWhen(notCircuitRejection), {
    maxAttempts: 2,
    backoff: new ExponentialBackoff(),
  });
  // Cooperative: the policy's signal goes to the SDK, which rejects on abort (what our Deadline does).
  const timeoutPolicy = timeout(REQUEST_TIMEOUT_MS, TimeoutStrategy.Cooperative);
  return { breaker, policy: wrap(retryPolicy, breaker, timeoutPolicy) };
}

function opossumBreaker(client: Client, resetMs: number) {
  return new Opossum(async (params: typeof CALL) => client.callTool(params), {
    timeout: REQUEST_TIMEOUT_MS,
    resetTimeout: resetMs,
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
  });
}

async function ourConnection(name: string, subscribe: boolean) {
  const mem = inMemoryFactory();
  const conn = new ServerConnection({
    config: inMemoryConfig(name),
    transportFactory: mem.factory,
    logger: silent,
  });
  await conn.start();
  let seen = 0;
  const sub = subscribe ? conn.events$.subscribe(() => seen++) : undefined;
  return {
    conn,
    seen: () => seen,
    close: async () => {
      sub?.unsubscribe();
      await conn.close();
    },
  };
}

/** Section 1: the happy path. Every subject has its own in-memory server, so none shares state. */
export async function happyPathSubjects(): Promise<Subject[]> {
  const raw = await rawClient();
  const signalled = await rawClient();
  const ours = await ourConnection('ours', true);
  const quiet = await ourConnection('quiet', false);
  const cockRaw = await rawClient();
  const cock = cockatielPolicy(30_000);
  let cockSeen = 0;
  const cockListener = cock.policy.onSuccess(() => cockSeen++);
  const opoRaw = await rawClient();
  const opo = opossumBreaker(opoRaw.client, 30_000);
  let opoSeen = 0;
  opo.on('success', () => opoSeen++);
  return [
    {
      id: 'raw',
      label: 'raw SDK Client.callTool',
      batch: 1,
      async run(n) {
        for (let i = 0; i < n; i++) check(await raw.client.callTool(CALL));
      },
      close: raw.close,
    },
    {
      id: 'rawSignal',
      label:
        'raw call + a per-call AbortController (signal to the SDK) and timer: what a Deadline adds, nothing else',
      batch: 1,
      async run(n) {
        for (let i = 0; i < n; i++) {
          const controller = new AbortController();
          const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
          try {
            check(
              await signalled.client.callTool(CALL, {
                signal: controller.signal,
                timeout: REQUEST_TIMEOUT_MS + 50,
              }),
            );
          } finally {
            clearTimeout(timer);
          }
        }
      },
      close: signalled.close,
    },
    {
      id: 'ours',
      label: 'azcore ServerConnection.callTool (breaker+retry+deadline, 1 events$ subscriber)',
      batch: 1,
      async run(n) {
        for (let i = 0; i < n; i++) check(await ours.conn.callTool(CALL.name, CALL.arguments));
      },
      close: async () => {
        await ours.close();
        if (ours.seen() === 0) throw new Error('the events$ subscriber never ran');
      },
    },
    {
      id: 'oursQuiet',
      label: 'azcore ServerConnection.callTool, no events$ subscriber',
      batch: 1,
      async run(n) {
        for (let i = 0; i < n; i++) check(await quiet.conn.callTool(CALL.name, CALL.arguments));
      },
      close: quiet.close,
    },
    {
      id: 'cockatiel',
      label: 'raw call in cockatiel wrap(retry, circuitBreaker, timeout), 1 onSuccess listener',
      batch: 1,
      async run(n) {
        for (let i = 0; i < n; i++)
          check(await cock.policy.execute(({ signal }) => cockRaw.client.callTool(CALL, { signal })));
      },
      close: async () => {
        cockListener.dispose();
        await cockRaw.close();
        if (cockSeen === 0) throw new Error('the cockatiel listener never ran');
      },
    },
    {
      id: 'opossum',
      label: 'raw call in opossum CircuitBreaker (timeout, no retry: opossum has none), 1 success listener',
      batch: 1,
      async run(n) {
        for (let i = 0; i < n; i++) check(await opo.fire(CALL));
      },
      close: async () => {
        opo.shutdown();
        await opoRaw.close();
        if (opoSeen === 0) throw new Error('the opossum listener never ran');
      },
    },
  ];
}

async function expectRejection(p: Promise<unknown>): Promise<void> {
  let admitted = false;
  try {
    await p;
    admitted = true;
  } catch {
    // the fail-fast path under test
  }
  if (admitted) throw new Error('an open breaker admitted a call');
}

/** Section 2: a call rejected by an open breaker. Sync checks are batched 100 per sample, async ones 10. */
export async function failFastSubjects(): Promise<Subject[]> {
  const isolated = new CircuitBreaker({ id: 'isolated' });
  isolated.isolate();
  const tripped = new CircuitBreaker({ id: 'tripped', resetTimeoutMs: HOUR_MS });
  for (let i = 0; i < 5; i++) {
    const permit = tripped.acquire();
    if (!isCircuitOpenError(permit)) permit.failure();
  }
  if (tripped.state !== 'open') throw new Error(`expected an open breaker, got ${tripped.state}`);
  const ours = await ourConnection('failfast', true);
  ours.conn.breaker.isolate();

  const cockRaw = await rawClient();
  const cockBreakerOnly = cockatielPolicy(HOUR_MS);
  const cockIsolation = cockBreakerOnly.breaker.isolate();
  const cockFull = cockatielPolicy(HOUR_MS);
  const cockFullIsolation = cockFull.breaker.isolate();
  const opoRaw = await rawClient();
  const opo = opossumBreaker(opoRaw.client, HOUR_MS);
  opo.open();
  const never = (): Promise<never> => Promise.reject(new Error('an open breaker ran the call'));

  return [
    {
      id: 'newError',
      label: 'reference, not a breaker: `new Error()` alone, i.e. one stack capture',
      batch: 100,
      async run(n) {
        for (let i = 0; i < n; i++) sink = new Error('open');
      },
      close: async () => undefined,
    },
    {
      id: 'oursAdmitIsolated',
      label: 'azcore breaker.acquire() on an isolated breaker (sync, returns the CircuitOpenError)',
      batch: 100,
      async run(n) {
        for (let i = 0; i < n; i++) if (!isCircuitOpenError(isolated.acquire())) throw new Error('admitted');
      },
      close: async () => isolated.stop(),
    },
    {
      id: 'oursAdmitOpen',
      label: 'azcore breaker.acquire() on a breaker opened by failures (sync)',
      batch: 100,
      async run(n) {
        for (let i = 0; i < n; i++) if (!isCircuitOpenError(tripped.acquire())) throw new Error('admitted');
      },
      close: async () => tripped.stop(),
    },
    {
      id: 'oursExecute',
      label: 'azcore breaker.execute(fn) rejected (isolated)',
      batch: 10,
      async run(n) {
        for (let i = 0; i < n; i++) await expectRejection(isolated.execute(never));
      },
      close: async () => undefined,
    },
    {
      id: 'oursCallTool',
      label:
        'azcore ServerConnection.callTool rejected (isolated; deadline, retry verdict, call.rejected event)',
      batch: 10,
      async run(n) {
        for (let i = 0; i < n; i++) await expectRejection(ours.conn.callTool(CALL.name, CALL.arguments));
      },
      close: ours.close,
    },
    {
      id: 'cockatielBreaker',
      label: 'cockatiel circuitBreaker.execute rejected (isolated)',
      batch: 10,
      async run(n) {
        for (let i = 0; i < n; i++)
          await expectRejection(cockBreakerOnly.breaker.execute(() => cockRaw.client.callTool(CALL)));
      },
      close: async () => cockIsolation.dispose(),
    },
    {
      id: 'cockatielPolicy',
      label: 'cockatiel wrap(retry, circuitBreaker, timeout).execute rejected (isolated)',
      batch: 10,
      async run(n) {
        for (let i = 0; i < n; i++)
          await expectRejection(
            cockFull.policy.execute(({ signal }) => cockRaw.client.callTool(CALL, { signal })),
          );
      },
      close: async () => {
        cockFullIsolation.dispose();
        await cockRaw.close();
      },
    },
    {
      id: 'opossum',
      label: 'opossum fire() rejected (opened by hand)',
      batch: 10,
      async run(n) {
        for (let i = 0; i < n; i++) await expectRejection(opo.fire(CALL));
      },
      close: async () => {
        opo.shutdown();
        await opoRaw.close();
      },
    },
  ];
}

export async function closeAll(subjects: readonly Subject[]): Promise<void> {
  for (const s of subjects) await s.close();
}
