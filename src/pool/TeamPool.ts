import { filter, type Observable } from 'rxjs';
import { type Actor, createActor, fromPromise, waitFor } from 'xstate';
import { type PoolEffect, poolCounts, poolMachine } from '../../machines/pool.machine.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { EventBus, summarizeError } from '../events/EventBus.js';
import type { PoolEvent, PoolStateName } from '../events/RuntimeEvent.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import type { MCPTeam } from '../team/MCPTeam.js';
import { acquireTimeoutError, notAcquiredError, poolBuildError, poolClosedError } from './poolErrors.js';
import {
  type AcquireOptions,
  type DistributiveOmit,
  memberName,
  type PoolMember,
  type PoolStatus,
  type TeamPoolOptions,
  validatePoolOptions,
} from './teamPoolOptions.js';

interface Waiter<T> {
  resolve(member: T): void;
  reject(error: AzcoreError): void;
  startedAt: number;
  cleanup(): void;
}

/** What the runtime holds for a slot; the machine holds its status. */
interface Slot<T> {
  member?: T | undefined;
  lentAt?: number | undefined;
  buildError?: AzcoreError | undefined;
  /** Why its member is being replaced, for the `pool.replaced` event. */
  replacing?: string | undefined;
}

const BROKEN_STATES = new Set(['closing', 'closed', 'buildFailed']);

/**
 * A bounded pool of teams (the guide's `ConnectionPool`) as an actor: machines/pool.machine.ts
 * decides who gets which team, strictly first come, first served; this class builds, checks and
 * cleans the teams. Waiting has a timeout and an AbortSignal, never a polling loop. A team that is
 * closed, failed to build or fails `isHealthy` is cleaned up and replaced by a new one. It reports
 * `pool.*` events (members of `RuntimeEvent`) on its own bus, or on the `bus` of its options.
 *
 * @example
 * const pool = await TeamPool.create((name) => new MCPTeamBuilder(name).withLlm(model).withMcpServerHttp(url).build(), { size: 5 });
 * const answer = await pool.use((team) => team.invoke({ messages: [new HumanMessage('Task')] }));
 * await pool.closeAll();
 */
export class TeamPool<T extends PoolMember = MCPTeam> {
  readonly name: string;
  readonly actor: Actor<typeof poolMachine>;
  /** This pool's `pool.*` events: all of its own bus, or those it emits on the `bus` of its options. */
  readonly events$: Observable<PoolEvent>;
  readonly #bus: EventBus;
  readonly #ownsBus: boolean;
  readonly #source: string;
  readonly #factory: (name: string) => Promise<T>;
  readonly #options: TeamPoolOptions<T>;
  readonly #clock: Clock;
  readonly #slots: Slot<T>[];
  readonly #waiters = new Map<string, Waiter<T>>();
  readonly #work = new Set<Promise<unknown>>();
  #requests = 0;
  #built = 0;
  #closed: Promise<void> | undefined;

