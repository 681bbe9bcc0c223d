// One local breaker tied to its shared record: publishes local verdicts, merges remote ones, and
// gates half-open probes on the fleet-wide lease. Every Redis call here is fire-and-forget from the
// breaker's point of view: the breaker decides synchronously on local state.
import type { Subscription } from 'rxjs';
import type { CircuitBreaker } from '../actors/CircuitBreaker.js';
import {
  type LeaseResult,
  parseFailureReply,
  parseTransitionReply,
  type SharedBreaker,
  type SharedBreakerState,
} from './breakerScript.js';
import type { FleetEvent } from './FleetEvent.js';

/** What a link needs from its fleet. */
export interface LinkHost {
  readonly replica: string;
  /** Redis is reachable and answering: only then are leases needed and writes attempted. */
  readonly connected: boolean;
  readonly leaseRetryMs: number;
  now(): number;
  emit(event: FleetEvent): void;
  /** The probe lease, granted only while the shared record is at `baseGeneration` (else it comes back). */
  acquireLease(key: string, ttlMs: number, baseGeneration: number): Promise<LeaseResult>;
  /** Frees the lease if this replica holds it. */
  releaseLease(key: string): Promise<void>;
  transition(
    key: string,
    baseGeneration: number,
    state: SharedBreakerState,
    openedAt: number | undefined,
  ): Promise<unknown>;
  readRecord(key: string): Promise<SharedBreaker | undefined>;
  /** Counts one failure fleet-wide; opens the shared record at `threshold`. */
  failure(
    key: string,
    threshold: number,
    windowMs: number,
    openedAt: number,
    baseGeneration: number,
  ): Promise<unknown>;
  /** Forgets the fleet-wide failure count (a replica that had failed saw a success). */
  resetFailures(key: string): Promise<void>;
}

type Lease = 'none' | 'pending' | 'held';

/** The state a local breaker would share: halfOpen is still "open since openedAt"; isolated shares nothing. */
function sharedView(
  breaker: CircuitBreaker,
): { state: SharedBreakerState; openedAt: number | undefined } | undefined {
  const state = breaker.state;
  if (state === 'closed') return { state, openedAt: undefined };
  if (state === 'open' || state === 'halfOpen') return { state: 'open', openedAt: breaker.openedAt };
  return undefined;
}

function consecutiveFailures(breaker: CircuitBreaker): number {
  const state = breaker.strategyState;
  return state.kind === 'consecutive' ? state.failures : 0;
}

