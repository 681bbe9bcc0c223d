import type { Observable } from 'rxjs';
import {
  breakerConfigProblems,
  breakerDefaults,
  type CircuitBreakerConfig,
} from '../../machines/circuitBreaker.machine.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { EventBus, ofType } from '../events/EventBus.js';
import type { BreakerStateName, BreakerTransitioned } from '../events/RuntimeEvent.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { CircuitBreaker, type CircuitBreakerOptions, type ExecuteOptions } from './CircuitBreaker.js';

/** The tuning of one breaker: what {@link CircuitBreakerOptions} allows besides identity, clock and bus. */
export type BreakerSettings = Pick<
  CircuitBreakerOptions,
  'strategy' | 'successThreshold' | 'resetTimeoutMs' | 'halfOpenMaxProbes'
>;

/** Options of {@link BreakerRegistry}. */
export interface BreakerRegistryOptions {
  /** Settings every breaker starts from; unset ones take the {@link CircuitBreaker} defaults. */
  defaults?: BreakerSettings | undefined;
  /** Per-service settings, laid over `defaults` (e.g. a flaky search API that opens sooner). */
  services?: Readonly<Record<string, BreakerSettings>> | undefined;
  /** Time source of every breaker (XState's `SimulatedClock` fits). Default: wall clock. */
  clock?: Clock | undefined;
  /** Default of {@link ExecuteOptions.isFailure} for {@link BreakerRegistry.call}. */
  isFailure?: ((error: unknown) => boolean) | undefined;
}

/** One breaker as {@link BreakerRegistry.getStatus} reports it (JSON-safe). */
export interface BreakerStatus {
  state: BreakerStateName;
  /** Epoch ms of the next admitted probe, while open (or half-open with every probe slot taken). */
  retryAt?: number;
}

/**
 * One circuit breaker per service, created on first use: the guide's `MultiServiceCircuitBreaker`
 * on top of {@link CircuitBreaker} (one long-lived XState actor each). Works around any async
 * function, not only MCP calls. Errors thrown by your function pass through unchanged; a rejected
 * call throws a `CircuitOpenError` naming the service and when the next probe is allowed.
 *
 * @example
 * const breakers = new BreakerRegistry({
 *   defaults: { strategy: { kind: 'consecutive', threshold: 5 }, resetTimeoutMs: 60_000 },
 *   services: { search_api: { strategy: { kind: 'consecutive', threshold: 2 } } },
 * });
 * breakers.events$.subscribe((e) => console.log(`${e.breaker}: ${e.from} -> ${e.to}`));
 * const issues = await breakers.call('github_api', () => github.listIssues());
 * console.log(breakers.getStatus()); // { github_api: { state: 'closed' } }
 */
export class BreakerRegistry {
  /** Every `breaker.transition` of every breaker in the registry, as it happens. */
  readonly events$: Observable<BreakerTransitioned>;
  readonly #bus = new EventBus();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #defaults: BreakerSettings;
  readonly #services: ReadonlyMap<string, BreakerSettings>;
  readonly #clock: Clock;
  /** `{ isFailure }` of the registry's options, passed to execute() when a call brings none. */
  readonly #defaultOptions: ExecuteOptions | undefined;
  #stopped = false;

