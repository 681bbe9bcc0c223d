import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisOptions } from 'ioredis';
import { type Observable, Subject } from 'rxjs';
import type { CircuitBreaker } from '../actors/CircuitBreaker.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { BreakerLink, type LinkHost } from './BreakerLink.js';
import {
  FAILURE_SCRIPT,
  fleetKeys,
  PROBE_LEASE_SCRIPT,
  parseLeaseReply,
  parseTransitionMessage,
  type SharedBreaker,
  type SharedBreakerState,
  TRANSITION_SCRIPT,
  toRecord,
} from './breakerScript.js';
import type { FleetEvent } from './FleetEvent.js';
import { FleetRedis } from './FleetRedis.js';

/** Options of {@link BreakerFleet}. */
export interface BreakerFleetOptions {
  /** `redis://[:password@]host:port[/db]` (also `rediss://`, Valkey alike). Default: ioredis' 127.0.0.1:6379. */
  url?: string | undefined;
  /** More ioredis options (TLS, sentinels, username...); the fleet's fail-fast settings apply unless overridden. */
  redis?: RedisOptions | undefined;
  /** This replica's name in the shared records. Default `<hostname>:<pid>:<random>`. */
  replica?: string | undefined;
  /** Prefix of every key and of the channel. Default `azcore:fleet:`. Replicas of one fleet share it. */
  prefix?: string | undefined;
  /** Longest wait for one Redis operation before the replica goes on alone. Default 250 ms. */
  opTimeoutMs?: number | undefined;
  /** How often a replica refused the probe lease asks again (capped by the breaker's resetTimeoutMs). Default 1000 ms. */
  leaseRetryMs?: number | undefined;
  /** While Redis is lost, how often a PING checks whether it answers again. Default 1000 ms. */
  healthCheckMs?: number | undefined;
  /** Time source of event timestamps and lease bookkeeping. Use the breakers' clock. Default: wall clock. */
  clock?: Clock | undefined;
}

/**
 * Shares circuit-breaker state among the replicas of a service over Redis (or Valkey): when one
 * replica's breaker opens, every replica's breaker for that key opens with the same `openedAt`; in
 * half-open exactly one replica (the holder of a `SET NX PX` lease) probes; its verdict closes or
 * re-opens them all. Admission stays local: no Redis call per call, and when Redis is lost or slow
 * every replica goes on alone (`fleet.redis.lost`) and re-syncs when it answers again.
 *
 * @example
 * const fleet = new BreakerFleet({ url: 'redis://redis:6379' });
 * await fleet.start();
 * fleet.attach('github', connection.breaker);
 */
export class BreakerFleet {
  readonly replica: string;
  /** Lost/restored, published/applied transitions and probe leases. */
  readonly events$: Observable<FleetEvent>;
  readonly #events = new Subject<FleetEvent>();
  readonly #clock: Clock;
  readonly #keys: ReturnType<typeof fleetKeys>;
  readonly #redis: FleetRedis;
  readonly #links = new Map<string, BreakerLink>();
  readonly #host: LinkHost;
  readonly #healthCheckMs: number;
  #lost = true;
  #lostReported = false;
  #health: ReturnType<typeof setInterval> | undefined;
  #started = false;
  #stopped = false;

