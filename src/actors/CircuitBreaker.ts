import type { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
import type { Observable } from 'rxjs/internal/Observable';
import { Actor, type ActorRefFrom, createActor, type Snapshot, type SnapshotFrom } from 'xstate';
import {
  type BreakerStrategyState,
  initialStrategyState,
  successChangesState,
} from '../../machines/breakerStrategies.js';
import {
  type CircuitBreakerConfig,
  type CircuitBreakerEvent,
  type CircuitBreakerMachine,
  canProbe,
  circuitBreakerMachineOf,
  openUntil,
  probeLeaseExpiresAt,
} from '../../machines/circuitBreaker.machine.js';
import { type CircuitOpenError, circuitOpenError, isCircuitOpenError } from '../errors/CircuitOpenError.js';
import type { EventBus } from '../events/EventBus.js';
import type { BreakerStateName } from '../events/RuntimeEvent.js';
import { rx } from '../events/rxjsOnUse.js';
import { parseBreakerSnapshot } from '../resilience/breakerSnapshot.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { type BreakerPermit, Permit, type SettlePermit } from './BreakerPermit.js';
import { type CircuitBreakerOptions, type ExecuteOptions, validate } from './breakerOptions.js';
import { breakerVerdict } from './breakerVerdict.js';
import { RejectionText } from './rejectionText.js';

export type { BreakerPermit } from './BreakerPermit.js';
export type { CircuitBreakerOptions, ExecuteOptions } from './breakerOptions.js';
export {
  type BreakerVerdict,
  breakerVerdict,
  isBreakerFailure,
  type VerdictOptions,
} from './breakerVerdict.js';

type BreakerSnapshot = SnapshotFrom<CircuitBreakerMachine>;

/** See {@link CircuitBreaker.onState}: told the state now, each change, and when the breaker stops. */
export interface BreakerStateObserver {
  next(state: BreakerStateName): void;
  complete?(): void;
}

/** The closed path's settle handlers of {@link CircuitBreaker.execute}. */
interface ClosedHandlers {
  succeeded(result: unknown): unknown;
  failed(error: unknown): never;
}

/** See {@link CircuitBreaker.setProbeGate}: may this process probe now (epoch ms of the breaker's clock)? */
export type ProbeGate = (now: number) => boolean;

/**
 * A circuit breaker: one long-lived XState actor (machines/circuitBreaker.machine.ts) plus the
 * clock, events and errors. While closed, {@link acquire} is one field read and one small permit,
 * and {@link execute} takes no permit at all: no send, no snapshot read, the same with or without an
 * actor (or a fleet). Every breaker runs the one shared machine; what differs (settings) is its input.
 *
 * @example
 * const breaker = new CircuitBreaker({ id: 'github', strategy: { kind: 'consecutive', threshold: 3 } });
 * const issues = await breaker.execute(() => client.callTool({ name: 'list_issues', arguments: {} }));
 */
export class CircuitBreaker {
  readonly id: string;
  /**
   * The actor, or undefined while a root breaker has seen nothing but closed-path successes: it is
   * created on first need ({@link actor}, a failure, a state change), so an idle breaker costs no
   * actor system. Until then it is exactly the machine's initial snapshot: closed, nothing counted.
   */
  #actor: ActorRefFrom<CircuitBreakerMachine> | undefined;
  readonly #config: CircuitBreakerConfig;
  readonly #inspect: CircuitBreakerOptions['inspect'];
  /**
   * The closed path's two questions, answered from the last snapshot (kept by {@link #track} from
   * every snapshot, or the initial state while there is no actor): whether the circuit is closed
   * (acquire() admits without reading the actor), and whether a success would change nothing (a
   * consecutive count at 0: success() sends nothing). One field read each, with or without an actor,
   * so a breaker whose actor exists (a fleet attached, a past failure) pays what an idle one pays.
   */
  #closed = true;
  #quietSuccess: boolean;
  // What a breaker that never rejects, is never watched and never read may never need is made on
  // first use: most breakers guard healthy servers (heap per idle connection, bench/scale.ts).
  #initialStrategyState: BreakerStrategyState | undefined;
  #rejectionText: RejectionText | undefined;
  /** See {@link watch}: called after every snapshot of the actor. */
  #watchers: (() => void)[] | undefined;
  readonly #ownsActor: boolean;
  readonly #clock: Clock;
  readonly #server: string | undefined;
  readonly #bus: EventBus | undefined;
  /** The state {@link state$} starts from: the last snapshot's (kept without rxjs until someone reads state$). */
  #stateName: BreakerStateName = 'closed';
  /** Created by the first read of {@link state$}. */
  #states: BehaviorSubject<BreakerStateName> | undefined;
  #state$: Observable<BreakerStateName> | undefined;
  #stateObservers: readonly BreakerStateObserver[] | undefined;
  #stopped = false;
  #probeGate: ProbeGate | undefined;
  /** What this breaker's permits report to (one function per breaker, shared by its permits; made by the first). */
  #settleFn: SettlePermit | undefined;
  /** Closed-path handlers of {@link execute}, made by its first call. */
  #handlers: ClosedHandlers | undefined;

  constructor(options: CircuitBreakerOptions) {
    const config = validate(options);
    this.id = options.id;
    this.#clock = options.clock ?? systemClock;
    this.#server = options.server;
    this.#bus = options.bus;
    this.#config = config;
    this.#inspect = options.inspect;
    this.#quietSuccess = !successChangesState(config.strategy, initialStrategyState(config.strategy));
    this.#ownsActor = !options.spawn;
    const clock = this.#clock;
    if (options.spawn) {
      // A child is in its owner's system under `breaker:<id>` from the start (the owner may look it up).
      this.#attach(options.spawn(circuitBreakerMachineOf(), { id: `breaker:${this.id}`, input: config }));
    } else if (options.snapshot !== undefined || options.inspect) {
      // A restored state, or an inspector that expects to see the actor from the start: create it now.
      this.#createRoot(
        options.snapshot === undefined
          ? undefined
          : parseBreakerSnapshot(options.snapshot, config, {
              breaker: this.id,
              now: clock.now(),
              server: options.server,
            }),
      );
    }
    // A restored snapshot has no timer: re-arm it for the time left, or probe if it has passed.
    if (this.#stateName === 'open') this.#send({ type: 'RESUME', at: clock.now() });
  }

  /**
   * The running actor, for inspection. Drive the breaker through the methods, not by sending to it.
   * A root breaker's actor is created on first access (or first need); a stopped breaker's is stopped.
   */
  get actor(): ActorRefFrom<CircuitBreakerMachine> {
    if (this.#actor) return this.#actor;
    const actor = this.#createRoot(undefined);
    if (this.#stopped && actor instanceof Actor) actor.stop();
    return actor;
  }

  /** The root actor (shared machine, this breaker's clock and inspector), started. */
  #createRoot(
    snapshot: ReturnType<typeof parseBreakerSnapshot> | undefined,
  ): ActorRefFrom<CircuitBreakerMachine> {
    // The shared machine: its reset delay reads the `at` this class stamps on each event from
    // `clock`, so no per-instance provide() (which copied the whole machine: ~14 KiB each).
    const actor = createActor(circuitBreakerMachineOf(), {
      clock: this.#clock,
      input: this.#config,
      ...(snapshot !== undefined ? { snapshot } : {}),
      ...(this.#inspect ? { inspect: this.#inspect } : {}),
    });
    this.#attach(actor);
    return actor;
  }

  #attach(actor: ActorRefFrom<CircuitBreakerMachine>): void {
    this.#actor = actor;
    const snapshot = actor.getSnapshot();
    this.#track(snapshot);
    if (snapshot.value !== this.#stateName) this.#setState(snapshot.value);
    actor.subscribe({
      next: (snapshot) => this.#onSnapshot(snapshot),
      // An actor error with no observer would crash the process; the breaker keeps its last state.
      error: () => this.stop(),
    });
    if (actor instanceof Actor) actor.start();
  }

  /** `closed`, `open`, `halfOpen` or `isolated`. */
  get state(): BreakerStateName {
    return this.#actor ? this.#actor.getSnapshot().value : 'closed';
  }

  /** Epoch ms when the next probe is allowed: set while open, or half-open with every probe slot taken. */
  get retryAt(): number | undefined {
    if (!this.#actor) return undefined;
    const { value, context } = this.#actor.getSnapshot();
    if (value === 'open') return openUntil(context);
    if (value === 'halfOpen' && !canProbe(context, this.#clock.now())) return probeLeaseExpiresAt(context);
    return undefined;
  }

  /** Epoch ms the circuit last opened (set while open or half-open), for sharing the state. */
  get openedAt(): number | undefined {
    return this.#actor?.getSnapshot().context.openedAt;
  }

  /** What the strategy has counted so far (JSON, as persisted); the initial state while nothing was counted. */
  get strategyState(): BreakerStrategyState {
    if (this.#actor) return this.#actor.getSnapshot().context.strategyState;
    this.#initialStrategyState ??= initialStrategyState(this.#config.strategy);
    return this.#initialStrategyState;
  }

  /** Ms an open circuit rejects calls before a probe; also a probe's lease. */
  get resetTimeoutMs(): number {
    return this.#config.resetTimeoutMs;
  }

  /**
   * Calls `listener` after every change the breaker records (an outcome counted, a probe admitted or
   * reported, a transition), once `state$` has its new value. Reading the breaker from it creates no
   * actor, and the closed path's healthy calls record nothing, so they call nothing. Returns the
   * function that stops the calls. For sharing the state (src/fleet/), not for metrics: those come
   * from the bus.
   */
  watch(listener: () => void): () => void {
    this.#watchers = this.#watchers ? [...this.#watchers, listener] : [listener];
    return () => {
      this.#watchers = this.#watchers?.filter((w) => w !== listener);
    };
  }

  /**
   * Opens the circuit as of `openedAt`, a verdict reached elsewhere (another replica of a fleet):
   * the next probe is allowed at `openedAt + resetTimeoutMs`. Emits the transition like any other.
   * Does nothing while isolated, or when already open since that same instant.
   */
  applyOpen(openedAt: number): void {
    const snapshot = this.#actor?.getSnapshot();
    if (
      snapshot?.value === 'isolated' ||
      (snapshot?.value === 'open' && snapshot.context.openedAt === openedAt)
    )
      return;
    this.#send({ type: 'TRIP', at: this.#clock.now(), openedAt });
  }

  /** Closes the circuit on a verdict reached elsewhere (a fleet's probe succeeded). Does nothing while isolated or closed. */
  applyClose(): void {
    const value = this.state;
    if (value !== 'isolated' && value !== 'closed') this.#send({ type: 'RESET' });
  }

  /**
   * Sets (or with `undefined` removes) a gate asked before a probe is admitted: the breaker would
   * admit one (open past its reset time, or half-open with a slot free) and `gate(now)` says whether
   * this process may probe, for example because it holds a fleet-wide probe lease. It must answer at
   * once from local state: the hot path never waits. A refused attempt gets a CircuitOpenError whose
   * `retryAt` is `now + resetTimeoutMs` (the latest a lease held elsewhere runs out).
   */
  setProbeGate(gate: ProbeGate | undefined): void {
    this.#probeGate = gate;
  }

  /**
   * Asks to make one call. Returns a {@link BreakerPermit} when admitted (half-open: a probe slot is
   * now reserved until the permit reports), or the {@link CircuitOpenError} to fail with.
   *
   * @example
   * const permit = breaker.acquire();
   * if (isCircuitOpenError(permit)) throw permit;
   * try {
   *   const result = await send();
   *   permit.success();
   *   return result;
   * } catch (e) {
   *   permit.failure(e); // judged: a failure, a success (the server answered) or nothing (cancelled)
   *   throw e;
   * }
   */
  acquire(): BreakerPermit | CircuitOpenError {
    if (this.#closed) return new Permit(this.#settle, false);
    // Not closed: the actor exists (only a snapshot of it moves the breaker out of closed).
    return this.#admitSlow(this.actor.getSnapshot()) ?? new Permit(this.#settle, true);
  }

  /**
   * Runs `fn` if admitted and records its outcome. Throws the {@link CircuitOpenError} when rejected.
   *
   * @example
   * const result = await breaker.execute(() => fetchJson(url), { isFailure: (e) => !(e instanceof HttpError && e.status < 500) });
   */
  execute<T>(fn: () => Promise<T>, options?: ExecuteOptions): Promise<T> {
    if (!this.#closed) {
      const permit = this.acquire();
      if (isCircuitOpenError(permit)) return Promise.reject(permit);
      return this.#run(fn, permit, options);
    }
    // Closed: what a permit would do, without one (a closed-era call reports as `probe: false`), and
    // with handlers bound once per breaker: no permit, closure or options object per call.
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (error) {
      this.#settle(breakerVerdict(error, options), false);
      return Promise.reject(error);
    }
    const handlers = this.#closedHandlers();
    const failed = options?.isFailure ? this.#failedWith(options) : handlers.failed;
    return Promise.resolve(pending).then(handlers.succeeded as (result: T) => T, failed);
  }

  /** The settle function of this breaker's permits. */
  get #settle(): SettlePermit {
    this.#settleFn ??= (verdict, probe) => {
      if (verdict === 'failure') this.#failure(probe);
      else if (verdict === 'success') this.#success(probe);
      else this.#release(probe);
    };
    return this.#settleFn;
  }

  /** Closed-path handlers of {@link execute}, bound once per breaker. */
  #closedHandlers(): ClosedHandlers {
    this.#handlers ??= {
      succeeded: (result) => {
        this.#success(false);
        return result;
      },
      failed: (error) => {
        this.#settle(breakerVerdict(error), false);
        throw error;
      },
    };
    return this.#handlers;
  }

  #failedWith(options: ExecuteOptions): (error: unknown) => never {
    return (error) => {
      this.#settle(breakerVerdict(error, options), false);
      throw error;
    };
  }

  async #run<T>(
    fn: () => Promise<T>,
    permit: BreakerPermit,
    options: ExecuteOptions | undefined,
  ): Promise<T> {
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      permit.failure(error, options);
      throw error;
    }
    permit.success();
    return result;
  }

  /** Holds the circuit open by hand (maintenance, a known outage) until {@link reset}. */
  isolate(): void {
    if (this.state !== 'isolated') this.#send({ type: 'ISOLATE' });
  }

  /** Closes the circuit and forgets every count, whatever the state. */
  reset(): void {
    // No actor yet: the breaker is in its initial state, which RESET leaves as it is.
    if (this.#actor) this.#send({ type: 'RESET' });
  }

  /** A JSON-safe snapshot to pass as `snapshot` to a new breaker (e.g. after a restart). */
  getPersistedSnapshot(): Snapshot<unknown> {
    return this.actor.getPersistedSnapshot();
  }

  /** Stops the actor, completes `state$` and {@link onState}'s observers. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#ownsActor && this.#actor instanceof Actor) this.#actor.stop();
    const observers = this.#stateObservers;
    this.#stateObservers = undefined;
    for (const observer of observers ?? []) observer.complete?.();
    this.#states?.complete();
  }

  /**
   * What subscribing to {@link state$} does, without rxjs: `observer.next` gets the current state now
   * and every change, `observer.complete` runs when the breaker stops (at once if it has). Returns the
   * function that stops the calls. For code that must not load rxjs (a connection's own wiring).
   */
  onState(observer: BreakerStateObserver): () => void {
    if (this.#stopped) {
      observer.next(this.#stateName);
      observer.complete?.();
      return () => {};
    }
    this.#stateObservers = this.#stateObservers ? [...this.#stateObservers, observer] : [observer];
    observer.next(this.#stateName);
    return () => {
      this.#stateObservers = this.#stateObservers?.filter((o) => o !== observer);
    };
  }

  /** Current state, then every change; completes when the breaker stops. Loads rxjs on first read. */
  get state$(): Observable<BreakerStateName> {
    if (this.#state$ === undefined) {
      const states = new rx.BehaviorSubject<BreakerStateName>(this.#stateName);
      if (this.#stopped) states.complete();
      this.#states = states;
      this.#state$ = states.asObservable();
    }
    return this.#state$;
  }

  #admitSlow(snapshot: BreakerSnapshot): CircuitOpenError | undefined {
    const now = this.#clock.now();
    const { value, context } = snapshot;
    if (value === 'closed') return undefined;
    if (value === 'isolated') return this.#rejection('isolated', undefined, now);
    const allowed = value === 'open' ? now >= openUntil(context) : canProbe(context, now);
    if (!allowed) {
      const retryAt = value === 'open' ? openUntil(context) : probeLeaseExpiresAt(context);
      return this.#rejection(value, retryAt, now);
    }
    if (this.#probeGate && !this.#probeGate(now)) {
      return this.#rejection(value, now + context.resetTimeoutMs, now);
    }
    this.#send({ type: 'PROBE', at: now });
    return undefined;
  }

  #success(probe: boolean | undefined): void {
    if (this.#quietSuccess) return; // closed, and a success would change nothing
    // Closed here means a success changes the strategy's state (a count to reset, a window to fill).
    if (this.#closed || isProbe(this.state, probe)) {
      const at = this.#clock.now();
      this.#send(probe === undefined ? { type: 'SUCCESS', at } : { type: 'SUCCESS', at, probe });
    }
  }

  #failure(probe: boolean | undefined): void {
    const value = this.state;
    if (value === 'closed' || isProbe(value, probe)) {
      const at = this.#clock.now();
      this.#send(probe === undefined ? { type: 'FAILURE', at } : { type: 'FAILURE', at, probe });
    }
  }

  #release(probe: boolean | undefined): void {
    if (!this.#actor) return; // closed: no probe slot to give back
    const { value, context } = this.#actor.getSnapshot();
    if (isProbe(value, probe) && context.probesInFlight > 0) this.#send({ type: 'RELEASE' });
  }

  #send(event: CircuitBreakerEvent): void {
    if (!this.#stopped) this.actor.send(event);
  }

  #track(snapshot: BreakerSnapshot): void {
    const closed = snapshot.value === 'closed';
    this.#closed = closed;
    this.#quietSuccess =
      closed && !successChangesState(snapshot.context.strategy, snapshot.context.strategyState);
  }

  #onSnapshot(snapshot: BreakerSnapshot): void {
    this.#track(snapshot);
    this.#transition(snapshot);
    // After the transition is out: a watcher reads the state this snapshot set.
    if (this.#watchers) for (const watcher of this.#watchers) watcher();
  }

  #transition(snapshot: BreakerSnapshot): void {
    const to = snapshot.value;
    const from = this.#stateName;
    if (to === from) return;
    if (this.#bus?.observed) {
      this.#bus.emit({
        type: 'breaker.transition',
        at: this.#clock.now(),
        source: `breaker:${this.id}`,
        breaker: this.id,
        from,
        to,
        ...(to === 'open' ? { retryAt: openUntil(snapshot.context) } : {}),
      });
    }
    this.#setState(to);
  }

  /** Observers first (a connection's own wiring), then state$'s subscribers. */
  #setState(to: BreakerStateName): void {
    this.#stateName = to;
    if (this.#stateObservers) for (const observer of this.#stateObservers) observer.next(to);
    this.#states?.next(to);
  }

  #rejection(
    state: 'open' | 'halfOpen' | 'isolated',
    retryAt: number | undefined,
    now: number,
  ): CircuitOpenError {
    this.#rejectionText ??= new RejectionText(this.id);
    const problem = this.#rejectionText.of(state, retryAt, now);
    return circuitOpenError(problem, { breakerState: state, retryAt, server: this.#server });
  }
}

function isProbe(state: BreakerStateName, probe: boolean | undefined): boolean {
  return state === 'halfOpen' && probe !== false;
}
