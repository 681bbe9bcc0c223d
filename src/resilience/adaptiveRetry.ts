import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { type Backoff, type BackoffStrategy, createBackoff, type Random } from './backoff.js';
import { timerDurationProblem } from './durations.js';
import { NEVER_RETRIED, type RetryPlan } from './retry.js';

/** The kinds a retry table may list. The others ({@link NEVER_RETRIED}) are never retried. */
export type RetryableKind = Exclude<
  ErrorKind,
  'input' | 'auth' | 'circuitOpen' | 'cancelled' | 'configuration'
>;

/** How failures of one kind are retried. */
export interface KindRetryConfig {
  /** Attempts that may fail with this kind, the first included. 1 = never retry this kind. */
  maxAttempts: number;
  /** First delay in ms (every delay, for `constant`). */
  baseMs: number;
  /** Ceiling of one delay. Default 30 s. */
  maxMs?: number | undefined;
  /** Default `decorrelated`. The guide waits a constant delay: `constant` reproduces it. */
  strategy?: BackoffStrategy | undefined;
}

/** Retry settings by error kind. */
export type AdaptiveRetryTable = Partial<Record<RetryableKind, KindRetryConfig>>;

/**
 * The guide's table on azcore's kinds: connection 5 tries from 2 s, timeout 3 from 5 s, and its
 * "runtime error" (3 from 1 s) for the kinds a call can fail with at run time: tool, resource and
 * protocol. Input errors are never retried (the guide's "ValueError: 1 try").
 */
export const DEFAULT_RETRY_TABLE: Readonly<Required<AdaptiveRetryTable>> = Object.freeze({
  connection: { maxAttempts: 5, baseMs: 2_000 },
  timeout: { maxAttempts: 3, baseMs: 5_000 },
  tool: { maxAttempts: 3, baseMs: 1_000 },
  resource: { maxAttempts: 3, baseMs: 1_000 },
  protocol: { maxAttempts: 3, baseMs: 1_000 },
  // Not in the guide: a chat model's network failure, rate limit, timeout or 5xx (a bad key is not retryable).
  model: { maxAttempts: 3, baseMs: 2_000 },
});

/**
 * A checked retry table: `configFor(kind)` and `plan()`, a fresh {@link RetryPlan} per run that
 * counts failures per kind and waits by the schedule of the kind that failed. What the `byKind`
 * retry schedule runs on.
 *
 * @example
 * const table = new KindRetryTable({ connection: { maxAttempts: 5, baseMs: 200 } });
 * table.configFor('timeout'); // { maxAttempts: 3, baseMs: 5000 } from DEFAULT_RETRY_TABLE
 */
export class KindRetryTable {
  readonly table: Readonly<AdaptiveRetryTable>;
  readonly #backoffs = new Map<ErrorKind, Backoff>();

  /** Entries replace {@link DEFAULT_RETRY_TABLE}'s of the same kind; throws a `ConfigurationError` for an unusable one. */
  constructor(entries: AdaptiveRetryTable = {}, random?: Random) {
    const table: AdaptiveRetryTable = { ...DEFAULT_RETRY_TABLE, ...entries };
    for (const [kind, config] of Object.entries(table)) {
      if (NEVER_RETRIED.has(kind as ErrorKind)) {
        throw new ConfigurationError(`The retry table lists "${kind}", which is never retried.`, {
          hint: `Remove the "${kind}" entry; only connection, timeout, tool, resource, protocol and model can be retried.`,
        });
      }
      validate(kind, config);
      const { baseMs, maxMs = 30_000, strategy = 'decorrelated' } = config;
      this.#backoffs.set(kind as ErrorKind, createBackoff(strategy, { baseMs, maxMs }, random));
    }
    this.table = Object.freeze(table);
  }

  /** The settings failures of `kind` get, or undefined when that kind is not retried. */
  configFor(kind: ErrorKind): KindRetryConfig | undefined {
    return NEVER_RETRIED.has(kind) ? undefined : this.table[kind as RetryableKind];
  }

  /**
   * A plan for one run: a failure is retried when its kind has an entry, its own `retryable` is
   * true and its kind has failed fewer than `maxAttempts` times; the delay follows that kind's
   * schedule, counted per kind (a call that cannot connect and then times out gets the connection
   * schedule, then the timeout one).
   */
  plan(): RetryPlan {
    const failures = new Map<ErrorKind, number>();
    const previousDelay = new Map<ErrorKind, number>();
    return (error: AzcoreError) => {
      const config = this.configFor(error.kind);
      const backoff = this.#backoffs.get(error.kind);
      if (!config || !backoff || !error.retryable) return undefined;
      const failed = (failures.get(error.kind) ?? 0) + 1;
      failures.set(error.kind, failed);
      if (failed >= config.maxAttempts) return undefined;
      const delayMs = backoff(failed, previousDelay.get(error.kind) ?? 0);
      previousDelay.set(error.kind, delayMs);
      return delayMs;
    };
  }
}

function validate(kind: string, config: KindRetryConfig | undefined): asserts config is KindRetryConfig {
  const field = (name: string, rule: string) =>
    new ConfigurationError(`Retry table entry "${kind}": ${name} ${rule}.`, {
      hint: `Write e.g. { ${kind}: { maxAttempts: 3, baseMs: 1000 } }.`,
    });
  if (!config) throw field('the entry', 'is missing');
  if (!Number.isInteger(config.maxAttempts) || config.maxAttempts < 1) {
    throw field('maxAttempts', 'must be an integer of at least 1');
  }
  if (!Number.isFinite(config.baseMs) || config.baseMs < 0) throw field('baseMs', 'must be a number >= 0');
  if (config.maxMs !== undefined && !(config.maxMs >= config.baseMs)) {
    throw field('maxMs', 'must be a number >= baseMs');
  }
  for (const option of ['baseMs', 'maxMs'] as const) {
    const problem = config[option] === undefined ? undefined : timerDurationProblem(config[option]);
    if (problem) throw field(option, problem);
  }
}
