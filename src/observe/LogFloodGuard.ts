import type { Clock } from '../resilience/Clock.js';

/** How much of a flood gets through. */
export interface LogFloodGuardOptions {
  clock: Clock;
  /** Lines let through per channel and window. Default 20. */
  limit?: number;
  /** Per-channel overrides of `limit`. */
  limits?: Readonly<Record<string, number>>;
  /** Window length in ms. Default 1 000. */
  windowMs?: number;
  /** Called at the end of each window in which a channel dropped lines, on the injected clock. */
  onSuppressed(channel: string, suppressed: number, windowMs: number): void;
}

interface Window {
  endsAt: number;
  passed: number;
  suppressed: number;
  timer: unknown;
}

/**
 * Rate limit for what a server can make us write: its log notifications, stderr lines, transport
 * errors. A server that sends 100 000 notifications gets `limit` lines per channel per window and
 * one "suppressed K" summary per window, never 100 000 lines. Fixed windows on the injected clock.
 *
 * @example
 * const guard = new LogFloodGuard({ clock, onSuppressed: (ch, k) => log.warn(`${k} ${ch} lines suppressed`) });
 * if (guard.admit('server log')) log.debug(entry, 'server log');
 */
export class LogFloodGuard {
  readonly #clock: Clock;
  readonly #limit: number;
  readonly #limits: Readonly<Record<string, number>>;
  readonly #windowMs: number;
  readonly #onSuppressed: LogFloodGuardOptions['onSuppressed'];
  readonly #windows = new Map<string, Window>();

  constructor(options: LogFloodGuardOptions) {
    this.#clock = options.clock;
    this.#limit = options.limit ?? 20;
    this.#limits = options.limits ?? {};
    this.#windowMs = options.windowMs ?? 1_000;
    this.#onSuppressed = options.onSuppressed;
  }

  /** True when this line of `channel` may be written now; false when it is counted as suppressed. */
  admit(channel: string): boolean {
    const now = this.#clock.now();
    let window = this.#windows.get(channel);
    if (window && now >= window.endsAt) {
      this.#report(channel, window);
      window = undefined;
    }
    if (!window) {
      window = { endsAt: now + this.#windowMs, passed: 0, suppressed: 0, timer: undefined };
      this.#windows.set(channel, window);
    }
    if (window.passed < (this.#limits[channel] ?? this.#limit)) {
      window.passed++;
      return true;
    }
    window.suppressed++;
    if (window.timer === undefined) {
      const w = window;
      w.timer = this.#clock.setTimeout(
        () => {
          w.timer = undefined;
          if (this.#windows.get(channel) === w) this.#windows.delete(channel);
          this.#report(channel, w);
        },
        Math.max(0, w.endsAt - now),
      );
    }
    return false;
  }

  /** Reports what is pending and stops every timer (the owner is closing). */
  dispose(): void {
    for (const [channel, window] of this.#windows) this.#report(channel, window);
    this.#windows.clear();
  }

  #report(channel: string, window: Window): void {
    if (window.timer !== undefined) this.#clock.clearTimeout(window.timer);
    window.timer = undefined;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    if (suppressed > 0) this.#onSuppressed(channel, suppressed, this.#windowMs);
  }
}
