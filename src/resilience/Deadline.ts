import { ConfigurationError } from '../errors/ConfigurationError.js';
import { classifyError } from '../errors/classifyError.js';
import { isTimeoutError, TimeoutError } from '../errors/TimeoutError.js';
import { type Clock, systemClock } from './Clock.js';
import { MAX_TIMER_MS } from './durations.js';
import { untilAborted } from './untilAborted.js';

const BUDGET_HINT = 'Raise the budget (or the timeout) of this step, or make the work faster.';

/** Options for {@link Deadline.step}. */
export interface DeadlineStepOptions {
  /** The step's own cap; it never gets more than what is left of the parent. Default: all of it. */
  budgetMs?: number | undefined;
}

/** Options for {@link Deadline.after}. */
export interface DeadlineOptions {
  clock?: Clock | undefined;
  /** A caller's signal: aborting it aborts the deadline's signal with the same reason. */
  signal?: AbortSignal | undefined;
  /** Step name reported in the TimeoutError. */
  step?: string | undefined;
  server?: string | undefined;
  /**
   * Lets {@link Deadline.renew} restart the budget (a call that reports progress), never past this
   * many ms from the start. Default: no renewal beyond the first budget.
   */
  maxTotalMs?: number | undefined;
  /**
   * Clock time the budget started at, when the work began before its Deadline was needed (a call
   * that builds one only if it fails). Default: now.
   */
  startedAt?: number | undefined;
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
 * // or, with the budget released and a TimeoutError naming the step:
 * const data = await turn.step('collect', (d) => collect(d.signal), { budgetMs: 30_000 });
 */
export class Deadline {
  #expiresAt: number;
  readonly #startedAt: number;
  readonly #latest: number;
  /** The step this budget belongs to, as named in its TimeoutError. */
  readonly name: string;
  readonly #clock: Clock;
  /**
   * Created on first use of {@link signal} (or at once under a caller's signal): a call nobody
   * cancels and that ends in time needs no AbortController and no timer (measured in bench/).
   */
  #controller: AbortController | undefined;
  readonly #budgetMs: number;
  readonly #server: string | undefined;
  #timer: unknown;
  #detach: (() => void) | undefined;
  /** Clock time of {@link dispose}: a signal made later aborts only if the budget ran out before. */
  #disposedAt: number | undefined;
  /** The last renewal reached `maxTotalMs`: running out now is the total budget's doing. */
  #total = false;
  /**
   * A child whose budget is all its parent has left: running out is the parent's doing, so it arms
   * no timer of its own (two timers due at the same instant would race to name the step) and takes
   * the parent's TimeoutError.
   */
  #boundBy: Deadline | undefined;

  private constructor(budgetMs: number, options: DeadlineOptions, boundBy?: Deadline) {
    checkBudget(budgetMs, options.step ?? 'operation', options.maxTotalMs);
    this.#clock = options.clock ?? systemClock;
    this.#server = options.server;
    this.#budgetMs = Math.max(0, budgetMs);
    const now = options.startedAt ?? this.#clock.now();
    this.#startedAt = now;
    this.#expiresAt = now + this.#budgetMs;
    this.#latest = Math.max(this.#expiresAt, now + Math.max(0, options.maxTotalMs ?? 0));
    this.name = options.step ?? 'operation';
    this.#boundBy = boundBy;
    const parent = options.signal;
    if (!parent) return;
    // A caller's signal can abort at any time: listen from the start, as the signal's users expect.
    this.#controller = new AbortController();
    if (parent.aborted) {
      this.#controller.abort(parent.reason);
      return;
    }
    const onAbort = () => this.#abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    this.#detach = () => parent.removeEventListener('abort', onAbort);
    // Started earlier (`startedAt`): only what is left of the budget.
    this.#arm(options.startedAt === undefined ? this.#budgetMs : this.#expiresAt - this.#clock.now());
  }

  /** A budget of `ms` from now (Infinity for none). */
  static after(ms: number, options: DeadlineOptions = {}): Deadline {
    return new Deadline(ms, options);
  }