export class BreakerLink {
  readonly key: string;
  readonly breaker: CircuitBreaker;
  readonly #host: LinkHost;
  readonly #subscription: Subscription;
  readonly #unwatch: () => void;
  /** The local consecutive failure count last seen, to notice a failure or a reset. */
  #localFailures = 0;
  /** The shared record as last seen (generation 0: none yet). */
  #shared: { state: SharedBreakerState; openedAt: number | undefined; generation: number } = {
    state: 'closed',
    openedAt: undefined,
    generation: 0,
  };
  /** A local verdict not yet written (Redis was away): written, or beaten, on the next resync. */
  #dirty = false;
  #applying = false;
  #lease: Lease = 'none';
  #leaseUntil = 0;
  #nextLeaseAttempt = 0;
  #chain: Promise<void> = Promise.resolve();
  #detached = false;

  constructor(key: string, breaker: CircuitBreaker, host: LinkHost) {
    this.key = key;
    this.breaker = breaker;
    this.#host = host;
    breaker.setProbeGate((now) => this.#mayProbe(now));
    // Outcomes are seen through breaker.watch(): a healthy call in a closed circuit records nothing,
    // so the fleet adds nothing to the hot path. Nothing here reads breaker.actor, which would create
    // an idle breaker's actor (and did: the fleet-on execute() then cost 1.12x the fleet-off one).
    this.#localFailures = consecutiveFailures(breaker);
    this.#unwatch = breaker.watch(() => this.#onOutcome());
    let first = true;
    this.#subscription = breaker.state$.subscribe((to) => {
      if (first) {
        first = false;
        return;
      }
      this.#onLocal(to);
    });
  }

  /** Generation of the shared record this replica last saw. */
  get generation(): number {
    return this.#shared.generation;
  }

  /** Whether this replica holds the half-open probe lease now. */
  get holdsLease(): boolean {
    return this.#lease === 'held' && this.#host.now() < this.#leaseUntil;
  }

  detach(): void {
    this.#detached = true;
    this.#subscription.unsubscribe();
    this.#unwatch();
    this.breaker.setProbeGate(undefined);
  }

  /** A record from pub/sub or a resync. Older generations than the one seen are ignored. */
  merge(record: SharedBreaker, options: { force?: boolean } = {}): void {
    if (this.#detached) return;
    if (record.generation <= this.#shared.generation && !options.force) return;
    this.#shared = { state: record.state, openedAt: record.openedAt, generation: record.generation };
    this.#dirty = false;
    if (record.by === this.#host.replica && !options.force) return;
    const view = sharedView(this.breaker);
    if (view && view.state === record.state && view.openedAt === record.openedAt) return;
    this.#applying = true;
    try {
      if (record.state === 'open' && record.openedAt !== undefined) this.breaker.applyOpen(record.openedAt);
      else if (record.state === 'closed') this.breaker.applyClose();
    } finally {
      this.#applying = false;
    }
    this.#host.emit({
      type: 'fleet.breaker.applied',
      at: this.#host.now(),
      replica: this.#host.replica,
      key: this.key,
      state: record.state,
      openedAt: record.openedAt,
      generation: record.generation,
      by: record.by,
    });
  }

  /**
   * Reads the shared record and merges: a newer record wins; when nobody wrote since this replica
   * last saw it (or Redis lost it), the local state is written instead (a verdict made while cut off).
   */
  async resync(): Promise<void> {
    const record = await this.#host.readRecord(this.key);
    if (this.#detached) return;
    if (record && record.generation > this.#shared.generation) {
      this.merge(record, { force: true });
      return;
    }
    if (record) this.#shared = { ...this.#shared, state: record.state, openedAt: record.openedAt };
    else this.#shared = { ...this.#shared, state: 'closed', openedAt: undefined };
    this.#dirty = true;
    await this.#push();
  }

  /**
   * Consecutive strategy only: each local failure while closed is counted fleet-wide too, so the
   * fleet opens after `threshold` failures in all, not `threshold` per replica. A success after
   * failures here resets the count (a replica that never fails never writes).
   */
  #onOutcome(): void {
    const before = this.#localFailures;
    const now = consecutiveFailures(this.breaker);
    this.#localFailures = now;
    if (this.#detached || this.#applying || now === before || !this.#host.connected) return;
    const { value, context } = this.breaker.actor.getSnapshot();
    if (now === 0 && value === 'closed' && before > 0) {
      void this.#host.resetFailures(this.key).catch(() => {});
      return;
    }
    if (now > before && value === 'closed' && context.strategy.kind === 'consecutive') {
      void this.#countFailure(context.strategy.threshold, context.resetTimeoutMs);
    }
  }

  async #countFailure(threshold: number, windowMs: number): Promise<void> {
    let reply: ReturnType<typeof parseFailureReply>;
    try {
      reply = parseFailureReply(
        await this.#host.failure(this.key, threshold, windowMs, this.#host.now(), this.#shared.generation),
      );
    } catch {
      return;
    }
    if (!reply) return;
    if (reply.failures > 0) {
      this.#host.emit({
        type: 'fleet.breaker.failure',
        at: this.#host.now(),
        replica: this.#host.replica,
        key: this.key,
        failures: reply.failures,
        tripped: reply.tripped,
      });
    }
    if (!reply.tripped || !reply.record) return;
    this.merge(reply.record, { force: true }); // the fleet's count tripped here: open locally too
    this.#announce(reply.record, true);
  }

  #onLocal(to: string): void {
    // Open or closed, local or remote: the probe round is over (the verdict's write freed the lease).
    if (to === 'open' || to === 'closed') this.#lease = 'none';
    if (this.#applying || this.#detached) return;
    this.#dirty = true;
    void this.#push();
  }

  /** Writes the local state when it differs from the shared one; serialized so each write sees the last generation. */
  #push(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#write()).catch(() => {});
    return this.#chain;
  }

  async #write(): Promise<void> {
    const view = sharedView(this.breaker);
    if (this.#detached || !this.#dirty || !view) return;
    const shared = this.#shared;
    if (shared.generation > 0 && view.state === shared.state && view.openedAt === shared.openedAt) {
      this.#dirty = false;
      return;
    }
    if (shared.generation === 0 && view.state === 'closed') {
      this.#dirty = false; // nothing to tell: no record and a closed circuit mean the same
      return;
    }
    if (!this.#host.connected) return; // stays dirty: the resync after reconnect writes it
    const reply = parseTransitionReply(
      await this.#host.transition(this.key, shared.generation, view.state, view.openedAt),
    );
    if (!reply) return;
    if (reply.won) {
      this.#shared = {
        state: reply.record.state,
        openedAt: reply.record.openedAt,
        generation: Math.max(this.#shared.generation, reply.record.generation),
      };
      this.#dirty = false;
    } else {
      this.merge(reply.record, { force: true }); // a newer write won: take its verdict
    }
    this.#announce(reply.record, reply.won);
  }

  /** Announced once applied: a listener reads the generation this replica now holds. */
  #announce(record: SharedBreaker, won: boolean): void {
    this.#host.emit({
      type: 'fleet.breaker.published',
      at: this.#host.now(),
      replica: this.#host.replica,
      key: this.key,
      state: record.state,
      openedAt: record.openedAt,
      generation: record.generation,
      won,
    });
  }

  /** The probe gate: synchronous, local. Without Redis every replica probes for itself. */
  #mayProbe(now: number): boolean {
    if (!this.#host.connected) return true;
    if (this.#lease === 'held' && now < this.#leaseUntil) return true;
    if (this.#lease !== 'pending' && now >= this.#nextLeaseAttempt) void this.#acquire(now);
    return false;
  }

  async #acquire(now: number): Promise<void> {
    const ttl = this.breaker.resetTimeoutMs;
    const round = this.breaker.openedAt;
    this.#lease = 'pending';
    this.#nextLeaseAttempt = now + Math.min(ttl, this.#host.leaseRetryMs);
    let granted = false;
    let moved: SharedBreaker | undefined;
    try {
      const reply = await this.#host.acquireLease(this.key, ttl, this.#shared.generation);
      granted = reply.granted;
      if (!granted && reply.record && reply.record.generation > this.#shared.generation) moved = reply.record;
    } catch {
      granted = false;
    }
    if (moved && !this.#detached) {
      // Another replica's probe already gave the verdict: take it now, do not probe again.
      if (this.#lease === 'pending') this.#lease = 'none';
      this.merge(moved);
      return;
    }
    if (this.#lease !== 'pending' || this.breaker.openedAt !== round || this.#detached) {
      // A verdict ended this round while the lease was asked for: a lease got now would block the next round.
      if (this.#lease === 'pending') this.#lease = 'none';
      if (granted) void this.#host.releaseLease(this.key).catch(() => {});
      return;
    }
    this.#lease = granted ? 'held' : 'none';
    this.#leaseUntil = now + ttl;
    this.#host.emit({
      type: 'fleet.probe.lease',
      at: this.#host.now(),
      replica: this.#host.replica,
      key: this.key,
      granted,
    });
  }
}