  constructor(options: BreakerFleetOptions = {}) {
    const opTimeoutMs = options.opTimeoutMs ?? 250;
    for (const [option, value] of [
      ['opTimeoutMs', opTimeoutMs],
      ['leaseRetryMs', options.leaseRetryMs ?? 1_000],
      ['healthCheckMs', options.healthCheckMs ?? 1_000],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) {
        throw new ConfigurationError(
          `Invalid BreakerFleet option '${option}': must be a number of ms > 0, got ${String(value)}.`,
        );
      }
    }
    this.replica = options.replica ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#clock = options.clock ?? systemClock;
    this.#keys = fleetKeys(options.prefix ?? 'azcore:fleet:');
    this.#healthCheckMs = options.healthCheckMs ?? 1_000;
    this.events$ = this.#events.asObservable();
    this.#redis = new FleetRedis({
      url: options.url,
      redis: options.redis,
      opTimeoutMs,
      channel: this.#keys.channel,
      onMessage: (message) => this.#onMessage(message),
      onReady: () => this.#restored(),
      onTrouble: (reason) => this.#markLost(reason),
    });
    const fleet = this;
    const keys = this.#keys;
    const redis = this.#redis;
    const leaseRetryMs = options.leaseRetryMs ?? 1_000;
    this.#host = {
      replica: this.replica,
      get connected() {
        return !fleet.#lost && redis.ready;
      },
      leaseRetryMs,
      now: () => this.#clock.now(),
      emit: (event) => this.#events.next(event),
      acquireLease: async (key, ttlMs, base) =>
        parseLeaseReply(
          await redis.script(
            PROBE_LEASE_SCRIPT,
            [keys.breaker(key), keys.probeLease(key)],
            [this.replica, String(Math.max(1, Math.round(ttlMs))), String(base)],
          ),
        ),
      releaseLease: (key) => redis.deleteIfValue(keys.probeLease(key), this.replica),
      transition: (key: string, base: number, state: SharedBreakerState, openedAt: number | undefined) =>
        redis.script(
          TRANSITION_SCRIPT,
          [keys.breaker(key), keys.probeLease(key)],
          [
            String(base),
            state,
            openedAt === undefined ? '' : String(openedAt),
            this.replica,
            keys.channel,
            key,
          ],
        ),
      failure: (key: string, threshold: number, windowMs: number, openedAt: number, base: number) =>
        redis.script(
          FAILURE_SCRIPT,
          [keys.breaker(key), keys.probeLease(key), keys.failures(key)],
          [
            String(threshold),
            String(Math.max(1, Math.round(windowMs))),
            String(openedAt),
            this.replica,
            keys.channel,
            key,
            String(base),
          ],
        ),
      resetFailures: (key: string) => redis.delete(keys.failures(key)),
      readRecord: async (key: string): Promise<SharedBreaker | undefined> =>
        toRecord(await redis.readHash(keys.breaker(key))),
    };
  }

  /** Redis answers and the shared state has been read: leases gate probes and verdicts are shared. */
  get connected(): boolean {
    return this.#host.connected;
  }

  /**
   * Connects to Redis and reads the shared state of the breakers attached so far. Resolves within
   * about a second even when Redis is unreachable: the replica then starts alone
   * (`fleet.redis.lost`) and joins when Redis answers.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#redis.connect();
    if (!this.#redis.ready) this.#markLost('Redis unreachable at start');
  }

  /**
   * Shares `breaker` under `key` (replicas use the same key for the same upstream server, e.g. its
   * name). Returns a function that stops sharing it. One breaker per key per replica.
   */
  attach(key: string, breaker: CircuitBreaker): () => void {
    if (this.#stopped)
      throw new ConfigurationError('BreakerFleet is stopped: attach() needs a running fleet.');
    if (!key) throw new ConfigurationError("Invalid BreakerFleet key: must be a non-empty string, got ''.");
    if (this.#links.has(key)) {
      throw new ConfigurationError(
        `BreakerFleet key '${key}' is already attached to a breaker of this replica.`,
      );
    }
    const link = new BreakerLink(key, breaker, this.#host);
    this.#links.set(key, link);
    if (this.connected) void link.resync().catch(() => {});
    return () => {
      if (this.#links.get(key) === link) this.#links.delete(key);
      link.detach();
    };
  }

  /** The generation of `key`'s shared record this replica last saw (0: none), for tests and dashboards. */
  generation(key: string): number {
    return this.#links.get(key)?.generation ?? 0;
  }

  /** Whether this replica holds `key`'s half-open probe lease. */
  holdsProbeLease(key: string): boolean {
    return this.#links.get(key)?.holdsLease ?? false;
  }

  /** Detaches every breaker (they keep running, alone), closes the connections, completes `events$`. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const link of this.#links.values()) link.detach();
    this.#links.clear();
    if (this.#health) clearInterval(this.#health);
    await this.#redis.stop();
    this.#events.complete();
  }

  #onMessage(message: string): void {
    const parsed = parseTransitionMessage(message);
    if (parsed) this.#links.get(parsed.key)?.merge(parsed.record);
  }

  #markLost(reason: string): void {
    if (this.#stopped) return;
    this.#lost = true;
    if (!this.#lostReported) {
      this.#lostReported = true;
      this.#events.next({ type: 'fleet.redis.lost', at: this.#clock.now(), replica: this.replica, reason });
    }
    // A stalled server keeps its connections open: nothing else would say when it answers again.
    this.#health ??= setInterval(() => {
      if (this.#redis.ready)
        this.#redis.ping().then(
          () => this.#restored(),
          () => {},
        );
    }, this.#healthCheckMs);
    this.#health.unref?.();
  }

  #restored(): void {
    if (this.#stopped || !this.#lost) return;
    this.#lost = false;
    if (this.#health) clearInterval(this.#health);
    this.#health = undefined;
    void this.#resync();
  }

  async #resync(): Promise<void> {
    const links = [...this.#links.values()];
    const results = await Promise.allSettled(links.map((link) => link.resync()));
    if (this.#lost || this.#stopped) return;
    if (results.some((r) => r.status === 'rejected')) return;
    if (this.#lostReported) {
      this.#lostReported = false;
      this.#events.next({ type: 'fleet.redis.restored', at: this.#clock.now(), replica: this.replica });
    }
    this.#events.next({
      type: 'fleet.resynced',
      at: this.#clock.now(),
      replica: this.replica,
      keys: links.length,
    });
  }
}