  /**
   * Starts the pool and resolves once the prewarm builds have settled. Rejects (and cleans up) with
   * a `POOL_BUILD_FAILED` ConnectionError when none of them worked, or a ConfigurationError for bad options.
   */
  static async create<T extends PoolMember = MCPTeam>(
    factory: (name: string) => Promise<T>,
    options: TeamPoolOptions<T>,
  ): Promise<TeamPool<T>> {
    const pool = new TeamPool(factory, options);
    await Promise.allSettled([...pool.#work]);
    const status = pool.status;
    const first = pool.#slots.find((slot) => slot.buildError)?.buildError;
    if (status.idle === 0 && status.empty > 0 && first) {
      await pool.closeAll();
      throw poolBuildError(pool.name, first);
    }
    return pool;
  }

  private constructor(factory: (name: string) => Promise<T>, options: TeamPoolOptions<T>) {
    validatePoolOptions(options);
    this.name = options.name ?? 'pool';
    this.#source = `pool:${this.name}`;
    this.#ownsBus = !options.bus;
    this.#bus = options.bus ?? new EventBus();
    // Only pools emit `pool:` sources; on a shared bus, this pool's own events.
    this.events$ = this.#bus.events$.pipe(filter((e): e is PoolEvent => e.source === this.#source));
    this.#factory = factory;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#slots = Array.from({ length: options.size }, () => ({}));
    const machine = poolMachine.provide({
      actors: { closeMembers: fromPromise(() => this.#closeMembers()) },
    });
    this.actor = createActor(machine, {
      input: { pool: this.name, size: options.size, prewarm: options.prewarm ?? options.size },
      clock: this.#clock,
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    this.actor.on('*', (effect) => this.#perform(effect));
    let last: PoolStateName = 'open';
    this.actor.subscribe({
      next: (snapshot) => {
        if (snapshot.value === last) return;
        this.#emit({ type: 'pool.state', from: last, to: snapshot.value });
        last = snapshot.value;
      },
      error: (e) => options.logger?.error({ pool: this.name, err: String(e) }, 'pool actor crashed'),
    });
    this.actor.start();
  }

  /** State and member counts, from the machine. */
  get status(): PoolStatus {
    const snapshot = this.actor.getSnapshot();
    return { state: snapshot.value, size: this.#options.size, ...poolCounts(snapshot.context) };
  }

  /**
   * Waits for a free, healthy team: first come, first served. Rejects with a TimeoutError
   * (`POOL_ACQUIRE_TIMEOUT`), the signal's CancelledError, `POOL_CLOSED`, or the build error of the
   * team that was being built for this request. Give the team back with {@link release}.
   */
  acquire(options: AcquireOptions = {}): Promise<T> {
    if (this.status.state !== 'open') return Promise.reject(poolClosedError(this.name));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(classifyError(signal.reason, { signal }));
    const requestId = `r${++this.#requests}`;
    const timeoutMs = options.timeoutMs ?? this.#options.acquireTimeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      const giveUp = (error: AzcoreError) => {
        if (!this.#waiters.has(requestId)) return;
        this.#settle(requestId)?.reject(error);
        this.actor.send({ type: 'CANCEL', requestId });
      };
      const timer = this.#clock.setTimeout(
        () => giveUp(acquireTimeoutError(this.name, timeoutMs, this.#options.size)),
        timeoutMs,
      );
      const onAbort = () => giveUp(classifyError(signal?.reason, { signal }));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(requestId, {
        resolve,
        reject: (error) => {
          this.#emit({ type: 'pool.acquireFailed', requestId, error: summarizeError(error) });
          reject(error);
        },
        startedAt: this.#clock.now(),
        cleanup: () => {
          this.#clock.clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      });
      // May grant at once, synchronously, so the waiter is registered first.
      this.actor.send({ type: 'ACQUIRE', requestId });
    });
  }

  /**
   * Gives a team back. With `broken: true`, or when it is closed or fails `isHealthy`, it is cleaned
   * up and a new one is built. Throws an InputError for a team that is not out on loan; does nothing
   * once the pool is closing (closeAll cleans every team).
   */
  release(team: T, options: { broken?: boolean } = {}): void {
    if (this.status.state !== 'open') return;
    const slot = this.#slots.findIndex((s) => s.member === team);
    if (slot < 0 || this.actor.getSnapshot().context.slots[slot] !== 'busy') {
      throw notAcquiredError(this.name, team.name ?? 'unnamed');
    }
    const problem = options.broken ? 'released broken' : this.#problemWith(team);
    const held = this.#slots[slot]!;
    this.#emit({
      type: 'pool.released',
      member: memberName(team, slot),
      heldMs: this.#clock.now() - (held.lentAt ?? this.#clock.now()),
      healthy: problem === undefined,
    });
    held.lentAt = undefined;
    held.replacing = problem;
    this.actor.send({ type: 'RELEASE', slot, healthy: problem === undefined });
  }

  /**
   * Runs `fn` with a team and always gives it back, also when `fn` throws (the guide's
   * acquire/try/finally/release, which leaked the team if acquire itself was interrupted).
   *
   * @example const { messages } = await pool.use((team) => team.invoke({ messages: [new HumanMessage('hi')] }));
   */
  async use<R>(fn: (team: T) => Promise<R>, options: AcquireOptions = {}): Promise<R> {
    const team = await this.acquire(options);
    try {
      return await fn(team);
    } finally {
      this.release(team);
    }
  }

  /**
   * Rejects every waiter with `POOL_CLOSED`, waits for builds in flight and cleans up every team,
   * also those on loan. Idempotent: every call returns the same promise.
   */
  closeAll(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.status.state === 'open') this.actor.send({ type: 'CLOSE' });
      await waitFor(this.actor, (s) => s.status === 'done');
      this.actor.stop();
      // A bus passed in options belongs to the caller, and may carry other pools and servers.
      if (this.#ownsBus) this.#bus.complete();
    })();
    return this.#closed;
  }

  #perform(effect: PoolEffect): void {
    if (effect.type === 'build') this.#build(effect.slot);
    else if (effect.type === 'dispose') this.#dispose(effect.slot);
    else if (effect.type === 'granted') this.#grant(effect.requestId, effect.slot);
    else if (effect.type === 'queued') {
      this.#emit({ type: 'pool.queued', requestId: effect.requestId, position: effect.position });
    } else {
      const error =
        effect.reason === 'buildFailed' ? this.#slots[effect.slot]?.buildError : poolClosedError(this.name);
      this.#settle(effect.requestId)?.reject(error ?? poolClosedError(this.name));
    }
  }

  #grant(requestId: string, slot: number): void {
    const held = this.#slots[slot]!;
    const team = held.member!;
    const problem = this.#problemWith(team);
    if (problem) {
      held.replacing = problem;
      this.actor.send({ type: 'BROKEN', slot, requestId });
      return;
    }
    const waiter = this.#settle(requestId);
    if (!waiter) {
      // The waiter is gone (cannot happen: grants are synchronous); the team goes back.
      this.actor.send({ type: 'RELEASE', slot, healthy: true });
      return;
    }
    held.lentAt = this.#clock.now();
    this.#emit({
      type: 'pool.acquired',
      requestId,
      member: memberName(team, slot),
      waitedMs: this.#clock.now() - waiter.startedAt,
    });
    waiter.resolve(team);
  }

  #build(slot: number): void {
    const name = `${this.name}-${++this.#built}`;
    const started = this.#clock.now();
    const work = Promise.resolve()
      .then(() => this.#factory(name))
      .then(
        (team) => {
          Object.assign(this.#slots[slot]!, { member: team, buildError: undefined });
          this.#emit({
            type: 'pool.built',
            member: memberName(team, slot),
            durationMs: this.#clock.now() - started,
          });
          if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'BUILT', slot });
        },
        (e: unknown) => {
          const error = classifyError(e);
          this.#slots[slot]!.buildError = error;
          this.#options.logger?.warn(
            { pool: this.name, member: name, err: error.toJSON() },
            'team build failed',
          );
          this.#emit({ type: 'pool.buildFailed', member: name, error: summarizeError(error) });
          if (this.actor.getSnapshot().status === 'active') {
            this.actor.send({ type: 'BUILD_FAILED', slot, error: summarizeError(error) });
          }
        },
      );
    this.#track(work);
  }

  #dispose(slot: number): void {
    const held = this.#slots[slot]!;
    const team = held.member;
    if (!team) return;
    this.#emit({ type: 'pool.replaced', member: memberName(team, slot), reason: held.replacing ?? 'broken' });
    Object.assign(held, { member: undefined, replacing: undefined });
    this.#track(this.#cleanup(team));
  }

  async #closeMembers(): Promise<void> {
    // Builds finishing now still add members, so wait for them before cleaning everything.
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
    const members = this.#slots.flatMap((slot) => (slot.member ? [slot.member] : []));
    for (const slot of this.#slots) slot.member = undefined;
    await Promise.all(members.map((m) => this.#cleanup(m)));
  }

  #cleanup(team: T): Promise<void> {
    return team.cleanup().catch((e: unknown) => {
      this.#options.logger?.warn({ pool: this.name, err: String(e) }, 'team cleanup failed');
    });
  }

  #track(work: Promise<unknown>): void {
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
  }

  /** Why a member cannot be used, or undefined when it can. */
  #problemWith(team: T): string | undefined {
    if (BROKEN_STATES.has(team.state)) return `team is ${team.state}`;
    try {
      if (this.#options.isHealthy && !this.#options.isHealthy(team)) return 'failed its health check';
    } catch (e) {
      return `health check threw: ${String(e)}`;
    }
    return undefined;
  }

  #settle(requestId: string): Waiter<T> | undefined {
    const waiter = this.#waiters.get(requestId);
    if (!waiter) return undefined;
    this.#waiters.delete(requestId);
    waiter.cleanup();
    return waiter;
  }

  #emit(event: DistributiveOmit<PoolEvent, 'at' | 'source' | 'pool'>): void {
    if (!this.#bus.observed) return;
    const full = { at: this.#clock.now(), source: this.#source, pool: this.name, ...event } as PoolEvent;
    this.#bus.emit(full); // the bus scrubs the text-carrying ones (failures, replacements)
  }
}
