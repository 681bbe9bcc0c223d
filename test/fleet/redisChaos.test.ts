// Chaos cells for Redis itself: down (killed), slow (a proxy that holds every byte), flushed
// (FLUSHALL mid-run). Invariants in every cell: no fleet operation hangs on Redis (each is bounded
// by the operation timeout), the replica goes on with local state (breaker, cached answers, tokens,
// the limited call), an event says Redis is lost and back, health says so (`fleet` check), and the
// shared state re-syncs once Redis answers (another replica sees what was decided meanwhile).
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import {
  type ChaosReplica,
  credential,
  LEASE_MS,
  RESET_MS,
  startChaosReplica,
  timed,
} from './chaosReplica.js';
import { freshPrefix, rawClient } from './connections.js';
import { type DelayProxy, startDelayProxy } from './delayProxy.js';
import { type RedisServer, startRedisServer } from './redisServer.js';
import { next } from './support.js';

const OP_TIMEOUT_MS = 1_000;
/** Longest any operation may take: one timed-out Redis operation (2 x the op timeout) plus slack for a loaded machine. */
const BOUND_MS = 2 * OP_TIMEOUT_MS + 1_000;
/** Once Redis is known to be lost, operations do not even try it: local work only. */
const FAST_MS = 250;
const RESTORE_WAIT_MS = 20_000;

let server: RedisServer | undefined;
let proxy: DelayProxy | undefined;
let raw: Redis | undefined;
let replicas: ChaosReplica[] = [];

afterEach(async () => {
  for (const r of replicas) await r.stop();
  replicas = [];
  raw?.disconnect();
  raw = undefined;
  await proxy?.close();
  proxy = undefined;
  await server?.stop();
  server = undefined;
});

const down = () => Promise.reject(new Error('upstream down'));
const up = () => Promise.resolve('ok');

async function pair(url: string): Promise<[ChaosReplica, ChaosReplica, SimulatedClock]> {
  const clock = new SimulatedClock();
  clock.set(1_750_000_000_000);
  const prefix = freshPrefix('x');
  const options = { url, clock, prefix, opTimeoutMs: OP_TIMEOUT_MS };
  replicas = await Promise.all([
    startChaosReplica('A', options),
    startChaosReplica('B', { ...options, sharedCacheOnly: true }),
  ]);
  return [replicas[0] as ChaosReplica, replicas[1] as ChaosReplica, clock];
}

/** What a replica does while Redis is in trouble; every step timed. */
async function workWhileCutOff(a: ChaosReplica) {
  const steps = [];
  a.live.up = false;
  for (let i = 0; i < 3; i++) steps.push(await timed('breaker call', () => a.breaker.execute(down)));
  steps.push(await timed('cached answer', () => a.cached.execute('weekly report')));
  a.live.up = true;
  steps.push(await timed('new answer', () => a.cached.execute('fresh question')));
  steps.push(
    await timed('token save', () =>
      a.tokens.save(
        credential({ tokens: { access_token: 'at-OFFLINE', token_type: 'Bearer' }, updatedAt: 9 }),
      ),
    ),
  );
  steps.push(await timed('token find', () => a.tokens.find(credential().resource)));
  steps.push(await timed('limited call', () => a.limit.run('github', async () => 'ran')));
  steps.push(await timed('health publish', () => a.health.publish('research', 'degraded')));
  steps.push(await timed('health view', () => a.health.view('research')));
  steps.push(await timed('health check', () => a.checker.checkHealth()));
  return steps;
}

type Steps = Awaited<ReturnType<typeof workWhileCutOff>>;
const value = <T>(steps: Steps, label: string): T => {
  const step = steps.find((s) => s.label === label);
  if (step?.result.status !== 'fulfilled') throw new Error(`${label}: ${JSON.stringify(step?.result)}`);
  return step.result.value as T;
};

