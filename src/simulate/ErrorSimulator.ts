import { AuthError } from '../errors/AuthError.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { CancelledError } from '../errors/CancelledError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { TimeoutError } from '../errors/TimeoutError.js';
import { ToolError } from '../errors/ToolError.js';
import { type Random, seededRandom } from '../resilience/backoff.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { sleep } from '../resilience/sleep.js';

/** Options of {@link ErrorSimulator}. */
export interface ErrorSimulatorOptions {
  /** Seed of the RNG behind `intermittent` (default 1): same seed, same failures. */
  seed?: number | undefined;
  random?: Random | undefined;
  /** Clock of `slow`. Default: wall clock. */
  clock?: Clock | undefined;
  /** Server name the simulated errors carry. */
  server?: string | undefined;
}

const SIMULATED = 'This failure was simulated by ErrorSimulator; check how your code handles it.';

/** An error, or something that makes a fresh one per failure. */
export type ErrorSource = AzcoreError | (() => AzcoreError);

/**
 * Simulated failures for tests and drills (the guide's `ErrorSimulator`), as the typed errors the
 * runtime really produces, and as failing functions to hand to the code under test. Random failures
 * come from a seeded RNG and waits from an injected clock, so a scenario replays exactly and never
 * sleeps for real.
 *
 * @example
 * const sim = new ErrorSimulator({ seed: 42, server: 'search' });
 * const flakySearch = sim.intermittent(0.3, () => search(query)); // fails 30% of calls, reproducibly
 * const result = await retry(() => flakySearch(), { maxAttempts: 5 });
 * await expect(sim.failing(sim.authFailure())()).rejects.toMatchObject({ kind: 'auth' });
 */
export class ErrorSimulator {
  readonly #random: Random;
  readonly #clock: Clock;
  readonly #server: string | undefined;

  constructor(options: ErrorSimulatorOptions = {}) {
    this.#random = options.random ?? seededRandom(options.seed ?? 1);
    this.#clock = options.clock ?? systemClock;
    this.#server = options.server;
  }

  /** The server is unreachable (ECONNREFUSED): a retryable ConnectionError. */
  connectionError(message = 'Server unreachable (simulated).'): ConnectionError {
    return new ConnectionError(message, { server: this.#server, code: 'ECONNREFUSED', hint: SIMULATED });
  }

  /** A call ran out of its budget: a retryable TimeoutError. */
  timeout(timeoutMs = 30_000): TimeoutError {
    return new TimeoutError(`The request ran out of its ${timeoutMs} ms budget (simulated).`, {
      server: this.#server,
      code: 'TIMEOUT',
      timeoutMs,
      hint: SIMULATED,
    });
  }

  /** The server rejected the credentials (HTTP 401): an AuthError, never retried. */
  authFailure(message = 'Invalid credentials (simulated).'): AuthError {
    return new AuthError(message, { server: this.#server, code: 'HTTP_401', hint: SIMULATED });
  }

  /** A tool answered `isError: true`: a ToolError for the model, not the breaker. */
  toolError(tool = 'tool', message = 'The tool failed (simulated).'): ToolError {
    return new ToolError(message, { server: this.#server, tool, toolMessage: message, hint: SIMULATED });
  }

  /** A function that always rejects with `error`. */
  failing(error: ErrorSource = () => this.connectionError()): () => Promise<never> {
    return async () => {
      throw make(error);
    };
  }

  /**
   * Wraps `fn` so each call fails with probability `failureRate` (drawn from the seeded RNG) and
   * otherwise runs `fn`. Default `fn` resolves `{ success: true }`, as in the guide.
   */
  intermittent<T = { success: true }>(
    failureRate: number,
    fn?: () => T | Promise<T>,
    error: ErrorSource = () => this.connectionError('Intermittent failure (simulated).'),
  ): () => Promise<T> {
    if (!(failureRate >= 0 && failureRate <= 1)) {
      throw new ConfigurationError(
        `intermittent(failureRate): use a number in [0, 1], got ${String(failureRate)}.`,
      );
    }
    const work = fn ?? (() => ({ success: true }) as T);
    return async () => {
      if (this.#random() < failureRate) throw make(error);
      return work();
    };
  }

  /** Wraps `fn` so its first `times` calls fail, then it runs normally (the guide's Mock side_effect list). */
  failTimes<T>(
    times: number,
    fn: () => T | Promise<T>,
    error: ErrorSource = () => this.connectionError(),
  ): () => Promise<T> {
    let left = times;
    return async () => {
      if (left > 0) {
        left--;
        throw make(error);
      }
      return fn();
    };
  }

  /**
   * A call that never answers (the guide's `time.sleep(100)`): it settles only when `signal` aborts,
   * with the signal's reason, so it proves the caller's timeout works without waiting for real.
   */
  hang(): (signal?: AbortSignal) => Promise<never> {
    return (signal) =>
      new Promise<never>((_resolve, reject) => {
        if (!signal) return;
        const stop = () =>
          reject(
            signal.reason === undefined
              ? new CancelledError('The hanging call was cancelled.', { server: this.#server })
              : classifyError(signal.reason, { server: this.#server }),
          );
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      });
  }

  /** Wraps `fn` so each call first waits `ms` on the simulator's clock (honouring `signal`). */
  slow<T>(ms: number, fn: () => T | Promise<T>): (signal?: AbortSignal) => Promise<T> {
    return async (signal) => {
      await sleep(ms, { clock: this.#clock, signal });
      return fn();
    };
  }
}

function make(error: ErrorSource): AzcoreError {
  return typeof error === 'function' ? error() : error;
}
