import { type BreakerVerdict, breakerVerdict, type VerdictOptions } from './breakerVerdict.js';

/**
 * One admitted call, from {@link CircuitBreaker.acquire}. Report how it ended with exactly one of
 * the three methods; the first report counts, later ones are ignored. A permit knows whether it is
 * a half-open probe, so a slow call admitted while closed cannot settle a later probe episode.
 */
export interface BreakerPermit {
  /** True when the call was admitted as a probe (the breaker was not closed). */
  readonly probe: boolean;
  /** The call succeeded, or the server answered (a tool error counts as a success by default). */
  success(): void;
  /**
   * The call failed. Without `error` it counts as a failure; with one, {@link breakerVerdict}
   * judges it (with `options`: `local`, `isFailure`): a failure, a success (the server answered)
   * or nothing (a cancellation, an expired session, a call this side ended). Returns what was
   * recorded (`'none'` when the permit had already reported).
   */
  failure(error?: unknown, options?: VerdictOptions): BreakerVerdict;
  /** The call ended with no verdict (cancelled, or ended by this side): a probe's slot comes back. */
  release(): void;
}

/** How a permit reports its verdict to the breaker that issued it. */
export type SettlePermit = (verdict: BreakerVerdict, probe: boolean) => void;

/** A {@link BreakerPermit}: one small object per admitted call, the first report wins. */
export class Permit implements BreakerPermit {
  #settle: SettlePermit | undefined;
  readonly probe: boolean;

  constructor(settle: SettlePermit, probe: boolean) {
    this.#settle = settle;
    this.probe = probe;
  }

  success(): void {
    this.#report('success');
  }

  failure(error?: unknown, options?: VerdictOptions): BreakerVerdict {
    return this.#report(error === undefined ? 'failure' : breakerVerdict(error, options));
  }

  release(): void {
    this.#report('none');
  }

  #report(verdict: BreakerVerdict): BreakerVerdict {
    const settle = this.#settle;
    if (!settle) return 'none';
    this.#settle = undefined;
    settle(verdict, this.probe);
    return verdict;
  }
}
