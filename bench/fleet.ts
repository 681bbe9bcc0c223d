// Section: the fleet (azcore/fleet over a real redis-server on 127.0.0.1). Two figures:
// 1. calls that reached a dead server across 4 replicas before every replica rejected, and the
//    half-open probes that reached it once it was back, with and without the fleet;
// 2. the per-call cost of a healthy call with the fleet attached versus not (goal <= 1.05x).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect as connectTcp, createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { filter, firstValueFrom } from 'rxjs';
import { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../src/actors/CircuitBreaker.js';
import { ServerConnection } from '../src/actors/ServerConnection.js';
import { ConnectionError } from '../src/errors/ConnectionError.js';
import { BreakerFleet } from '../src/fleet/index.js';
import { createLogger } from '../src/observe/logger.js';
import type { BenchConfig } from './lib/config.js';
import { CALL, check, inMemoryConfig, inMemoryFactory } from './lib/inMemory.js';
import { type MicroTiming, pairedRatio, timeRounds } from './lib/micro.js';
import { type Spread, summarize } from './lib/stats.js';
import type { Subject } from './lib/subjects.js';

const REPLICAS = 4;
const THRESHOLD = 5;
const RESET_MS = 30_000;

export interface FleetOutage {
  /** Calls that reached the dead server, one run each. */
  deadCalls: number[];
  /** Calls that reached the server from a replica not yet closed, once it was back (probes), one run each. */
  probes: number[];
}

export interface FleetResult {
  replicas: number;
  threshold: number;
  without: FleetOutage;
  with: FleetOutage;
  timings: Record<string, MicroTiming>;
  /** Per round: fleet on / fleet off, ns per healthy call. */
  ratios: { breaker: Spread; callTool: Spread };
  /** Redis commands processed during the timed healthy calls (fleet on): 0 means none on the hot path. */
  redisCommandsDuringCalls: number;
}

/** A throwaway redis-server on a free loopback port, no persistence. */
async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const binary =
    process.env.AZCORE_REDIS_SERVER ??
    ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/bin/valkey-server'].find(existsSync) ??
    'redis-server';
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

/** Listens on a free loopback port; `createServer()` with no handler is closed at once (a dead port). */
async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (server.listenerCount('connection') === 0)
    await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** 4 replicas, one dead upstream: round-robin calls until a whole round is rejected, then recover. */
async function outage(
  url: string | undefined,
  deadPort: number,
  upPort: number,
): Promise<{ dead: number; probes: number }> {
  const clock = new SimulatedClock();
  clock.set(1_750_000_000_000);
  const prefix = `bench-${randomUUID().slice(0, 8)}:`;
  const upstream = { up: false, calls: 0 };
  // A dead server is a closed port: each call is a real refused TCP connect (I/O, as in production),
  // not a rejected promise that would never let a Redis reply in between two calls.
  const call = async () => {
    upstream.calls++;
    await new Promise<void>((resolve, reject) => {
      const socket = connectTcp(upstream.up ? upPort : deadPort, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', (e) =>
        reject(new ConnectionError('upstream refused the connection', { cause: e, code: 'ECONNREFUSED' })),
      );
    });
    return 'ok';
  };
  const replicas = await Promise.all(
    Array.from({ length: REPLICAS }, async (_, i) => {
      const breaker = new CircuitBreaker({
        id: 'upstream',
        clock,
        strategy: { kind: 'consecutive', threshold: THRESHOLD },
        successThreshold: 1,
        resetTimeoutMs: RESET_MS,
      });
      if (!url) return { breaker, fleet: undefined };
      const fleet = new BreakerFleet({
        url,
        prefix,
        replica: `R${i}`,
        clock,
        opTimeoutMs: 2_000,
        leaseRetryMs: 1,
      });
      fleet.attach('upstream', breaker);
      const synced = firstValueFrom(fleet.events$.pipe(filter((e) => e.type === 'fleet.resynced')));
      await fleet.start();
      await synced;
      return { breaker, fleet };
    }),
  );
  try {
    // Traffic as it comes: one call at a time across the replicas, nothing waits for Redis.
    for (let round = 0; round < 50; round++) {
      let rejected = 0;
      for (const r of replicas) {
        await r.breaker.execute(call).catch((e: { kind?: string }) => {
          if (e.kind === 'circuitOpen') rejected++;
        });
      }
      if (rejected === REPLICAS) break;
    }
    const dead = upstream.calls;
    upstream.up = true;
    clock.increment(RESET_MS);
    // A probe: a call that reached the server from a replica that was not closed before it.
    let probes = 0;
    for (let round = 0; round < 2_000; round++) {
      for (const r of replicas) {
        const before = r.breaker.state;
        const calls = upstream.calls;
        await r.breaker.execute(call).catch(() => undefined);
        if (before !== 'closed' && upstream.calls > calls) probes++;
      }
      if (replicas.every((r) => r.breaker.state === 'closed')) break;
      await new Promise((resolve) => setTimeout(resolve, 2)); // lease answers and verdicts travel meanwhile
    }
    return { dead, probes };
  } finally {
    for (const r of replicas) {
      await r.fleet?.stop();
      r.breaker.stop();
    }
  }
}

const silent = createLogger({ level: 'silent' });

async function costSubjects(url: string): Promise<{ subjects: Subject[]; close: () => Promise<void> }> {
  const breakerOff = new CircuitBreaker({ id: 'off' });
  const breakerOn = new CircuitBreaker({ id: 'on' });
  const fleet = new BreakerFleet({ url, prefix: `bench-${randomUUID().slice(0, 8)}:` });
  fleet.attach('on', breakerOn);
  const connections = await Promise.all(
    ['off', 'on'].map(async (name) => {
      const mem = inMemoryFactory();
      const conn = new ServerConnection({
        config: inMemoryConfig(name),
        transportFactory: mem.factory,
        logger: silent,
      });
      await conn.start();
      return conn;
    }),
  );
  const [connOff, connOn] = connections as [ServerConnection, ServerConnection];
  fleet.attach('tool', connOn.breaker);
  await fleet.start();
  if (!fleet.connected) throw new Error('the fleet did not reach Redis');
  const work = async () => 42;
  let sink = 0;
  const breakerSubject = (id: string, label: string, breaker: CircuitBreaker): Subject => ({
    id,
    label,
    batch: 100,
    async run(n) {
      for (let i = 0; i < n; i++) sink += await breaker.execute(work);
    },
    close: async () => {},
  });
  const callSubject = (id: string, label: string, conn: ServerConnection): Subject => ({
    id,
    label,
    batch: 1,
    async run(n) {
      for (let i = 0; i < n; i++) check(await conn.callTool(CALL.name, CALL.arguments));
    },
    close: async () => {},
  });
  return {
    subjects: [
      breakerSubject('breakerOff', 'CircuitBreaker.execute, no fleet', breakerOff),
      breakerSubject(
        'breakerOn',
        'CircuitBreaker.execute, breaker attached to a connected BreakerFleet',
        breakerOn,
      ),
      callSubject('callToolOff', 'ServerConnection.callTool (in-memory server), no fleet', connOff),
      callSubject(
        'callToolOn',
        'ServerConnection.callTool (in-memory server), breaker in a connected fleet',
        connOn,
      ),
    ],
    close: async () => {
      if (sink < 0) throw new Error('unreachable');
      await fleet.stop();
      for (const c of connections) await c.close();
      breakerOff.stop();
      breakerOn.stop();
    },
  };
}

async function commandsProcessed(client: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))?.[1]);
}

