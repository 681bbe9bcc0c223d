/**
 * The message of a breaker's CircuitOpenErrors. A rejection storm asks for the same text over and
 * over (same state, same retry time, same ms left within one ms of the clock), so the last text is
 * kept and handed out again: a rejection then allocates its error and details, not a Date, an ISO
 * string and a message. Each rejection still gets its own error object.
 */
export class RejectionText {
  readonly #id: string;
  #state: string | undefined;
  #retryAt: number | undefined;
  #inMs = Number.NaN;
  #text = '';

  constructor(breakerId: string) {
    this.#id = breakerId;
  }

  /** Names the breaker, its state and when the next probe is allowed (ISO time and ms from `now`). */
  of(state: 'open' | 'halfOpen' | 'isolated', retryAt: number | undefined, now: number): string {
    const inMs = retryAt === undefined ? -1 : Math.max(0, retryAt - now);
    if (state === this.#state && retryAt === this.#retryAt && inMs === this.#inMs) return this.#text;
    this.#state = state;
    this.#retryAt = retryAt;
    this.#inMs = inMs;
    this.#text = build(this.#id, state, retryAt, inMs);
    return this.#text;
  }
}

function build(
  id: string,
  state: 'open' | 'halfOpen' | 'isolated',
  retryAt: number | undefined,
  inMs: number,
): string {
  if (state === 'isolated')
    return `Circuit breaker '${id}' is isolated by hand: no call is admitted until reset().`;
  // Restored snapshots are checked, so retryAt is a valid time; still, acquire() must never throw a RangeError.
  const date = new Date(retryAt ?? Number.NaN);
  const iso = Number.isNaN(date.getTime()) ? String(retryAt) : date.toISOString();
  const when = retryAt === undefined ? '' : `${iso} (in ${inMs} ms)`;
  return state === 'open'
    ? `Circuit breaker '${id}' is open: calls fail fast until the next probe is allowed at ${when}.`
    : `Circuit breaker '${id}' is half-open and every probe slot is taken: the next probe is allowed when one reports, or at ${when} at the latest.`;
}
