// A fleet-wide concurrency limit per server: a Redis semaphore whose slots are leases that expire, so
// the slots of a replica that crashed mid-call come back by themselves. Only servers given a limit
// touch Redis; every other call goes straight through.
import { createHash, randomUUID } from 'node:crypto';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ResourceError } from '../errors/ResourceError.js';
import type { FleetScript } from './breakerScript.js';
import { FLEET_REDIS_UNAVAILABLE, type FleetConnection } from './FleetConnection.js';

/** Code of the error a call gets when its server's fleet-wide limit is reached. */
export const FLEET_LIMIT_REACHED = 'FLEET_LIMIT_REACHED';

/** Options of {@link FleetLimit}. */
export interface FleetLimitOptions {
  /** Per server name: at most `maxConcurrentFleetWide` calls in flight across every replica. */
  servers: Record<string, { maxConcurrentFleetWide: number }>;
  /** How long a slot outlives a replica that stopped renewing it (crashed). Renewed every third of it. Default 60 000 ms. */
  leaseMs?: number | undefined;
}

/**
 * KEYS: the semaphore (sorted set: lease id -> expiry, epoch ms). ARGV: now, limit, lease id,
 * expiry, key TTL. Drops expired leases, then takes a slot if one is free. Returns {1|0, holders}.
 */
const ACQUIRE_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[2]) then return {0, n} end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, n + 1}
`;
const ACQUIRE: FleetScript = { lua: ACQUIRE_LUA, sha: createHash('sha1').update(ACQUIRE_LUA).digest('hex') };

interface Held {
  key: string;
  expiresAt: number;
  timer: unknown;
}

const isUnavailable = (e: unknown) => isAzcoreError(e) && e.code === FLEET_REDIS_UNAVAILABLE;

/**
 * Bounds the calls in flight to a server across the whole fleet. A full server rejects at once with
 * a retryable `ResourceError` (`FLEET_LIMIT_REACHED`) rather than queueing: a queue spread over
 * replicas would need a poll or a message per waiter and would hold callers past their deadlines,
 * while the runtime's retry policy (backoff with jitter, within the caller's Deadline) already
 * knows how to wait for a retryable error. Redis unavailable: the call goes ahead (the limit is not
 * enforced fleet-wide until Redis answers; each replica's local per-server limit still holds).
 *
 * @example
 * const limit = new FleetLimit(redis, { servers: { github: { maxConcurrentFleetWide: 8 } } });
 * const result = await limit.run('github', () => github.callTool('search', args));
 */
export class FleetLimit {
  readonly leaseMs: number;
  readonly #redis: FleetConnection;
  readonly #limits = new Map<string, number>();
  readonly #held = new Map<string, Held>();
  readonly #unregister: () => void;

  constructor(redis: FleetConnection, options: FleetLimitOptions) {
    this.#redis = redis;
    this.leaseMs = options.leaseMs ?? 60_000;
    if (!(Number.isFinite(this.leaseMs) && this.leaseMs >= 3)) {
      throw new ConfigurationError(
        `Invalid FleetLimit option 'leaseMs': must be a number of ms >= 3, got ${String(options.leaseMs)}.`,
      );
    }
    for (const [server, { maxConcurrentFleetWide: n }] of Object.entries(options.servers)) {
      if (!(Number.isInteger(n) && n >= 1)) {
        throw new ConfigurationError(
          `Invalid FleetLimit option 'servers.${server}.maxConcurrentFleetWide': must be an integer >= 1, got ${String(n)}.`,
        );
      }
      this.#limits.set(server, n);
    }
    // Leases taken while Redis was away, or lost with its data, are registered again.
    this.#unregister = redis.onRestored(async () => {
      for (const [id, held] of this.#held) await this.#renew(id, held);
    });
  }

  /** The fleet-wide limit of `server`, if it has one. */
  limitOf(server: string): number | undefined {
    return this.#limits.get(server);
  }

  /** Runs `fn` in a fleet-wide slot of `server`; without a limit for `server`, runs it at once (no Redis). */
  run<T>(server: string, fn: () => Promise<T>): Promise<T> {
    const limit = this.#limits.get(server);
    if (limit === undefined) return fn();
    return this.#limited(server, limit, fn);
  }

  /** Calls holding a slot of `server` fleet-wide now (expired leases not counted). */
  async active(server: string): Promise<number> {
    const now = this.#redis.clock.now();
    return this.#redis.run('limit count', (r) => r.zcount(this.#key(server), `(${now}`, '+inf'));
  }

  /** Stops renewing (held slots then expire) and stops the resync. */
  close(): void {
    this.#unregister();
    for (const held of this.#held.values()) this.#redis.clock.clearTimeout(held.timer);
    this.#held.clear();
  }

  async #limited<T>(server: string, limit: number, fn: () => Promise<T>): Promise<T> {
    const key = this.#key(server);
    const id = `${this.#redis.replica}:${randomUUID()}`;
    const now = this.#redis.clock.now();
    let holders: number;
    try {
      const reply = (await this.#redis.script(
        'limit acquire',
        ACQUIRE,
        [key],
        [now, limit, id, now + this.leaseMs, this.leaseMs * 2],
      )) as [number, number];
      if (Number(reply[0]) !== 1) holders = Number(reply[1]);
      else holders = -1;
    } catch (e) {
      if (!isUnavailable(e)) throw e;
      return fn(); // Redis away: not enforced fleet-wide (fleet.redis.lost says so)
    }
    if (holders >= 0) {
      throw new ResourceError(
        `${holders} calls to this server are in flight across the fleet, its limit is ${limit}: this call was not sent.`,
        {
          server,
          code: FLEET_LIMIT_REACHED,
          retryable: true,
          hint: 'Retry with backoff, or raise maxConcurrentFleetWide.',
        },
      );
    }
    const held: Held = { key, expiresAt: now + this.leaseMs, timer: undefined };
    this.#held.set(id, held);
    this.#schedule(id, held);
    try {
      return await fn();
    } finally {
      this.#redis.clock.clearTimeout(held.timer);
      this.#held.delete(id);
      void this.#redis.run('limit release', (r) => r.zrem(key, id)).catch(() => undefined); // else it expires
    }
  }

  #schedule(id: string, held: Held): void {
    held.timer = this.#redis.clock.setTimeout(() => {
      if (!this.#held.has(id)) return;
      void this.#renew(id, held).catch(() => undefined);
      this.#schedule(id, held);
    }, this.leaseMs / 3);
  }

  /** Extends a held slot (adds it back if Redis lost it: this replica does hold it). */
  async #renew(id: string, held: Held): Promise<void> {
    held.expiresAt = this.#redis.clock.now() + this.leaseMs;
    await this.#redis.run('limit renew', (r) =>
      r
        .multi()
        .zadd(held.key, held.expiresAt, id)
        .pexpire(held.key, this.leaseMs * 2)
        .exec(),
    );
  }

  #key(server: string): string {
    return `${this.#redis.prefix}limit:{${server}}`;
  }
}