export async function run(config: BenchConfig, log: (line: string) => void): Promise<FleetResult> {
  const redis = await startRedis();
  const admin = new Redis(redis.url);
  try {
    const runs = config.quick ? 2 : 5;
    const without: FleetOutage = { deadCalls: [], probes: [] };
    const withFleet: FleetOutage = { deadCalls: [], probes: [] };
    const listening: Server = createServer((socket) => socket.destroy());
    const upPort = await listen(listening);
    const deadPort = await listen(createServer()); // listened on, then closed: nothing there
    for (let i = 0; i < runs; i++) {
      const off = await outage(undefined, deadPort, upPort);
      const on = await outage(redis.url, deadPort, upPort);
      without.deadCalls.push(off.dead);
      without.probes.push(off.probes);
      withFleet.deadCalls.push(on.dead);
      withFleet.probes.push(on.probes);
      log(
        `outage run ${i + 1}/${runs}: dead-server calls ${off.dead} without, ${on.dead} with; probes ${off.probes} / ${on.probes}`,
      );
    }
    listening.close();
    const { subjects, close } = await costSubjects(redis.url);
    try {
      const before = await commandsProcessed(admin);
      const timings = await timeRounds(subjects, config, log);
      const redisCommandsDuringCalls = (await commandsProcessed(admin)) - before - 1; // minus the INFO itself
      const ratios = {
        breaker: pairedRatio(timings.breakerOn!, timings.breakerOff!),
        callTool: pairedRatio(timings.callToolOn!, timings.callToolOff!),
      };
      log(
        `per-call cost fleet on/off: breaker ${ratios.breaker.median.toFixed(3)}x, callTool ${ratios.callTool.median.toFixed(3)}x; Redis commands during the calls: ${redisCommandsDuringCalls}`,
      );
      return {
        replicas: REPLICAS,
        threshold: THRESHOLD,
        without,
        with: withFleet,
        timings,
        ratios,
        redisCommandsDuringCalls,
      };
    } finally {
      await close();
    }
  } finally {
    admin.disconnect();
    redis.child.kill('SIGKILL');
  }
}

/** Median of a list of counts (for the report). */
export const medianOf = (values: number[]): number => summarize(values).median;
