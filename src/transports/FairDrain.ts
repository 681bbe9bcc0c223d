/**
 * Hands a stream's chunks to `consume` without holding the event loop: chunks that arrive after
 * `budgetMs` of work in one turn wait (the source paused) for the next turn. A server that writes
 * 20,000 notifications at once (Node reads up to 32 pipe buffers in one callback) then delays an
 * unrelated server's reply by one budget, not by the whole burst. Order is kept.
 *
 * @example
 * const drain = new FairDrain((c) => reader.push(c), { pause: () => out.pause(), resume: () => out.resume() });
 * out.on('data', (chunk) => drain.push(chunk));
 */
export class FairDrain {
  readonly #consume: (chunk: Buffer) => void;
  readonly #pause: () => void;
  readonly #resume: () => void;
  readonly #budgetMs: number;
  readonly #queue: Buffer[] = [];
  #turnStartedAt: number | undefined;
  #scheduled = false;

  constructor(
    consume: (chunk: Buffer) => void,
    source: { pause(): void; resume(): void },
    budgetMs = DEFAULT_TURN_BUDGET_MS,
  ) {
    this.#consume = consume;
    this.#pause = () => source.pause();
    this.#resume = () => source.resume();
    this.#budgetMs = budgetMs;
  }

  push(chunk: Buffer): void {
    // Slices (views, no copies) bound the work between two budget checks: a 64 KiB read of tiny
    // notifications is a thousand messages.
    for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
      const slice = chunk.length <= SLICE_BYTES ? chunk : chunk.subarray(at, at + SLICE_BYTES);
      if (this.#queue.length === 0 && this.#withinBudget()) this.#consume(slice);
      else this.#queue.push(slice);
    }
    if (this.#queue.length > 0) {
      this.#pause();
      this.#schedule();
    }
  }

  /** Consumes everything still queued now (the source ended: nothing may be lost or reordered). */
  flush(): void {
    while (this.#queue.length > 0) this.#consume(this.#queue.shift() as Buffer);
  }

  #withinBudget(): boolean {
    const now = performance.now();
    if (this.#turnStartedAt === undefined) {
      this.#turnStartedAt = now;
      setImmediate(() => {
        this.#turnStartedAt = undefined;
      });
      return true;
    }
    return now - this.#turnStartedAt < this.#budgetMs;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const started = performance.now();
      while (this.#queue.length > 0 && performance.now() - started < this.#budgetMs) {
        this.#consume(this.#queue.shift() as Buffer);
      }
      if (this.#queue.length > 0) this.#schedule();
      else this.#resume();
    });
  }
}

/** Work one server's output may do in one event-loop turn before others get theirs. */
export const DEFAULT_TURN_BUDGET_MS = 8;

/** Bytes handed on between two budget checks. */
const SLICE_BYTES = 4 * 1024;