  constructor(options: BreakerRegistryOptions = {}) {
    this.#defaults = definedOnly(options.defaults ?? {});
    this.#services = new Map(
      Object.entries(options.services ?? {}).map(([id, s]) => [id, definedOnly(s)] as const),
    );
    this.#clock = options.clock ?? systemClock;
    this.#defaultOptions = options.isFailure ? { isFailure: options.isFailure } : undefined;
    this.events$ = this.#bus.events$.pipe(ofType('breaker.transition'));
    // Settings are code: report a bad one now, not when its service first fails in production.
    checkSettings('defaults', this.#defaults);
    for (const [id, settings] of this.#services) {
      checkId(id);
      checkSettings(`services['${id}']`, { ...this.#defaults, ...settings });
    }
  }

  /**
   * The breaker of `serviceId`, created (closed) on first use with the shared defaults and the
   * service's own settings. The same instance is returned until {@link delete} or {@link stop}.
   */
  get(serviceId: string): CircuitBreaker {
    const existing = this.#breakers.get(serviceId);
    if (existing) return existing;
    this.#assertRunning();
    checkId(serviceId);
    const breaker = new CircuitBreaker({
      id: serviceId,
      ...this.#defaults,
      ...this.#services.get(serviceId),
      clock: this.#clock,
      bus: this.#bus,
    });
    this.#breakers.set(serviceId, breaker);
    return breaker;
  }

  /**
   * Runs `fn` through the breaker of `serviceId`. Throws `CircuitOpenError` without calling `fn`
   * while that breaker rejects calls; otherwise returns or rethrows what `fn` does.
   *
   * @example
   * const hits = await breakers.call('search_api', () => search('mcp'), { isFailure: (e) => !(e instanceof NotFound) });
   */
  call<T>(serviceId: string, fn: () => Promise<T>, options?: ExecuteOptions): Promise<T> {
    const isFailure = options?.isFailure;
    // No options object per call: the caller's, the registry's default (built once), or none.
    return this.get(serviceId).execute(fn, isFailure ? options : this.#defaultOptions);
  }

  /** True when a breaker for `serviceId` exists. */
  has(serviceId: string): boolean {
    return this.#breakers.has(serviceId);
  }

  /** State and `retryAt` of every breaker created so far, by service id. `JSON.stringify` it freely. */
  getStatus(): Record<string, BreakerStatus> {
    const status: Record<string, BreakerStatus> = {};
    for (const [id, breaker] of this.#breakers) {
      const retryAt = breaker.retryAt;
      const entry: BreakerStatus =
        retryAt === undefined ? { state: breaker.state } : { state: breaker.state, retryAt };
      Object.defineProperty(status, id, {
        value: entry,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return status;
  }

  /** Holds the circuit of `serviceId` open by hand (maintenance, a known outage) until {@link reset}. */
  isolate(serviceId: string): void {
    this.get(serviceId).isolate();
  }

  /** Closes the circuit of `serviceId` and forgets its counts, whatever its state. */
  reset(serviceId: string): void {
    this.get(serviceId).reset();
  }

  /** Stops and forgets the breaker of `serviceId` (ids that come and go would otherwise pile up). */
  delete(serviceId: string): boolean {
    const breaker = this.#breakers.get(serviceId);
    if (!breaker) return false;
    breaker.stop();
    return this.#breakers.delete(serviceId);
  }

  /** Stops every breaker and completes {@link events$}. Idempotent; the registry cannot be used after. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const breaker of this.#breakers.values()) breaker.stop();
    this.#breakers.clear();
    this.#bus.complete();
  }

  #assertRunning(): void {
    if (this.#stopped) {
      throw new ConfigurationError('This BreakerRegistry was stopped: it has no breakers any more.', {
        code: 'STOPPED',
        hint: 'Create a new BreakerRegistry, or call stop() only at shutdown.',
      });
    }
  }
}

function definedOnly(settings: BreakerSettings): BreakerSettings {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as BreakerSettings;
}

function checkId(id: unknown): void {
  if (typeof id !== 'string' || id.length === 0) {
    throw new ConfigurationError(
      `Invalid service id ${JSON.stringify(id) ?? String(id)} for a circuit breaker.`,
      {
        hint: 'Name each service with a non-empty string, e.g. "github_api".',
      },
    );
  }
}

function checkSettings(where: string, settings: BreakerSettings): void {
  const config: CircuitBreakerConfig = { ...breakerDefaults, ...settings };
  const [first] = breakerConfigProblems(config);
  if (first) {
    throw new ConfigurationError(
      `Invalid BreakerRegistry option '${where}.${first.option}': ${first.problem}.`,
      { hint: 'Fix the setting; see docs/circuit-breaker.md for the ranges.' },
    );
  }
}
