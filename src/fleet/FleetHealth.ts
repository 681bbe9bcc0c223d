// Health verdicts shared by the replicas of a fleet: each replica publishes its own verdict per
// server, anyone can read the fleet view. Local health stays authoritative for local decisions:
// nothing here changes a replica's own verdict or routing; the view is for dashboards and operators.
import { filter, type Observable } from 'rxjs';
import type { HealthCheckResult, HealthStatusName, RuntimeEvent } from '../events/RuntimeEvent.js';
import type { FleetConnection } from './FleetConnection.js';

/** One replica's verdict on one server (or team). */
export interface FleetVerdict {
  status: HealthStatusName;
  /** Epoch ms (the publishing replica's clock) of the verdict. */
  at: number;
  /** The replica that published it. */
  by: string;
}

/** What {@link FleetHealth.view} returns. */
export interface FleetHealthView {
  server: string;
  /** Newest first; verdicts older than `staleAfterMs` are left out. */
  verdicts: FleetVerdict[];
  /** False when Redis could not be read: `verdicts` then holds this replica's own verdict only. */
  shared: boolean;
}

/** Options of {@link FleetHealth}. */
export interface FleetHealthOptions {
  /** A verdict older than this is not shown (its replica stopped publishing). Default 5 min. */
  staleAfterMs?: number | undefined;
}

/**
 * Publishes this replica's health verdicts (`healthy` / `degraded` / `unhealthy`, with `at` and
 * `by`) under one Redis hash per server and reads the fleet's. A verdict that could not be written
 * (Redis away) is written again when Redis answers.
 *
 * @example
 * const health = new FleetHealth(redis);
 * health.attach(checker); // every health.checked of the checker is published under its target
 * const { verdicts } = await health.view('research-team');
 */
export class FleetHealth {
  readonly staleAfterMs: number;
  readonly #redis: FleetConnection;
  readonly #mine = new Map<string, FleetVerdict>();
  readonly #unregister: () => void;

  constructor(redis: FleetConnection, options: FleetHealthOptions = {}) {
    this.#redis = redis;
    this.staleAfterMs = options.staleAfterMs ?? 300_000;
    this.#unregister = redis.onRestored(async () => {
      for (const [server, verdict] of this.#mine) await this.#write(server, verdict);
    });
  }

  /** Shares this replica's verdict on `server`. Never throws: a verdict Redis missed is written on its return. */
  async publish(server: string, status: HealthStatusName): Promise<void> {
    const verdict = { status, at: this.#redis.clock.now(), by: this.#redis.replica };
    this.#mine.set(server, verdict);
    await this.#write(server, verdict).catch(() => undefined);
  }

  /** Publishes every `health.checked` of `checker` under `server` (default: the event's target). */
  attach(checker: { readonly events$: Observable<RuntimeEvent> }, server?: string): () => void {
    const subscription = checker.events$
      .pipe(
        filter((e): e is Extract<RuntimeEvent, { type: 'health.checked' }> => e.type === 'health.checked'),
      )
      .subscribe((e) => void this.publish(server ?? e.target, e.status));
    return () => subscription.unsubscribe();
  }

  /** The fleet's verdicts on `server`. */
  async view(server: string): Promise<FleetHealthView> {
    const now = this.#redis.clock.now();
    const fresh = (v: FleetVerdict) => now - v.at < this.staleAfterMs;
    try {
      const raw = await this.#redis.run('health view', (r) => r.hvals(this.#key(server)));
      const verdicts = raw.flatMap((json) => {
        try {
          return [JSON.parse(json) as FleetVerdict];
        } catch {
          return [];
        }
      });
      return { server, verdicts: verdicts.filter(fresh).sort((a, b) => b.at - a.at), shared: true };
    } catch {
      const mine = this.#mine.get(server);
      return { server, verdicts: mine && fresh(mine) ? [mine] : [], shared: false };
    }
  }

  /** Stops re-publishing on resync. */
  close(): void {
    this.#unregister();
  }

  #key(server: string): string {
    return `${this.#redis.prefix}health:{${server}}`;
  }

  async #write(server: string, verdict: FleetVerdict): Promise<void> {
    const key = this.#key(server);
    await this.#redis.run('health publish', (r) =>
      r.multi().hset(key, verdict.by, JSON.stringify(verdict)).pexpire(key, this.staleAfterMs).exec(),
    );
  }
}

/**
 * A `HealthChecker` check (`checks: { fleet: fleetHealthCheck(redis, breakers) }`) that warns while
 * any of the fleet's connections has lost Redis: the replica is healthy but runs on local state.
 */
export function fleetHealthCheck(
  ...parts: Array<{ readonly connected: boolean }>
): () => Omit<HealthCheckResult, 'durationMs'> {
  return () => {
    const up = parts.filter((p) => p.connected).length;
    if (up === parts.length)
      return { status: 'pass', detail: 'Redis connected: fleet state shared', count: up };
    return {
      status: 'warn',
      detail: `Redis lost on ${parts.length - up} of ${parts.length} fleet connections: this replica runs on local state (breaker, cache, tokens) until it answers again.`,
      count: up,
    };
  };
}
