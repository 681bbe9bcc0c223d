import type { AzcoreError } from '../errors/AzcoreError.js';
import type { EventBus } from '../events/EventBus.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
import type { Attempt } from './Outcome.js';

/**
 * Options of a run: `policy.execute(work, options)` and `run(policy, work, options)`.
 *
 * @example
 * await run(policy, work, { signal: request.signal, deadline: turn, events: bus, source: 'search' });
 */
export interface RunOptions {
  /** The caller's cancellation: aborts the running attempt and every wait. */
  signal?: AbortSignal | undefined;
  /** An enclosing budget (a team turn's): every timeout inside gets at most what is left of it. */
  deadline?: Deadline | undefined;
  /** Time source of budgets, waits and durations (XState's `SimulatedClock` in tests). Default: wall clock. */
  clock?: Clock | undefined;
  /** Where retries report `call.retried` (unless the retry policy names its own bus). */
  events?: EventBus | undefined;
  /** Server the work talks to, named in errors and events. */
  server?: string | undefined;
  /** Name of the work in attempts, reasons and timeout errors. Default `primary`. */
  source?: string | undefined;
}

/**
 * A fallback source answered: what `run` reports as `degraded`.
 *
 * @example ctx.degrade({ source: 'mirror', error }); // inside a FallbackSource or a policy of your own
 */
export interface Degradation {
  source: string;
  /** The failure that made the work give up. */
  error: AzcoreError;
  cachedAt?: number | undefined;
  ageMs?: number | undefined;
}

/** What one run writes down, shared by every context derived from its root. */
interface Journal {
  attempts: Attempt[];
  warnings: AzcoreError[];
  degradation: Degradation | undefined;
}

/**
 * What every policy and the work see during one run: the signal and {@link Deadline} of the current
 * attempt, the attempt number, the clock, and the run's journal (attempts, a fallback's
 * degradation, warnings). Policies derive a narrower context with {@link with}; the journal stays
 * the same.
 *
 * @example
 * await run(wrap(retry(), timeout(5_000)), (ctx) => server.callTool('search', args, { signal: ctx.signal, deadline: ctx.deadline }));
 */
export class PolicyContext {
  /** Budget of the current attempt (Infinity when nothing limits it); aborts `signal` when spent. */
  readonly deadline: Deadline;
  /** Attempt number of the innermost retry (1 = the first call). */
  readonly attempt: number;
  readonly clock: Clock;
  /** Name of what runs: the work's (`primary`) or a fallback source's. */
  readonly source: string;
  readonly server: string | undefined;
  readonly events: EventBus | undefined;
  readonly #journal: Journal;

  private constructor(
    fields: Pick<PolicyContext, 'deadline' | 'attempt' | 'clock' | 'source' | 'server' | 'events'>,
    journal: Journal,
  ) {
    this.deadline = fields.deadline;
    this.attempt = fields.attempt;
    this.clock = fields.clock;
    this.source = fields.source;
    this.server = fields.server;
    this.events = fields.events;
    this.#journal = journal;
  }

  /** The context a run starts with; {@link PolicyContext.end} releases its deadline. */
  static start(options: RunOptions = {}): PolicyContext {
    const clock = options.clock ?? systemClock;
    const source = options.source ?? 'primary';
    const { signal, server } = options;
    const deadline = options.deadline
      ? options.deadline.child(Number.POSITIVE_INFINITY, source, { signal, server })
      : Deadline.after(Number.POSITIVE_INFINITY, { clock, signal, step: source, server });
    return new PolicyContext(
      { deadline, attempt: 1, clock, source, server, events: options.events },
      { attempts: [], warnings: [], degradation: undefined },
    );
  }

  /** Aborts when the caller cancels or the current attempt's budget runs out: hand it to the work. */
  get signal(): AbortSignal {
    return this.deadline.signal;
  }

  /** A narrower context (a child deadline, the next attempt, a source's name) on the same journal. */
  with(changes: Partial<Pick<PolicyContext, 'deadline' | 'attempt' | 'source'>>): PolicyContext {
    return new PolicyContext({ ...this.#fields(), ...changes }, this.#journal);
  }

  /** Writes down one try. */
  record(attempt: Attempt): void {
    this.#journal.attempts.push(attempt);
  }

  /** A fallback source answered instead of the work: the run's outcome is `degraded`. */
  degrade(degradation: Degradation): void {
    this.#journal.degradation = degradation;
  }

  /** A problem that did not cost the answer (a cache write that failed). */
  warn(error: AzcoreError): void {
    this.#journal.warnings.push(error);
  }

  get attempts(): readonly Attempt[] {
    return this.#journal.attempts;
  }

  get degradation(): Degradation | undefined {
    return this.#journal.degradation;
  }

  get warnings(): readonly AzcoreError[] {
    return this.#journal.warnings;
  }

  /** Releases the run's deadline (its timer and the caller's signal listener). */
  end(): void {
    this.deadline.dispose();
  }

  #fields() {
    const { deadline, attempt, clock, source, server, events } = this;
    return { deadline, attempt, clock, source, server, events };
  }
}
