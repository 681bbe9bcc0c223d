/**
 * Bounds concurrency: at most `limit` holders at once, the rest queue in arrival order (fair).
 *
 * @example
 * const perServer = new Semaphore(4);
 * const result = await perServer.run(() => server.callTool('search', args));
 */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #queue: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }
}
