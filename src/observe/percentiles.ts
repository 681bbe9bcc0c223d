/**
 * The most recent `capacity` observations, in a fixed ring buffer: memory stays bounded however
 * long the process runs, and percentiles describe recent behaviour rather than the whole history.
 *
 * @example
 * const window = new SlidingWindow(512);
 * for (const ms of [12, 15, 200]) window.add(ms);
 * quantile(window.sorted(), 0.95); // 200
 */
export class SlidingWindow {
  readonly capacity: number;
  readonly #values: Float64Array;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`SlidingWindow capacity must be a whole number >= 1, got ${capacity}.`);
    }
    this.capacity = capacity;
    this.#values = new Float64Array(capacity);
  }

  /** Number of observations held (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  add(value: number): void {
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** The held observations in ascending order (a copy). */
  sorted(): Float64Array {
    return this.#values.slice(0, this.#size).sort();
  }

  /** The held observations in insertion-independent form, appended to `into`. */
  appendTo(into: number[]): void {
    for (let i = 0; i < this.#size; i++) into.push(this.#values[i] ?? 0);
  }
}

/**
 * The `q` quantile (0..1) of ascending values by the nearest-rank method: always one of the observed
 * values, 0 when there are none.
 *
 * @example quantile(Float64Array.of(1, 2, 3, 4), 0.5) // 2
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = Math.ceil(Math.min(1, Math.max(0, q)) * n);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))] ?? 0;
}
