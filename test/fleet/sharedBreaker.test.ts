// Breakers of three "replicas" (one process, each with its own Redis connections) share one key on a
// real redis-server: failures on A open B and C, exactly one replica probes in half-open, and its
// verdict closes (or re-opens) them all.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { type BreakerPermit, CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import { CircuitOpenError, isCircuitOpenError } from '../../src/errors/CircuitOpenError.js';
import { fleetKeys, TRANSITION_LUA } from '../../src/fleet/index.js';
import { useRedisServer } from './setup.js';
import { next, type Replica, startReplica, stopReplicas } from './support.js';

const redis = useRedisServer();
let replicas: Replica[] = [];

afterEach(async () => {
  await stopReplicas(replicas);
  replicas = [];
});

async function fleetOf(n: number, clock: SimulatedClock, extra: { successThreshold?: number } = {}) {
  const prefix = `t${randomUUID().slice(0, 8)}:`;
  const names = ['A', 'B', 'C', 'D'].slice(0, n);
  replicas = await Promise.all(
    names.map((name) => startReplica(name, { url: redis.url, clock, prefix, ...extra })),
  );
  return { replicas, prefix };
}

/** The permit of one admitted call (fails the test when the breaker rejects it). */
function admitted(r: Replica): BreakerPermit {
  const permit = r.breaker.acquire();
  if (isCircuitOpenError(permit)) throw permit;
  return permit;
}

/** One call on `r` that failed on the server's side. */
function fail(r: Replica): void {
  admitted(r).failure();
}

/** Every replica asks once; the ones that are refused while the lease is undecided ask again once it is. */
async function probeRound(rs: Replica[]): Promise<Array<{ replica: Replica; permit: BreakerPermit }>> {
  const leases = rs.map((r) => next(r.fleet.events$, 'fleet.probe.lease'));
  for (const r of rs) expect(r.breaker.acquire()).toBeInstanceOf(CircuitOpenError); // the lease is being asked for
  const answers = await Promise.all(leases);
  expect(answers.filter((a) => a.granted)).toHaveLength(1);
  return rs.flatMap((replica) => {
    const permit = replica.breaker.acquire();
    return isCircuitOpenError(permit) ? [] : [{ replica, permit }];
  });
}

