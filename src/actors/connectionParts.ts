import type { ActorRefFrom } from 'xstate';
import type { ConnectionMachine } from '../../machines/connection.machine.js';
import type { ConnectionAuth } from '../auth/ConnectionAuth.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../config/defaults.js';
import type { ServerConfig } from '../config/serverConfig.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { errorFromSummary } from '../errors/errorFromSummary.js';
import type { EventBus } from '../events/EventBus.js';
import type { ConnectionStateName, ErrorSummary, RuntimeEvent } from '../events/RuntimeEvent.js';
import { LogFloodGuard } from '../observe/LogFloodGuard.js';
import type { Logger } from '../observe/logger.js';
import type { Clock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
import { validate } from './breakerOptions.js';
import { CircuitBreaker } from './CircuitBreaker.js';
import { BreakerLink } from './connectionObservers.js';
import type { McpSession } from './McpSession.js';
import type { CallOptions, LaterOptions } from './serverConnectionOptions.js';

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * What the pieces of one ServerConnection share: its name, clock, bus and logger, the session and
 * the connection actor, the state last reported, and the typed error behind the machine's
 * `lastError`. The call path, the tool list and the wiring each hold this one object, so no
 * closure is made per piece (heap per idle connection, bench/scale.ts).
 */
export class ConnectionParts {
  readonly name: string;
  #source: string | undefined;
  readonly config: ServerConfig;
  /** The options read after construction (see laterOptions). */
  readonly options: LaterOptions;
  readonly clock: Clock;
  readonly bus: EventBus;
  /** The breaker once made (see {@link breaker}). */
  #breaker: CircuitBreaker | undefined;
  /** The connection closed: a breaker made from now on is made stopped. */
  #breakerStopped = false;
  readonly #logger: Logger;
  #log: Logger | undefined;
  #floods: LogFloodGuard | undefined;
  session!: McpSession;
  actor!: ActorRefFrom<ConnectionMachine>;
  /** The top-level state last reported (`connection.state`). */
  state: ConnectionStateName = 'idle';
  /** close() was called: a call started before it is cancelled by it. */
  closing = false;
  /**
   * The typed error (with its cause) behind the last failure reported to the machine, so
   * `lastError` can return it instead of a copy rebuilt from the machine's summary. Which failure
   * is the last error, and when it is cleared, is the machine's business.
   */
  lastFailure: AzcoreError | undefined;
  /** OAuth of this server (config `oauth`) once loaded, else undefined. */
  auth: ConnectionAuth | undefined;

  constructor(config: ServerConfig, options: LaterOptions, clock: Clock, bus: EventBus, logger: Logger) {
    this.name = config.name;
    this.config = config;
    this.options = options;
    this.clock = clock;
    this.bus = bus;
    this.#logger = logger;
    // An inspector, an owner's system or a restored state must see the breaker from the start.
    const own = options.breaker;
    if (options.spawn || options.inspect || own?.spawn || own?.inspect || own?.snapshot !== undefined) {
      this.#breaker = this.#makeBreaker();
    } else if (own) {
      // Made on first use; a bad setting is still refused now, as when the breaker was made here.
      // Without settings there is nothing to refuse: the defaults and a valid server name pass.
      validate({ ...own, id: this.name });
    }
  }

  /** The `source` of this server's events: `server:<name>`. */
  get source(): string {
    this.#source ??= `server:${this.name}`;
    return this.#source;
  }

  /**
   * The connection's circuit breaker. Made on first use (the first call, a read of
   * `ServerConnection.breaker`): an idle connection's breaker would be closed with nothing counted,
   * which is what a breaker not yet made stands for (heap per idle connection, bench/scale.ts).
   */
  get breaker(): CircuitBreaker {
    if (!this.#breaker) {
      this.#breaker = this.#makeBreaker();
      this.#link(this.#breaker);
    }
    return this.#breaker;
  }

  /** The connection actor runs: a breaker made with the connection tells the machine its state now. */
  linkBreaker(): void {
    if (this.#breaker) this.#link(this.#breaker);
  }

  /** The breaker if it was made, else undefined (a breaker not made yet is closed). */
  get madeBreaker(): CircuitBreaker | undefined {
    return this.#breaker;
  }

  #makeBreaker(): CircuitBreaker {
    const options = this.options;
    return new CircuitBreaker({
      ...options.breaker,
      id: this.name,
      server: this.name,
      clock: this.clock,
      bus: this.bus,
      ...(options.inspect ? { inspect: options.inspect } : {}),
      ...(options.spawn ? { spawn: options.spawn } : {}),
    });
  }

  #link(breaker: CircuitBreaker): void {
    if (this.#breakerStopped) breaker.stop();
    else breaker.onState(new BreakerLink(this));
  }

  /** Stops the breaker with the connection (close()); the flood guard reports what is pending and drops its timers. */
  stopBreaker(): void {
    this.#breakerStopped = true;
    if (this.#breaker) this.#breaker.stop();
    else this.disposeFloods();
  }

  /** Whether the logger writes `level` (asked before a line is built: the child logger is made on first use). */
  logs(level: 'info' | 'debug' | 'warn'): boolean {
    return this.#logger.isLevelEnabled(level);
  }

  get log(): Logger {
    this.#log ??= this.#logger.child({ server: this.name });
    return this.#log;
  }

  /** The machine's `context.lastError`, as the typed error with its cause when this side still holds it. */
  get lastError(): AzcoreError | undefined {
    const recorded = this.actor.getSnapshot().context.lastError;
    if (!recorded) return undefined;
    const own = this.lastFailure;
    return own && own.code === recorded.code && own.message === recorded.message
      ? own
      : errorFromSummary(recorded as ErrorSummary, this.name);
  }

  /** A call is waiting: the machine wakes an idle or failed connection (CALL), else ignores it. */
  wake(): void {
    this.actor.send({ type: 'CALL', at: this.clock.now() });
  }

  /** Connected (ready or degraded): a call is sent on the current client. */
  isUsable(): boolean {
    return this.state === 'ready' || this.state === 'degraded';
  }

  emit(event: DistributiveOmit<RuntimeEvent, 'at' | 'source'>): void {
    if (!this.bus.observed) return;
    // Spread last: V8 takes a slow path for `{ ...event, extra }` (measured in bench/, overhead).
    this.bus.emit({ at: this.clock.now(), source: this.source, ...event } as RuntimeEvent);
  }

  /**
   * What a server can make us write (its log messages, stderr, transport errors such as progress
   * for unknown tokens) is rate-limited per channel, with one "suppressed K" line per window.
   */
  floodAdmits(channel: string): boolean {
    this.#floods ??= new LogFloodGuard({
      clock: this.clock,
      limits: { stderr: 100 },
      onSuppressed: (channel, suppressed, windowMs) => {
        const note = `${suppressed} ${channel} lines suppressed in ${windowMs} ms (flood control)`;
        this.log.warn({ channel, suppressed, windowMs }, note);
        if (channel === 'stderr')
          this.emit({ type: 'server.stderr', server: this.name, line: `[azcore] ${note}` });
      },
    });
    return this.#floods.admit(channel);
  }

  /** Reports what is pending and drops the flood guard's timers (the connection stopped). */
  disposeFloods(): void {
    this.#floods?.dispose();
  }

  /**
   * The budget of one request: its timeout (or the server's), capped by the caller's deadline;
   * counted from `startedAt` (clock time) when the request began before its Deadline was needed.
   */
  deadlineFor(step: string, options: CallOptions, startedAt?: number): Deadline {
    const timeout = options.timeout ?? this.config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const parent = options.deadline;
    // A team turn hands its deadline's own signal as the caller's: combining a signal with itself
    // would only add an AbortSignal.any (and its listeners) per call.
    const signal =
      parent && options.signal && options.signal !== parent.signal
        ? AbortSignal.any([parent.signal, options.signal])
        : (options.signal ?? parent?.signal);
    const budget = parent ? Math.min(timeout, parent.remaining()) : timeout;
    const renewable = options.resetTimeoutOnProgress === true;
    const total = options.maxTotalTimeout ?? timeout * 10;
    return Deadline.after(budget, {
      clock: this.clock,
      signal,
      step,
      server: this.name,
      maxTotalMs: renewable ? (parent ? Math.min(total, parent.remaining()) : total) : undefined,
      startedAt,
    });
  }
}