  /** Clock time (epoch ms) at which the budget runs out. */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /**
   * Progress was seen: the budget starts again from now, capped by `maxTotalMs` from the start
   * (on the same clock). No effect once expired or without `maxTotalMs`.
   */
  renew(): void {
    if (this.#disposedAt !== undefined || !Number.isFinite(this.#budgetMs)) return;
    if (this.#controller ? this.#controller.signal.aborted : this.remaining() <= 0) return;
    const next = Math.min(this.#clock.now() + this.#budgetMs, this.#latest);
    if (next <= this.#expiresAt) return;
    this.#expiresAt = next;
    this.#total = next === this.#latest;
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#arm(next - this.#clock.now());
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return Math.max(0, this.expiresAt - this.#clock.now());
  }

  get expired(): boolean {
    return this.#controller?.signal.aborted === true || this.remaining() <= 0;
  }

  /** Aborts when the budget runs out (reason: TimeoutError) or the parent signal aborts. */
  get signal(): AbortSignal {
    return (this.#controller ?? this.#lazySignal()).signal;
  }

  /**
   * Ends the budget now, as if its timer had fired: another timer set to the same budget (the
   * SDK's request timeout) saw it run out first. `signal` aborts with the step's TimeoutError.
   */
  expire(): void {
    this.#expiresAt = Math.min(this.#expiresAt, this.#clock.now());
    const controller = this.#controller ?? this.#lazySignal();
    if (!controller.signal.aborted) this.#abort(this.#timeoutError(undefined, this.#total));
  }

  /**
   * A nested budget: `min(ms, remaining())`, aborted with this one. `extra.signal` (a caller's
   * cancellation) aborts it too; `extra.server` names the server in its TimeoutError.
   */
  child(
    ms: number = Number.POSITIVE_INFINITY,
    step: string = this.name,
    extra: { signal?: AbortSignal | undefined; server?: string | undefined } = {},
  ): Deadline {
    const left = this.remaining();
    return new Deadline(
      Math.min(ms, left),
      {
        clock: this.#clock,
        signal: extra.signal ? AbortSignal.any([this.signal, extra.signal]) : this.signal,
        step,
        server: extra.server ?? this.#server,
      },
      ms >= left ? this : undefined,
    );
  }

  /**
   * Runs one named step of a larger operation under a child deadline (`budgetMs`, capped by what
   * is left here) and releases it afterwards. When the time runs out, `fn`'s signal aborts and the
   * step rejects at once with a {@link TimeoutError} whose `step` is `name`, also when it was this
   * deadline (not the step's own budget) that ran out. Other failures come back typed.
   *
   * @example
   * const total = Deadline.after(120_000, { step: 'report' });
   * const data = await total.step('collect', (d) => collect(d.signal), { budgetMs: 30_000 });
   * const saved = await total.step('store', (d) => store(data, d.signal)); // whatever is left
   */
  async step<T>(
    name: string,
    fn: (deadline: Deadline) => Promise<T>,
    options: DeadlineStepOptions = {},
  ): Promise<T> {
    if (this.expired) {
      const why = this.signal.aborted
        ? classifyError(this.signal.reason, { server: this.#server })
        : this.#timeoutError();
      throw isTimeoutError(why) ? this.#stepStopped(name, why) : why;
    }
    const budgetMs = options.budgetMs ?? Number.POSITIVE_INFINITY;
    // When this deadline leaves less than the step's own cap, running out is this deadline's doing.
    const boundByThis = budgetMs >= this.remaining();
    const child = this.child(budgetMs, name);
    try {
      child.throwIfExpired();
      return await untilAborted(
        Promise.resolve().then(() => fn(child)),
        child.signal,
      );
    } catch (e) {
      const error = classifyError(e, { server: this.#server, signal: child.signal });
      // A timeout while the step still had time is a nested budget of its own: keep its name.
      const outOfTime = child.signal.aborted || child.remaining() <= 0;
      if (!isTimeoutError(error) || !outOfTime) throw error;
      if (boundByThis || this.remaining() <= 0) throw this.#stepStopped(name, error);
      throw error.step === name ? error : child.#timeoutError(error);
    } finally {
      child.dispose();
    }
  }

  /** Throws the abort reason (TimeoutError or the caller's cancellation) when the budget is spent. */
  throwIfExpired(): void {
    if (this.#controller?.signal.aborted) throw this.#controller.signal.reason;
    if (this.remaining() <= 0) throw (this.#boundBy ?? this).#timeoutError();
  }

  /** Releases the timer and the parent listener; call when the work finished early. */
  dispose(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#detach?.();
    this.#detach = undefined;
    this.#disposedAt ??= this.#clock.now();
  }

  /** The controller asked for late: aborted already if the budget ran out before, else timed. */
  #lazySignal(): AbortController {
    const controller = new AbortController();
    this.#controller = controller;
    const at = this.#disposedAt ?? this.#clock.now();
    if (at >= this.#expiresAt) controller.abort(this.#timeoutError(undefined, this.#total));
    else if (this.#disposedAt === undefined) this.#arm(this.#expiresAt - at);
    return controller;
  }

  #arm(ms: number): void {
    if (!Number.isFinite(ms) || this.#boundBy) return;
    const total = this.#total;
    this.#timer = this.#clock.setTimeout(() => this.#abort(this.#timeoutError(undefined, total)), ms);
  }

  #timeoutError(cause?: unknown, total = false): TimeoutError {
    const what = total
      ? `ran out of its ${Math.round(this.#latest - this.#startedAt)} ms total budget despite progress`
      : `ran out of its ${Math.round(this.#budgetMs)} ms budget`;
    return new TimeoutError(`Step "${this.name}" ${what}.`, {
      server: this.#server,
      step: this.name,
      timeoutMs: this.#budgetMs,
      hint: BUDGET_HINT,
      cause,
    });
  }

  /** This budget ran out while step `name` was running: the error names the step. */
  #stepStopped(name: string, cause: TimeoutError): TimeoutError {
    return new TimeoutError(
      `Step "${name}" was stopped: the enclosing "${this.name}" ${Math.round(this.#budgetMs)} ms budget ran out.`,
      { server: this.#server, step: name, timeoutMs: this.#budgetMs, cause, hint: BUDGET_HINT },
    );
  }

  #abort(reason: unknown): void {
    this.dispose();
    const controller = this.#controller ?? new AbortController();
    this.#controller = controller;
    if (!controller.signal.aborted) controller.abort(reason);
  }
}

/** Built only for a refused budget: every call makes a Deadline, and a valid one allocates nothing here. */
const budgetHint = (): string =>
  `Pass a number of milliseconds up to ${MAX_TIMER_MS} (about 24.8 days), or Infinity for no limit; check the timeout setting it came from.`;

/**
 * A budget is a number of ms: negative means "already spent" (computed budgets go below 0) and
 * Infinity means "no limit". A finite budget past MAX_TIMER_MS is refused rather than clamped: its
 * timer would fire at once, and a budget of weeks is a unit mistake (seconds for ms) more often
 * than a wish; whoever means "no limit" should say Infinity.
 */
function checkBudget(budgetMs: unknown, step: string, maxTotalMs: unknown): void {
  if (typeof budgetMs !== 'number' || Number.isNaN(budgetMs)) {
    const got = typeof budgetMs === 'number' ? 'NaN' : `not a number (${typeof budgetMs})`;
    throw new ConfigurationError(`The budget of step "${step}" is ${got}.`, { hint: budgetHint() });
  }
  if (budgetMs > MAX_TIMER_MS && budgetMs !== Number.POSITIVE_INFINITY) {
    throw new ConfigurationError(
      `The budget of step "${step}" is ${budgetMs} ms, past the longest timer (${MAX_TIMER_MS} ms): it would fire at once.`,
      { hint: budgetHint() },
    );
  }
  // Not a timer itself (each renewal arms at most budgetMs), but NaN would poison every renewal.
  if (maxTotalMs !== undefined && (typeof maxTotalMs !== 'number' || Number.isNaN(maxTotalMs))) {
    throw new ConfigurationError(
      `The total budget (maxTotalMs) of step "${step}" is not a number: ${String(maxTotalMs)}.`,
      { hint: 'Pass a number of milliseconds, or Infinity for no total limit.' },
    );
  }
}
