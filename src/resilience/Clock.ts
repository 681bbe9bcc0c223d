import { clampTimerMs } from './durations.js';

/**
 * The time source every timer of the runtime goes through. XState's `SimulatedClock` fits this
 * shape, so tests pass one clock to the actors and to the runtime and advance it by hand.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Wall-clock time. Timers keep the process alive on purpose: a reconnect backoff is pending work,
 * like an open socket. `close()` on the actors clears them. Every wall timer of the runtime (XState
 * delays included) is armed here, so a delay past MAX_TIMER_MS that slipped through validation is
 * clamped rather than left to Node, which would fire it after 1 ms.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, clampTimerMs(ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