describe('BreakerFleet: one breaker key shared by replicas over Redis', () => {
  it('failures on A open B and C with the same openedAt, though B and C saw no failure', async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const [a, b, c] = (await fleetOf(3, clock)).replicas as [Replica, Replica, Replica];
    const applied = [b, c].map((r) =>
      next(r.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'open'),
    );
    const published = next(a.fleet.events$, 'fleet.breaker.published', (e) => e.state === 'open');
    for (let i = 0; i < 3; i++) fail(a);
    expect(a.breaker.state).toBe('open');
    await Promise.all([...applied, published]);
    for (const r of [b, c]) {
      expect(r.breaker.state).toBe('open');
      expect(r.breaker.openedAt).toBe(a.breaker.openedAt);
      expect(r.breaker.acquire()).toMatchObject({ kind: 'circuitOpen', breakerState: 'open' });
    }
    expect(b.fleet.generation('search')).toBe(a.fleet.generation('search'));
  });

  it('failures spread over replicas count fleet-wide: one on each of A, B, C opens all three', async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const rs = (await fleetOf(3, clock)).replicas;
    const [a, b, c] = rs as [Replica, Replica, Replica];
    const opened = rs.map((r) => next(r.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'open'));
    fail(a);
    fail(b);
    fail(c);
    await Promise.all(opened);
    expect(rs.map((r) => r.breaker.state)).toEqual(['open', 'open', 'open']);
    expect(new Set(rs.map((r) => r.breaker.openedAt)).size).toBe(1);
  });

  it('a success after failures resets the fleet-wide count', async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const [a, b] = (await fleetOf(2, clock)).replicas as [Replica, Replica];
    const counted = async (r: Replica, fail: () => void) => {
      const event = next(r.fleet.events$, 'fleet.breaker.failure');
      fail();
      return (await event).failures;
    };
    expect(await counted(a, () => fail(a))).toBe(1);
    expect(await counted(a, () => fail(a))).toBe(2);
    admitted(a).success(); // A's count goes back to 0, and so does the fleet's
    expect(await counted(a, () => fail(a))).toBe(1);
    expect(await counted(b, () => fail(b))).toBe(2);
    expect([a.breaker.state, b.breaker.state]).toEqual(['closed', 'closed']);
    expect(await counted(b, () => fail(b))).toBe(3);
    await next(a.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'open');
    expect([a.breaker.state, b.breaker.state]).toEqual(['open', 'open']);
  });

  it('in half-open exactly one replica probes; its success closes every replica', async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const rs = (await fleetOf(3, clock)).replicas;
    const [a] = rs as [Replica];
    const opened = rs.slice(1).map((r) => next(r.fleet.events$, 'fleet.breaker.applied'));
    for (let i = 0; i < 3; i++) fail(a);
    await Promise.all(opened);
    clock.increment(30_000);
    expect(rs.map((r) => r.breaker.state)).toEqual(['halfOpen', 'halfOpen', 'halfOpen']);

    const probers = await probeRound(rs);
    expect(probers).toHaveLength(1);
    const [{ replica: prober, permit: probe }] = probers as [{ replica: Replica; permit: BreakerPermit }];
    const others = rs.filter((r) => r !== prober);
    // The others keep rejecting while the probe runs, however often they ask.
    for (const r of others)
      for (let i = 0; i < 3; i++) expect(r.breaker.acquire()).toBeInstanceOf(CircuitOpenError);
    expect(prober.fleet.holdsProbeLease('search')).toBe(true);

    const closed = others.map((r) =>
      next(r.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'closed'),
    );
    probe.success();
    // successThreshold 2: the lease holder probes again, nobody else does.
    const second = admitted(prober);
    expect(second.probe).toBe(true);
    for (const r of others) expect(r.breaker.acquire()).toBeInstanceOf(CircuitOpenError);
    second.success();
    await Promise.all(closed);
    expect(rs.map((r) => r.breaker.state)).toEqual(['closed', 'closed', 'closed']);
    for (const r of rs) expect(r.breaker.acquire()).not.toBeInstanceOf(CircuitOpenError);
  });

  it("a failed probe keeps every replica open with the prober's fresh openedAt", async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const rs = (await fleetOf(3, clock, { successThreshold: 1 })).replicas;
    const [a] = rs as [Replica];
    const opened = rs.slice(1).map((r) => next(r.fleet.events$, 'fleet.breaker.applied'));
    for (let i = 0; i < 3; i++) fail(a);
    await Promise.all(opened);
    const firstOpenedAt = a.breaker.openedAt;
    clock.increment(30_000);
    const [{ replica: prober, permit: probe }] = (await probeRound(rs)) as [
      { replica: Replica; permit: BreakerPermit },
    ];
    const others = rs.filter((r) => r !== prober);
    const reopened = others.map((r) =>
      next(r.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'open'),
    );
    clock.increment(5);
    probe.failure();
    await Promise.all(reopened);
    for (const r of rs) {
      expect(r.breaker.state).toBe('open');
      expect(r.breaker.openedAt).toBe((firstOpenedAt ?? 0) + 30_005);
    }
    // The next round has a lease to give again: the failed probe's verdict freed it.
    clock.increment(30_000);
    expect(await probeRound(rs)).toHaveLength(1);
  });

  it('a replica that starts while the fleet is open reads the shared state and opens too', async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const { prefix } = await fleetOf(1, clock);
    const [a] = replicas as [Replica];
    const published = next(a.fleet.events$, 'fleet.breaker.published');
    for (let i = 0; i < 3; i++) fail(a);
    await published;
    clock.increment(1_000);
    const late = await startReplica('late', { url: redis.url, clock, prefix });
    replicas.push(late);
    expect(late.breaker.state).toBe('open');
    expect(late.breaker.openedAt).toBe(a.breaker.openedAt);
    expect(late.breaker.retryAt).toBe((a.breaker.openedAt ?? 0) + 30_000);
  });

  it('a probe lease whose holder died expires, and another replica probes', async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const prefix = `t${randomUUID().slice(0, 8)}:`;
    const options = { url: redis.url, clock, prefix, resetTimeoutMs: 300 };
    replicas = await Promise.all(['A', 'B'].map((name) => startReplica(name, options)));
    const [a, b] = replicas as [Replica, Replica];
    const opened = next(b.fleet.events$, 'fleet.breaker.applied');
    for (let i = 0; i < 3; i++) fail(a);
    await opened;
    clock.increment(300);
    const [{ replica: prober }] = (await probeRound(replicas)) as [
      { replica: Replica; permit: BreakerPermit },
    ];
    const survivor = prober === a ? b : a;
    await prober.fleet.stop(); // the holder dies mid-probe: no verdict, the lease stays until its TTL
    const client = new Redis(redis.url);
    try {
      const ttl = await client.pttl(fleetKeys(prefix).probeLease('search'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
      await client.pexpireat(fleetKeys(prefix).probeLease('search'), 1); // what its TTL does, without waiting for it
    } finally {
      client.disconnect();
    }
    clock.increment(300); // past the survivor's lease retry interval
    const lease = next(survivor.fleet.events$, 'fleet.probe.lease');
    expect(survivor.breaker.acquire()).toBeInstanceOf(CircuitOpenError);
    expect((await lease).granted).toBe(true);
    expect(admitted(survivor).probe).toBe(true);
  });

  it('a replica that asks for the lease after another probe decided gets the verdict instead of probing', async () => {
    const clock = new SimulatedClock();
    clock.set(1_750_000_000_000);
    const { replicas: rs, prefix } = await fleetOf(2, clock, { successThreshold: 1 });
    const [a, b] = rs as [Replica, Replica];
    const opened = next(b.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'open');
    for (let i = 0; i < 3; i++) fail(a);
    await opened;
    clock.increment(30_000);
    // Another replica's probe closed the record, and its message has not reached B (written here
    // without PUBLISH): B's lease request is refused with the record, and B closes without probing.
    const client = new Redis(redis.url);
    try {
      const key = fleetKeys(prefix).breaker('search');
      const generation = Number(await client.hget(key, 'generation'));
      await client.hset(key, 'state', 'closed', 'openedAt', '', 'generation', generation + 1, 'by', 'C');
    } finally {
      client.disconnect();
    }
    expect(b.breaker.state).toBe('halfOpen');
    const applied = next(b.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'closed');
    expect(b.breaker.acquire()).toBeInstanceOf(CircuitOpenError); // asks for the lease
    expect(await applied).toMatchObject({ by: 'C', state: 'closed' });
    expect(b.breaker.state).toBe('closed');
    expect(b.events.filter((e) => e.type === 'fleet.probe.lease')).toEqual([]); // never granted, never probed
    expect(admitted(b).probe).toBe(false);
  });

  it('healthy calls make no Redis call: admission stays local', async () => {
    const clock = new SimulatedClock();
    const [a] = (await fleetOf(2, clock)).replicas as [Replica];
    const client = new Redis(redis.url);
    // Commands processed by the server so far, from INFO (the INFO calls themselves add one each).
    const processed = async () =>
      Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))?.[1]);
    try {
      const before = await processed();
      for (let i = 0; i < 1_000; i++) await a.breaker.execute(() => Promise.resolve(i));
      const after = await processed();
      expect(after - before).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it('attaching creates no breaker actor: a healthy call takes the idle breaker path, as without a fleet', async () => {
    // Reading breaker.actor is what creates an idle breaker's actor; the fleet used to on attach,
    // which put every fleet-on call on the actor path (1.12x the fleet-off execute() in bench/fleet.ts).
    const actorReads = vi.spyOn(CircuitBreaker.prototype, 'actor', 'get');
    try {
      const clock = new SimulatedClock();
      const [a, b] = (await fleetOf(2, clock)).replicas as [Replica, Replica];
      for (let i = 0; i < 100; i++) await a.breaker.execute(() => Promise.resolve(i));
      expect(actorReads).not.toHaveBeenCalled();
      // The outcomes the fleet counts still reach it: a failure creates the actor and is shared.
      const counted = next(a.fleet.events$, 'fleet.breaker.failure');
      await a.breaker.execute(() => Promise.reject(new Error('ECONNRESET'))).catch(() => undefined);
      expect(await counted).toMatchObject({ failures: 1, tripped: false });
      const opened = next(b.fleet.events$, 'fleet.breaker.applied', (e) => e.state === 'open');
      for (let i = 0; i < 2; i++) fail(a);
      await opened;
      expect(b.breaker.state).toBe('open');
    } finally {
      actorReads.mockRestore();
    }
  });

  it('the transition script: a stale write (older generation) loses and gets the newer record', async () => {
    const client = new Redis(redis.url);
    try {
      const keys = fleetKeys(`s${randomUUID().slice(0, 8)}:`);
      const k = [keys.breaker('x'), keys.probeLease('x')];
      const run = (base: number, state: string, openedAt: string, by: string) =>
        client.eval(TRANSITION_LUA, 2, ...k, String(base), state, openedAt, by, keys.channel, 'x');
      expect(await run(0, 'open', '1000', 'A')).toEqual([1, 1, 'open', '1000', 'A']);
      await client.set(k[1] as string, 'A', 'PX', 60_000);
      expect(await run(1, 'closed', '', 'A')).toEqual([1, 2, 'closed', '', 'A']);
      expect(await client.exists(k[1] as string)).toBe(0); // a verdict frees the probe lease
      // B last saw generation 1: its write is stale and the newer record comes back to merge.
      expect(await run(1, 'open', '2000', 'B')).toEqual([0, 2, 'closed', '', 'A']);
      // A writer that saw more than Redis holds (Redis lost its data) keeps generations increasing.
      expect(await run(7, 'open', '3000', 'C')).toEqual([1, 8, 'open', '3000', 'C']);
      expect(await client.hgetall(k[0] as string)).toEqual({
        state: 'open',
        openedAt: '3000',
        generation: '8',
        by: 'C',
      });
    } finally {
      client.disconnect();
    }
  });
});
