// Redis dies or stalls mid-run: every replica goes on with its local breaker, no call waits on Redis,
// an event says Redis is lost; once Redis answers again the shared state is read and written again.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { BreakerFleet } from '../../src/fleet/index.js';
import { closedPort } from '../chaos/cell.js';
import { type RedisServer, startRedisServer } from './redisServer.js';
import { next, type Replica, startReplica, stopReplicas } from './support.js';

let server: RedisServer | undefined;
let replicas: Replica[] = [];

afterEach(async () => {
  await stopReplicas(replicas);
  replicas = [];
  await server?.stop();
  server = undefined;
});

/**
 * Local breaker work takes microseconds; a call that waited on the stalled Redis would take at least
 * its operation timeout (OP_TIMEOUT_MS). The margin between them absorbs a loaded machine.
 */
const OP_TIMEOUT_MS = 1_000;
const FAST_MS = 250;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const start = performance.now();
  const [result] = await Promise.allSettled([fn()]);
  return { ms: performance.now() - start, result: result as PromiseSettledResult<T> };
}

const down = () => Promise.reject(new Error('upstream down'));
const up = () => Promise.resolve('ok');

async function pair(): Promise<[Replica, Replica, SimulatedClock]> {
  server = await startRedisServer();
  const clock = new SimulatedClock();
  clock.set(1_750_000_000_000);
  const prefix = `l${randomUUID().slice(0, 8)}:`;
  const options = { url: server.url, clock, prefix, successThreshold: 1, opTimeoutMs: OP_TIMEOUT_MS };
  replicas = await Promise.all([startReplica('A', options), startReplica('B', options)]);
  return [replicas[0] as Replica, replicas[1] as Replica, clock];
}

describe('BreakerFleet when Redis is lost or slow', () => {
  it('Redis killed: calls go on locally without waiting, an event says so; after a restart the state re-syncs', async () => {
    const [a, b, clock] = await pair();
    const lost = [a, b].map((r) => next(r.fleet.events$, 'fleet.redis.lost'));
    await server?.kill();
    const reasons = await Promise.all(lost);
    expect(reasons.map((e) => e.reason)).toEqual(['connection closed', 'connection closed']);
    expect(a.fleet.connected).toBe(false);

    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await timed(() => a.breaker.execute(down)));
    calls.push(await timed(() => a.breaker.execute(up))); // rejected by A's local open breaker
    calls.push(await timed(() => b.breaker.execute(up))); // B knows nothing of A's failures
    expect(calls.map((c) => c.result.status)).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect((calls[3]?.result as PromiseRejectedResult | undefined)?.reason).toMatchObject({
      kind: 'circuitOpen',
    });
    for (const c of calls) expect(c.ms).toBeLessThan(FAST_MS);
    expect([a.breaker.state, b.breaker.state]).toEqual(['open', 'closed']);

    // Half-open without Redis: no lease to ask for, so A probes on its own at once.
    clock.increment(30_000);
    expect(a.breaker.state).toBe('halfOpen');
    const probe = a.breaker.acquire();
    if (isCircuitOpenError(probe)) throw probe;
    expect(probe.probe).toBe(true);
    probe.failure(); // still down: open again, since now
    const openedAt = a.breaker.openedAt;
    expect(openedAt).toBe(clock.now());

    // Redis comes back empty (no persistence): A writes what it decided while cut off, B takes it.
    const restored = next(a.fleet.events$, 'fleet.redis.restored', undefined, 15_000);
    const bOpens = next(b.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'open', 15_000);
    await server?.restart();
    await Promise.all([restored, bOpens]);
    expect(b.breaker.state).toBe('open');
    expect(b.breaker.openedAt).toBe(openedAt);
    expect(a.fleet.connected).toBe(true);
  }, 30_000);

  it('Redis unreachable at start: start() resolves, an event says so, the breaker works alone', async () => {
    const clock = new SimulatedClock();
    const port = await closedPort();
    const lost: string[] = [];
    const fleet = new BreakerFleet({ url: `redis://127.0.0.1:${port}`, clock, opTimeoutMs: OP_TIMEOUT_MS });
    fleet.events$.subscribe((e) => {
      if (e.type === 'fleet.redis.lost') lost.push(e.reason);
    });
    const breaker = new CircuitBreaker({ id: 'x', clock, strategy: { kind: 'consecutive', threshold: 1 } });
    fleet.attach('x', breaker);
    const begun = performance.now();
    await fleet.start();
    expect(performance.now() - begun).toBeLessThan(5_000);
    expect(lost).toHaveLength(1);
    expect(fleet.connected).toBe(false);
    const call = await timed(() => breaker.execute(down));
    expect(call.ms).toBeLessThan(FAST_MS);
    expect(breaker.state).toBe('open');
    clock.increment(30_000);
    expect(breaker.acquire()).toMatchObject({ probe: true }); // half-open: probes alone, no lease to wait for
    await fleet.stop();
    breaker.stop();
  });

  it('Redis stalled (SIGSTOP): a write times out, calls stay fast, and the state is shared once it answers', async () => {
    const [a, b] = await pair();
    server?.pause();
    const lost = next(a.fleet.events$, 'fleet.redis.lost');
    const calls = [];
    for (let i = 0; i < 4; i++) calls.push(await timed(() => a.breaker.execute(down)));
    for (const c of calls) expect(c.ms).toBeLessThan(FAST_MS);
    expect(a.breaker.state).toBe('open');
    expect((await lost).reason).toMatch(/within|timed out/);
    const bCall = await timed(() => b.breaker.execute(up));
    expect(bCall.ms).toBeLessThan(FAST_MS);

    const bOpens = next(b.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'open', 15_000);
    const restored = next(a.fleet.events$, 'fleet.redis.restored', undefined, 15_000);
    server?.resume();
    await Promise.all([bOpens, restored]);
    expect(b.breaker.openedAt).toBe(a.breaker.openedAt);
  }, 30_000);
});
