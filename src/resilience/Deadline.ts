import { TimeoutError } from '../errors/TimeoutError.js';
import { type Clock, systemClock } from './Clock.js';

/** Options for {@link Deadline.after}. */
export interface DeadlineOptions {
  clock?: Clock | undefined;
  /** A caller's signal: aborting it aborts the deadline's signal with the same reason. */
  signal?: AbortSignal | undefined;
  /** Step name reported in the TimeoutError. */
  step?: string | undefined;
  server?: string | undefined;
}

/**
 * A time budget that caps every nested wait: `remaining()` never goes below 0, `signal` aborts with a
 * {@link TimeoutError} naming the step when the budget runs out, and `child()` carves a shorter
 * budget (never longer than the parent's) for a nested call.
 *
 * @example
 * const turn = Deadline.after(30_000, { step: 'turn' });
 * const call = turn.child(5_000, 'read_file');   // min(5 s, what is left of the turn)
 * await server.callTool('read_file', args, { deadline: call });
 */
export class Deadline {
  readonly expiresAt: number;
  readonly step: string;
  readonly #clock: Clock;
  readonly #controller = new AbortController();
  readonly #budgetMs: number;
  #timer: unknown;
  #detach: (() => void) | undefined;

  private constructor(budgetMs: number, options: DeadlineOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#budgetMs = Math.max(0, budgetMs);
    this.expiresAt = this.#clock.now() + this.#budgetMs;
    this.step = options.step ?? 'operation';
    const parent = options.signal;
    if (parent?.aborted) {
      this.#controller.abort(parent.reason);
      return;
    }
    if (parent) {
      const onAbort = () => this.#abort(parent.reason);
      parent.addEventListener('abort', onAbort, { once: true });
      this.#detach = () => parent.removeEventListener('abort', onAbort);
    }
    if (Number.isFinite(this.#budgetMs)) {
      this.#timer = this.#clock.setTimeout(
        () =>
          this.#abort(
            new TimeoutError(`Step "${this.step}" ran out of its ${this.#budgetMs} ms budget.`, {
              server: options.server,
              step: this.step,
              timeoutMs: this.#budgetMs,
            }),
          ),
        this.#budgetMs,
      );
    }
  }

  /** A budget of `ms` from now (Infinity for none). */
  static after(ms: number, options: DeadlineOptions = {}): Deadline {
    return new Deadline(ms, options);
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.expiresAt - this.#clock.now());
  }

  get expired(): boolean {
    return this.#controller.signal.aborted || this.remaining() <= 0;
  }

  /** Aborts when the budget runs out (reason: TimeoutError) or the parent signal aborts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** A nested budget: `min(ms, remaining())`, aborted with this one. */
  child(ms: number = Number.POSITIVE_INFINITY, step: string = this.step): Deadline {
    return new Deadline(Math.min(ms, this.remaining()), {
      clock: this.#clock,
      signal: this.signal,
      step,
    });
  }

  /** Throws the abort reason (TimeoutError or the caller's cancellation) when the budget is spent. */
  throwIfExpired(): void {
    if (this.#controller.signal.aborted) throw this.#controller.signal.reason;
    if (this.remaining() <= 0) {
      throw new TimeoutError(`Step "${this.step}" ran out of its ${this.#budgetMs} ms budget.`, {
        step: this.step,
        timeoutMs: this.#budgetMs,
      });
    }
  }

  /** Releases the timer and the parent listener; call when the work finished early. */
  dispose(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#detach?.();
    this.#detach = undefined;
  }

  #abort(reason: unknown): void {
    this.dispose();
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }
}
