import { ConfigurationError } from '../errors/ConfigurationError.js';
import { timerDurationProblem } from './durations.js';

/** Options of an {@link AdaptiveTimeout}. All durations in milliseconds. */
export interface AdaptiveTimeoutOptions {
  /** Timeout while a key has fewer than `minSamples` successes. Default 30 s (the guide's). */
  initialMs?: number | undefined;
  /** Lower clamp. Default 10 s (the guide's). */
  minMs?: number | undefined;
  /** Upper clamp. Default 300 s (the guide's). */
  maxMs?: number | undefined;
  /** Successful durations kept per key. Default 100. */
  window?: number | undefined;
  /** Standard deviations above the mean. Default 3 (covers ~99.7% of a normal distribution). */
  sigmas?: number | undefined;
  /** Successes needed before the estimate replaces `initialMs`. Default 5. */
  minSamples?: number | undefined;
}

/** What an {@link AdaptiveTimeout} knows about one key. */
export interface AdaptiveTimeoutStats {
  samples: number;
  meanMs: number;
  /** Sample standard deviation (n - 1), 0 with fewer than two samples. */
  stdDevMs: number;
  /** Multiplier after consecutive timeouts: 1, 2, 4, ...; back to 1 on the next success. */
  backoff: number;
  timeoutMs: number;
}

/** Ring buffer of one key's recent successful durations, with its estimate cached. */
interface Series {
  durations: number[];
  next: number;
  meanMs: number;
  stdDevMs: number;
  backoff: number;
}

const MAX_BACKOFF = 1024;

/**
 * Timeouts learned from experience, per key (a tool, a server, a task type): mean + 3 standard
 * deviations of the last 100 successful durations, clamped to [10 s, 300 s]. Unlike a timeout fed
 * only by successes, it cannot get stuck too short: each timeout doubles the key's next timeout
 * until a call succeeds again (what TCP does with its retransmission timeout). It is the budget of
 * the `timeout` policy: `timeout({ ms: adaptive, name: key })` reads `timeoutFor(key)` before each
 * run and teaches it the outcome (durations on the run's clock).
 *
 * @example
 * const timeouts = new AdaptiveTimeout({ minMs: 1_000, maxMs: 60_000 });
 * const outcome = await run(timeout({ ms: timeouts, name: 'search' }), (ctx) => server.callTool('search', args, { signal: ctx.signal }));
 * timeouts.timeoutFor('search'); // what the next call gets
 */
export class AdaptiveTimeout {
  readonly #series = new Map<string, Series>();
  readonly #initialMs: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #window: number;
  readonly #sigmas: number;
  readonly #minSamples: number;

  constructor(options: AdaptiveTimeoutOptions = {}) {
    this.#initialMs = options.initialMs ?? 30_000;
    this.#minMs = options.minMs ?? 10_000;
    this.#maxMs = options.maxMs ?? 300_000;
    this.#window = options.window ?? 100;
    this.#sigmas = options.sigmas ?? 3;
    this.#minSamples = options.minSamples ?? 5;
    const bad = (what: string) =>
      new ConfigurationError(`AdaptiveTimeout: ${what}.`, {
        hint: 'Write e.g. new AdaptiveTimeout({ initialMs: 30000, minMs: 10000, maxMs: 300000 }).',
      });
    if (!(this.#minMs > 0 && this.#maxMs >= this.#minMs)) throw bad('needs 0 < minMs <= maxMs');
    if (!(this.#initialMs > 0)) throw bad('initialMs must be a positive number of milliseconds');
    for (const [option, value] of [
      ['maxMs', this.#maxMs],
      ['initialMs', this.#initialMs],
    ] as const) {
      const problem = timerDurationProblem(value, { zero: false });
      if (problem) throw bad(`${option} ${problem}`);
    }
    if (!(Number.isInteger(this.#window) && this.#window >= 2)) throw bad('window must be an integer >= 2');
    if (!(this.#sigmas >= 0)) throw bad('sigmas must be >= 0');
    if (!(Number.isInteger(this.#minSamples) && this.#minSamples >= 1 && this.#minSamples <= this.#window)) {
      throw bad('minSamples must be an integer between 1 and window');
    }
  }

  /** The timeout the next call under `key` gets, in whole ms, always within [minMs, maxMs]. */
  timeoutFor(key: string): number {
    const series = this.#series.get(key);
    const estimate =
      series && series.durations.length >= this.#minSamples
        ? series.meanMs + this.#sigmas * series.stdDevMs
        : this.#initialMs;
    // The backoff multiplies the clamped value, so a timeout always lengthens the next one.
    // Whole milliseconds: what timers honour, and what error messages should show.
    return Math.min(this.#maxMs, Math.ceil(Math.max(this.#minMs, estimate) * (series?.backoff ?? 1)));
  }

  /** Records a successful duration (ignored unless finite; negatives count as 0). */
  record(key: string, durationMs: number): void {
    if (!Number.isFinite(durationMs)) return;
    const series = this.#seriesOf(key);
    const value = Math.max(0, durationMs);
    if (series.durations.length < this.#window) series.durations.push(value);
    else series.durations[series.next] = value;
    series.next = (series.next + 1) % this.#window;
    series.backoff = 1;
    const n = series.durations.length;
    series.meanMs = series.durations.reduce((sum, d) => sum + d, 0) / n;
    series.stdDevMs =
      n < 2 ? 0 : Math.sqrt(series.durations.reduce((sum, d) => sum + (d - series.meanMs) ** 2, 0) / (n - 1));
  }

  /** Records that a call under `key` ran out of its timeout: the next timeout doubles. */
  recordTimeout(key: string): void {
    const series = this.#seriesOf(key);
    series.backoff = Math.min(MAX_BACKOFF, series.backoff * 2);
  }

  /** What is known about `key`. */
  stats(key: string): AdaptiveTimeoutStats {
    const series = this.#series.get(key);
    return {
      samples: series?.durations.length ?? 0,
      meanMs: series?.meanMs ?? 0,
      stdDevMs: series?.stdDevMs ?? 0,
      backoff: series?.backoff ?? 1,
      timeoutMs: this.timeoutFor(key),
    };
  }

  #seriesOf(key: string): Series {
    let series = this.#series.get(key);
    if (!series) {
      series = { durations: [], next: 0, meanMs: 0, stdDevMs: 0, backoff: 1 };
      this.#series.set(key, series);
    }
    return series;
  }
}
