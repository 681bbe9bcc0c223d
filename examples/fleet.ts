/**
 * Three replicas of a service share their circuit breaker over Redis (azcore/fleet): one failure on
 * each replica opens all three, exactly one replica probes in half-open, and its success closes them
 * all. Then an answer one replica cached is served by another (RedisCacheStore). Needs redis-server on the PATH (or REDIS_URL); about a second.
 *
 *   npx tsx examples/fleet.ts
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/fleet.ts
 */
// In an app: import { CircuitBreaker } from 'azcore'; import { CachedFallback } from 'azcore/patterns';
// import { BreakerFleet, FleetConnection, RedisCacheStore } from 'azcore/fleet'.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { CircuitBreaker } from '../src/actors/CircuitBreaker.js';
import { ConnectionError } from '../src/errors/ConnectionError.js';
import { CachedFallback } from '../src/fallback/CachedFallback.js';
import { BreakerFleet, FleetConnection, type FleetEvent, RedisCacheStore } from '../src/fleet/index.js';

const RESET_MS = 300;
const started = Date.now();
const t = () => `${String(Date.now() - started).padStart(4)} ms`;

/** A throwaway redis-server on a free loopback port, unless REDIS_URL names one. */
async function redisUrl(): Promise<{ url: string; server?: ChildProcess }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL };
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const server = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, server };
}

const upstream = { up: false, calls: 0 };
async function search(replica: string): Promise<string> {
  upstream.calls++;
  if (!upstream.up) throw new ConnectionError('search refused the connection.', { code: 'ECONNREFUSED' });
  return `results for ${replica}`;
}

const { url, server } = await redisUrl();
const prefix = `example-${randomUUID().slice(0, 8)}:`;
const replicas = await Promise.all(
  ['A', 'B', 'C'].map(async (name) => {
    const breaker = new CircuitBreaker({
      id: 'search',
      strategy: { kind: 'consecutive', threshold: 3 },
      successThreshold: 1,
      resetTimeoutMs: RESET_MS,
    });
    breaker.state$.subscribe((s) => console.log(`   ${t()}  [${name}] ${s}`));
    const fleet = new BreakerFleet({ url, replica: name, prefix });
    fleet.attach('search', breaker);
    const synced = firstValueFrom(fleet.events$.pipe(filter((e) => e.type === 'fleet.resynced')));
    await fleet.start();
    await synced;
    return { name, breaker, fleet };
  }),
);
const nextEvent = (type: FleetEvent['type'], match: (e: FleetEvent) => boolean = () => true) =>
  Promise.all(
    replicas.map((r) => firstValueFrom(r.fleet.events$.pipe(filter((e) => e.type === type && match(e))))),
  );

console.log('1. The upstream is down: one failed call on each replica');
const opened = Promise.all(
  replicas.map((r) => firstValueFrom(r.breaker.state$.pipe(filter((s) => s === 'open')))),
);
for (const r of replicas) await r.breaker.execute(() => search(r.name)).catch(() => {});
await opened;
console.log(`   every replica is open after ${upstream.calls} failed calls in all (threshold 3)`);
for (const r of replicas) {
  const rejected = await r.breaker.execute(() => search(r.name)).catch((e: Error) => e.name);
  console.log(`   [${r.name}] ${rejected}: no call made`);
}

console.log(`2. The upstream is back; after ${RESET_MS} ms every replica is half-open, one probes`);
upstream.up = true;
const halfOpen = Promise.all(
  replicas.map((r) => firstValueFrom(r.breaker.state$.pipe(filter((s) => s === 'halfOpen')))),
);
await halfOpen;
const leases = nextEvent('fleet.probe.lease');
for (const r of replicas) r.breaker.acquire(); // each asks for the lease (and is refused: it is not theirs yet)
const answers = (await leases) as Array<Extract<FleetEvent, { type: 'fleet.probe.lease' }>>;
const prober = replicas[answers.findIndex((a) => a.granted)];
console.log(`   the lease went to ${prober?.name}; the others keep rejecting`);
const before = upstream.calls;
const closed = Promise.all(
  replicas
    .filter((r) => r !== prober)
    .map((r) => firstValueFrom(r.breaker.state$.pipe(filter((s) => s === 'closed')))),
);
for (const r of replicas) {
  const outcome = await r.breaker.execute(() => search(r.name)).catch((e: Error) => e.name);
  console.log(`   [${r.name}] ${outcome}`);
}
await closed;
console.log(`   ${upstream.calls - before} probe call reached the upstream; every replica is closed`);

console.log('3. An answer cached by A is served by C while C cannot compute it');
const [answerA, answerC] = await Promise.all(
  ['A', 'C'].map(async (name) => {
    const redis = new FleetConnection({ url, replica: name, prefix });
    await redis.start();
    const report = async () => {
      if (name === 'C') throw new ConnectionError('the report service is down.', { code: 'ECONNREFUSED' });
      return `weekly report computed by ${name}`;
    };
    return { redis, cached: new CachedFallback(report, { store: new RedisCacheStore(redis) }) };
  }),
);
console.log(`   [A] ${(await answerA!.cached.execute('weekly report')).status}`);
const served = await answerC!.cached.execute('weekly report');
console.log(
  `   [C] ${served.status} from ${served.status === 'degraded' ? served.source : '-'}: ${served.status !== 'failed' ? served.value : ''}`,
);

for (const r of replicas) {
  await r.fleet.stop();
  r.breaker.stop();
}
for (const a of [answerA, answerC]) await a?.redis.stop();
server?.kill();
