// One Redis connection for the fleet's stores (answer cache, tokens, health verdicts, the fleet-wide
// limit), with the rule of the breaker fleet: every operation is bounded, nothing waits on a Redis
// that is known to be lost, and trouble is an event (`fleet.redis.lost` / `restored`) and a typed,
// retryable error, never a hang. Parts register a resync that runs when Redis answers again.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis, RedisOptions } from 'ioredis';
import { type Observable, Subject } from 'rxjs';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ResourceError } from '../errors/ResourceError.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import type { FleetScript } from './breakerScript.js';
import type { FleetEvent } from './FleetEvent.js';
import { bounded, createFleetClient, describeRedisError } from './redisClient.js';

/** Options of {@link FleetConnection}. */
export interface FleetConnectionOptions {
  /** `redis://[:password@]host:port[/db]` (also `rediss://`, Valkey alike). Default: ioredis' 127.0.0.1:6379. */
  url?: string | undefined;
  /** More ioredis options (TLS, sentinels, username...); the fail-fast settings apply unless overridden. */
  redis?: RedisOptions | undefined;
  /** This replica's name in shared records. Default `<hostname>:<pid>:<random>`. */
  replica?: string | undefined;
  /** Prefix of every key. Default `azcore:fleet:`. Replicas of one fleet share it. */
  prefix?: string | undefined;
  /** Longest wait for one Redis operation. Default 250 ms. */
  opTimeoutMs?: number | undefined;
  /** While Redis is lost, how often a PING checks whether it answers again (wall time: Redis is I/O). Default 1000 ms. */
  healthCheckMs?: number | undefined;
  /** Time source of event timestamps, TTL bookkeeping and polls. Default: wall clock. */
  clock?: Clock | undefined;
}

/** Code of the error every fleet store throws when Redis cannot be used now. */
export const FLEET_REDIS_UNAVAILABLE = 'FLEET_REDIS_UNAVAILABLE';

/**
 * A Redis connection shared by the fleet's stores. `start()` it once; `stop()` at shutdown.
 *
 * @example
 * const redis = new FleetConnection({ url: process.env.REDIS_URL });
 * await redis.start(); // within ~1 s even when Redis is down (then: fleet.redis.lost)
 * const cache = new RedisCacheStore(redis);
 */
export class FleetConnection {
  readonly replica: string;
  readonly prefix: string;
  readonly clock: Clock;
  /** `fleet.redis.lost`, `fleet.redis.restored` and `fleet.resynced` of this connection. */
  readonly events$: Observable<FleetEvent>;
  readonly #events = new Subject<FleetEvent>();
  readonly #client: Redis;
  readonly #opTimeoutMs: number;
  readonly #healthCheckMs: number;
  readonly #resyncs = new Set<() => Promise<void>>();
  #lost = true;
  #reason = 'not started';
  #lostReported = false;
  #health: ReturnType<typeof setInterval> | undefined;
  #started = false;
  #stopped = false;

  constructor(options: FleetConnectionOptions = {}) {
    const opTimeoutMs = options.opTimeoutMs ?? 250;
    const healthCheckMs = options.healthCheckMs ?? 1_000;
    for (const [option, value] of [
      ['opTimeoutMs', opTimeoutMs],
      ['healthCheckMs', healthCheckMs],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) {
        throw new ConfigurationError(
          `Invalid FleetConnection option '${option}': must be a number of ms > 0, got ${String(value)}.`,
        );
      }
    }
    this.replica = options.replica ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.prefix = options.prefix ?? 'azcore:fleet:';
    this.clock = options.clock ?? systemClock;
    this.#opTimeoutMs = opTimeoutMs;
    this.#healthCheckMs = healthCheckMs;
    this.events$ = this.#events.asObservable();
    this.#client = createFleetClient(options.url, options.redis, opTimeoutMs);
    // Without an error listener ioredis would crash the process on a refused connection.
    this.#client.on('error', () => {});
    this.#client.on('close', () => this.#markLost('connection closed'));
    this.#client.on('ready', () => this.#restored());
  }

  /** Redis answered the last operation and the connection is up. */
  get connected(): boolean {
    return !this.#lost && this.#client.status === 'ready';
  }

