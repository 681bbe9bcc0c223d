// One replica with every fleet part, for the Redis chaos cells: a breaker shared by a BreakerFleet,
// and on one FleetConnection the answer cache, the token store, health verdicts and the fleet-wide
// limit, plus a HealthChecker whose `fleet` check says whether Redis is there.
import { merge, type Observable } from 'rxjs';
import type { SimulatedClock } from 'xstate';
import { CircuitBreaker } from '../../src/actors/CircuitBreaker.js';
import type { CredentialRecord } from '../../src/auth/TokenStore.js';
import { ConnectionError } from '../../src/errors/ConnectionError.js';
import { CachedFallback } from '../../src/fallback/CachedFallback.js';
import {
  BreakerFleet,
  FleetConnection,
  type FleetEvent,
  FleetHealth,
  FleetLimit,
  fleetHealthCheck,
  RedisCacheStore,
  RedisTokenStore,
} from '../../src/fleet/index.js';
import { HealthChecker } from '../../src/observe/HealthChecker.js';
import { next } from './support.js';

export const RESET_MS = 30_000;
export const LEASE_MS = 30_000;

export interface ChaosReplica {
  name: string;
  breaker: CircuitBreaker;
  breakers: BreakerFleet;
  redis: FleetConnection;
  /** Whether the live answer service answers. */
  live: { up: boolean; calls: number };
  cached: CachedFallback<{ answer: string }>;
  tokens: RedisTokenStore;
  health: FleetHealth;
  limit: FleetLimit;
  checker: HealthChecker;
  /** Events of both Redis users (the breaker fleet and the connection). */
  events$: Observable<FleetEvent>;
  events: FleetEvent[];
  stop(): Promise<void>;
}

export interface ChaosOptions {
  url: string;
  clock: SimulatedClock;
  prefix: string;
  opTimeoutMs: number;
  /** Cache reads of this replica go to Redis only (no local copy): proves what another replica shared. */
  sharedCacheOnly?: boolean;
}

export const credential = (over: Partial<CredentialRecord> = {}): CredentialRecord => ({
  issuer: 'https://as.example',
  resource: 'https://mcp.example/mcp',
  clientId: 'fleet-app',
  tokens: { access_token: 'at-SECRET', token_type: 'Bearer', refresh_token: 'rt-SECRET' },
  updatedAt: 1,
  ...over,
});

export async function startChaosReplica(name: string, options: ChaosOptions): Promise<ChaosReplica> {
  const { clock, url, prefix, opTimeoutMs } = options;
  const breaker = new CircuitBreaker({
    id: 'search',
    clock,
    strategy: { kind: 'consecutive', threshold: 3 },
    successThreshold: 1,
    resetTimeoutMs: RESET_MS,
  });
  const breakers = new BreakerFleet({ url, replica: name, prefix, clock, opTimeoutMs, healthCheckMs: 100 });
  breakers.attach('search', breaker);
  const redis = new FleetConnection({ url, replica: name, prefix, clock, opTimeoutMs, healthCheckMs: 100 });
  const events$ = merge(breakers.events$, redis.events$);
  const events: FleetEvent[] = [];
  events$.subscribe((e) => events.push(e));
  const ready = Promise.all([
    next(breakers.events$, 'fleet.resynced'),
    next(redis.events$, 'fleet.resynced'),
  ]);
  await Promise.all([breakers.start(), redis.start()]);
  await ready;
  const live = { up: true, calls: 0 };
  const cached = new CachedFallback(
    async () => {
      live.calls++;
      if (!live.up) throw new ConnectionError('the answer service is down', { code: 'ECONNREFUSED' });
      return { answer: `live from ${name}` };
    },
    {
      clock,
      ttlMs: 3_600_000,
      store: new RedisCacheStore(redis, options.sharedCacheOnly ? { local: false } : {}),
    },
  );
  const limit = new FleetLimit(redis, {
    servers: { github: { maxConcurrentFleetWide: 2 } },
    leaseMs: LEASE_MS,
  });
  const checker = new HealthChecker(
    { name: 'research', getMcpToolNames: () => ['search'], getServerStates: () => ({}) },
    { clock, intervalMs: 0, checks: { fleet: fleetHealthCheck(redis, breakers) } },
  );
  return {
    name,
    breaker,
    breakers,
    redis,
    live,
    cached,
    tokens: new RedisTokenStore(redis),
    health: new FleetHealth(redis),
    limit,
    checker,
    events$,
    events,
    async stop() {
      checker.stop();
      limit.close();
      await breakers.stop();
      await redis.stop();
      breaker.stop();
    },
  };
}

/** Runs `fn` and measures it: no fleet operation may hang on Redis. */
export async function timed<T>(
  label: string,
  fn: () => Promise<T>,
): Promise<{ label: string; ms: number; result: PromiseSettledResult<T> }> {
  const start = performance.now();
  const [result] = await Promise.allSettled([fn()]);
  return { label, ms: performance.now() - start, result: result as PromiseSettledResult<T> };
}