/** The replica went on with local state while Redis was away. */
function wentOnLocally(a: ChaosReplica, steps: Steps): void {
  for (const s of steps) expect(s.ms, `${s.label} took ${s.ms.toFixed(0)} ms`).toBeLessThan(BOUND_MS);
  expect(steps.filter((s) => s.label === 'breaker call').map((s) => s.result.status)).toEqual([
    'rejected',
    'rejected',
    'rejected',
  ]);
  expect(a.breaker.state).toBe('open');
  expect(value(steps, 'cached answer')).toMatchObject({
    status: 'degraded',
    source: 'cache',
    value: { answer: 'live from A' },
  });
  expect(value(steps, 'new answer')).toMatchObject({ status: 'success' });
  expect(value<{ tokens?: { access_token: string } }[]>(steps, 'token find')[0]?.tokens?.access_token).toBe(
    'at-OFFLINE',
  );
  expect(value(steps, 'limited call')).toBe('ran');
  expect(value(steps, 'health view')).toMatchObject({
    shared: false,
    verdicts: [{ status: 'degraded', by: 'A' }],
  });
  expect(value<{ checks: Record<string, unknown> }>(steps, 'health check').checks.fleet).toMatchObject({
    status: 'warn',
    detail: expect.stringMatching(/Redis lost on 2 of 2 fleet connections/),
  });
}

/** Once Redis answers: B sees what A decided and stored while cut off. */
async function resynced(a: ChaosReplica, b: ChaosReplica, bOpened: Promise<unknown>): Promise<void> {
  await bOpened;
  expect(b.breaker.state).toBe('open');
  expect(b.breaker.openedAt).toBe(a.breaker.openedAt);
  expect((await b.tokens.find(credential().resource))[0]?.tokens?.access_token).toBe('at-OFFLINE');
  b.live.up = false;
  expect(await b.cached.execute('fresh question')).toMatchObject({
    status: 'degraded',
    value: { answer: 'live from A' },
  });
  expect((await b.health.view('research')).verdicts).toMatchObject([{ status: 'degraded', by: 'A' }]);
  expect((await a.checker.checkHealth()).checks.fleet).toMatchObject({ status: 'pass' });
}

/** Every Redis user of `r` reported `type`. */
const both = <T extends 'fleet.redis.lost' | 'fleet.redis.restored'>(r: ChaosReplica, type: T, ms?: number) =>
  Promise.all([next(r.breakers.events$, type, undefined, ms), next(r.redis.events$, type, undefined, ms)]);

/** The next breaker state `r` applies from the fleet, when it is `state`. */
const applied = (r: ChaosReplica, state: 'open' | 'closed', ms?: number) =>
  next(r.breakers.events$, 'fleet.breaker.applied', (e) => e.state === state, ms);

