import type { RuntimeEvent } from '../events/RuntimeEvent.js';
import type { CallSample } from './types.js';

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? null;
}

/**
 * Call rate, error rate and latency percentiles over time, folded from `call.*` events into one
 * {@link CallSample} per interval. Only the calls of the open interval are held; the closed samples
 * are kept up to `capacity`.
 *
 * @example
 * const series = new CallSeries(1000, 300);
 * team.events$.subscribe((e) => series.add(e));
 * setInterval(() => console.log(series.close(Date.now())), 1000);
 */
export class CallSeries {
  readonly #intervalMs: number;
  readonly #capacity: number;
  readonly #samples: CallSample[] = [];
  #calls = 0;
  #errors = 0;
  #durations: number[] = [];

  constructor(intervalMs: number, capacity: number) {
    this.#intervalMs = intervalMs;
    this.#capacity = capacity;
  }

  /** Counts the event if it ends a call; ignores every other event. */
  add(event: RuntimeEvent): void {
    if (event.type === 'call.succeeded') {
      this.#calls++;
      if (event.isError) this.#errors++;
      this.#durations.push(event.durationMs);
    } else if (event.type === 'call.failed') {
      this.#calls++;
      this.#errors++;
      this.#durations.push(event.durationMs);
    } else if (event.type === 'call.rejected') {
      this.#calls++;
      this.#errors++;
    }
  }

  /** Ends the open interval at `at` and returns its sample. */
  close(at: number): CallSample {
    const sorted = this.#durations.sort((a, b) => a - b);
    const sample: CallSample = {
      at,
      intervalMs: this.#intervalMs,
      calls: this.#calls,
      errors: this.#errors,
      callRate: (this.#calls * 1000) / this.#intervalMs,
      errorRate: this.#calls === 0 ? 0 : this.#errors / this.#calls,
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
    };
    this.#calls = 0;
    this.#errors = 0;
    this.#durations = [];
    this.#samples.push(sample);
    if (this.#samples.length > this.#capacity) this.#samples.shift();
    return sample;
  }

  /** The closed samples, oldest first (a copy). */
  samples(): CallSample[] {
    return [...this.#samples];
  }
}