  /** Connects; resolves (never rejects) within about a second either way. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const limit = Math.max(1_000, this.#opTimeoutMs);
    await bounded(
      this.#client.connect().catch(() => {}),
      limit,
    ).catch(() => {});
    if (this.#client.status !== 'ready') this.#markLost('Redis unreachable at start');
  }

  /**
   * Registers work to redo once Redis answers again (re-publish, re-register, push what was written
   * while cut off). Returns a function that unregisters it.
   */
  onRestored(resync: () => Promise<void>): () => void {
    this.#resyncs.add(resync);
    return () => this.#resyncs.delete(resync);
  }

  /**
   * Runs one Redis operation, bounded by twice the operation timeout. Fails at once while Redis is
   * known to be lost (a PING in the background finds it again). Every failure is a retryable
   * `ResourceError` with code `FLEET_REDIS_UNAVAILABLE` and no cause: ioredis keeps command
   * arguments (tokens, cached answers) on its errors, and they must not reach a log.
   */
  async run<T>(what: string, op: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.#lost || this.#stopped) throw this.#unavailable(what, this.#reason);
    try {
      return await bounded(op(this.#client), this.#opTimeoutMs * 2);
    } catch (e) {
      const reason = describeRedisError(e);
      // A script error or WRONGTYPE is Redis answering: only silence and closed sockets mean "lost".
      if (!isReply(e)) this.#markLost(reason);
      throw this.#unavailable(what, reason);
    }
  }

  /** Runs a script: EVALSHA, and EVAL once when Redis does not know it yet (NOSCRIPT, e.g. after a restart). */
  script(what: string, script: FleetScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.run(what, async (redis) => {
      try {
        return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (e) {
        if (!describeRedisError(e).startsWith('NOSCRIPT')) throw e;
        return redis.eval(script.lua, keys.length, ...keys, ...args);
      }
    });
  }

  /** Closes the connection and completes `events$`. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#health) clearInterval(this.#health);
    this.#client.disconnect();
    this.#events.complete();
  }

  #unavailable(what: string, reason: string): ResourceError {
    return new ResourceError(`Redis is unavailable to the fleet (${reason}): ${what} could not use it.`, {
      code: FLEET_REDIS_UNAVAILABLE,
      retryable: true,
      hint: 'The replica goes on with its local state; fleet.redis.restored says when Redis answers again.',
    });
  }

  #markLost(reason: string): void {
    if (this.#stopped || !this.#started) return;
    this.#lost = true;
    this.#reason = reason;
    if (!this.#lostReported) {
      this.#lostReported = true;
      this.#events.next({ type: 'fleet.redis.lost', at: this.clock.now(), replica: this.replica, reason });
    }
    // A stalled server keeps its connection open: nothing else would say when it answers again.
    this.#health ??= setInterval(() => {
      if (this.#client.status !== 'ready') return;
      bounded(this.#client.ping(), this.#opTimeoutMs * 2).then(
        () => this.#restored(),
        () => {},
      );
    }, this.#healthCheckMs);
    this.#health.unref?.();
  }

  #restored(): void {
    if (this.#stopped || !this.#started || !this.#lost) return;
    this.#lost = false;
    if (this.#health) clearInterval(this.#health);
    this.#health = undefined;
    void this.#resync();
  }

  async #resync(): Promise<void> {
    const resyncs = [...this.#resyncs];
    const results = await Promise.allSettled(resyncs.map((resync) => resync()));
    if (this.#lost || this.#stopped || results.some((r) => r.status === 'rejected')) return;
    if (this.#lostReported) {
      this.#lostReported = false;
      this.#events.next({ type: 'fleet.redis.restored', at: this.clock.now(), replica: this.replica });
    }
    this.#events.next({
      type: 'fleet.resynced',
      at: this.clock.now(),
      replica: this.replica,
      keys: resyncs.length,
    });
  }
}

/** An error reply of Redis itself (it answered), as opposed to a timeout or a closed connection. */
function isReply(e: unknown): boolean {
  return e instanceof Error && e.name === 'ReplyError';
}