describe('Redis chaos cells (real redis-server)', () => {
  it('down: Redis killed mid-run; replicas go on locally at once; after a restart (empty) the state re-syncs', async () => {
    server = await startRedisServer();
    const [a, b] = await pair(server.url);
    expect((await a.cached.execute('weekly report')).status).toBe('success');
    await a.tokens.save(credential());
    const lost = both(a, 'fleet.redis.lost');
    await server.kill();
    const reasons = (await lost).map((e) => e.reason);
    expect(reasons).toEqual(['connection closed', 'connection closed']);
    const steps = await workWhileCutOff(a);
    wentOnLocally(a, steps);
    for (const s of steps) expect(s.ms, `${s.label}: Redis known lost, nothing waits`).toBeLessThan(FAST_MS);

    const restored = both(a, 'fleet.redis.restored', RESTORE_WAIT_MS);
    const bOpened = applied(b, 'open', RESTORE_WAIT_MS);
    const bBack = both(b, 'fleet.redis.restored', RESTORE_WAIT_MS);
    await server.restart();
    await Promise.all([restored, bBack]);
    await resynced(a, b, bOpened);
  }, 60_000);

  it('slow: a proxy holds every byte 5 s; operations give up after the op timeout, and catch up when it is fast again', async () => {
    server = await startRedisServer();
    proxy = await startDelayProxy(server.port);
    const [a, b] = await pair(proxy.url);
    expect((await a.cached.execute('weekly report')).status).toBe('success');
    const lost = both(a, 'fleet.redis.lost');
    proxy.setDelay(5_000);
    const steps = await workWhileCutOff(a);
    wentOnLocally(a, steps);
    const reasons = (await lost).map((e) => e.reason);
    for (const reason of reasons) expect(reason).toMatch(/within|timed out|timeout/i);
    // Only the operations that found out waited (one per connection at most); the rest were local.
    expect(steps.filter((s) => s.ms >= FAST_MS).length).toBeLessThanOrEqual(2);

    const restored = both(a, 'fleet.redis.restored', RESTORE_WAIT_MS);
    const bOpened = applied(b, 'open', RESTORE_WAIT_MS);
    proxy.setDelay(0);
    await restored;
    await resynced(a, b, bOpened);
  }, 60_000);

  it('flushed: FLUSHALL mid-run loses no call; tokens come back from the mirror, leases on renewal, verdicts win by generation', async () => {
    server = await startRedisServer();
    raw = rawClient(server.url);
    const [a, b, clock] = await pair(server.url);
    // Before: the fleet opened on A's failures; A's answer and token are shared; A holds a slot.
    const bOpened = applied(b, 'open');
    for (let i = 0; i < 3; i++) await a.breaker.execute(down).catch(() => {});
    await bOpened;
    expect((await a.cached.execute('weekly report')).status).toBe('success');
    await a.tokens.save(credential());
    let release: () => void = () => {};
    const inSlot = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => {};
    const slotTaken = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const held = a.limit.run('github', async () => {
      entered();
      await inSlot;
      return 'held';
    });
    await slotTaken;
    expect(await b.limit.active('github')).toBe(1);
    await a.health.publish('research', 'healthy');

    await raw.flushall();
    const steps = [
      await timed('token find', () => b.tokens.find(credential().resource)),
      await timed('token find by A', () => a.tokens.find(credential().resource)),
      await timed('token find by B', () => b.tokens.find(credential().resource)),
      await timed('cache', () => b.cached.execute('weekly report')),
      await timed('slots', () => b.limit.active('github')),
    ];
    for (const s of steps) expect(s.ms).toBeLessThan(BOUND_MS);
    expect(a.events.concat(b.events).filter((e) => e.type === 'fleet.redis.lost')).toEqual([]); // Redis never went away
    // Tokens: B sees none until A (who knows the record) writes it back.
    expect(value(steps as Steps, 'token find')).toEqual([]);
    expect(value(steps as Steps, 'token find by A')).toEqual([credential()]);
    expect(value(steps as Steps, 'token find by B')).toEqual([credential()]);
    // The cache is a cache: the entry is gone, the live answer fills it again.
    expect(value(steps as Steps, 'cache')).toMatchObject({ status: 'success', source: 'live' });
    // The slot A holds is gone from Redis until A renews it (every third of the lease).
    expect(value(steps as Steps, 'slots')).toBe(0);
    clock.increment(LEASE_MS / 3);
    let slots = 0;
    for (let i = 0; i < 200 && slots === 0; i++) slots = await b.limit.active('github');
    expect(slots).toBe(1);
    release();
    expect(await held).toBe('held');
    // Breakers stayed open locally. The next verdict is published with a generation above any seen,
    // so B takes it although Redis forgot the record: A probes in half-open and closes.
    expect([a.breaker.state, b.breaker.state]).toEqual(['open', 'open']);
    const seen = b.breakers.generation('search');
    clock.increment(RESET_MS);
    const lease = next(a.breakers.events$, 'fleet.probe.lease', (e) => e.granted);
    expect(a.breaker.acquire()).toBeInstanceOf(CircuitOpenError); // asks for the lease
    await lease;
    const bClosed = applied(b, 'closed');
    await a.breaker.execute(up);
    expect((await bClosed).generation).toBeGreaterThan(seen);
    // Flushed again while closed: a trip counted from scratch still outranks what B has seen.
    const closedGeneration = b.breakers.generation('search');
    await raw.flushall();
    const bReopened = applied(b, 'open');
    for (let i = 0; i < 3; i++) await a.breaker.execute(down).catch(() => {});
    expect((await bReopened).generation).toBeGreaterThan(closedGeneration);
    expect(b.breaker.state).toBe('open');
  }, 60_000);
});
