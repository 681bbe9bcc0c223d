/**
 * When does a closed circuit breaker open? Each strategy is a pair of tiny pure functions over a
 * JSON state, so the state lives in the breaker machine's context and survives
 * `getPersistedSnapshot()`. Like cockatiel's breakers: a success updates the state, a failure
 * updates it and says whether the circuit should open.
 */

/** How a strategy is chosen and tuned. */
export type BreakerStrategyConfig =
  /** Open after `threshold` failures in a row (any success resets the count). */
  | { kind: 'consecutive'; threshold: number }
  /** Open when `threshold` of the last `size` calls failed. */
  | { kind: 'count'; threshold: number; size: number }
  /**
   * Open when at least `minThroughput` calls ended in the last `windowMs` and the share of failures
   * among them is `>= ratio`. The window moves in steps of a tenth of `windowMs`.
   */
  | { kind: 'sampling'; ratio: number; windowMs: number; minThroughput: number };

export type BreakerStrategyKind = BreakerStrategyConfig['kind'];

export interface ConsecutiveState {
  kind: 'consecutive';
  failures: number;
}

export interface CountState {
  kind: 'count';
  /** Outcomes of the last `size` calls, oldest first: `F` failure, `S` success. A string keeps the
   * persisted snapshot small and each update to one copy. */
  history: string;
}

/** Outcomes of the calls that ended in `[start, start + windowMs / 10)`. */
export interface SamplingBucket {
  start: number;
  successes: number;
  failures: number;
}

export interface SamplingState {
  kind: 'sampling';
  buckets: SamplingBucket[];
}

export type BreakerStrategyState = ConsecutiveState | CountState | SamplingState;

/** What recording a failure yields: the next state, and whether the circuit should open now. */
export interface StrategyVerdict {
  state: BreakerStrategyState;
  shouldOpen: boolean;
}

/** One invalid strategy setting: the option path (e.g. `strategy.ratio`) and what is wrong. */
export interface BreakerConfigProblem {
  option: string;
  problem: string;
}

/** Buckets a sampling window is cut into; a sampling state never holds more (snapshot checks rely on it). */
export const SAMPLING_BUCKETS = 10;

/** The state a strategy starts from, and returns to when the circuit closes. */
export function initialStrategyState(config: BreakerStrategyConfig): BreakerStrategyState {
  switch (config.kind) {
    case 'consecutive':
      return { kind: 'consecutive', failures: 0 };
    case 'count':
      return { kind: 'count', history: '' };
    case 'sampling':
      return { kind: 'sampling', buckets: [] };
  }
}

/**
 * Records a success. Returns the very same object when nothing changes (a consecutive counter that
 * is already 0), so the runtime can skip telling the machine about it.
 */
export function recordStrategySuccess(
  config: BreakerStrategyConfig,
  state: BreakerStrategyState,
  at: number,
): BreakerStrategyState {
  if (config.kind === 'consecutive') {
    if (state.kind === 'consecutive' && state.failures === 0) return state;
    return { kind: 'consecutive', failures: 0 };
  }
  if (config.kind === 'count') {
    return { kind: 'count', history: appendOutcome(historyOf(state), 'S', config.size) };
  }
  return { kind: 'sampling', buckets: addToBucket(bucketsOf(state), config.windowMs, at, false) };
}

/** Whether recording a success would change `state`: lets the runtime skip a pointless send. */
export function successChangesState(config: BreakerStrategyConfig, state: BreakerStrategyState): boolean {
  return config.kind !== 'consecutive' || state.kind !== 'consecutive' || state.failures !== 0;
}

/** Records a failure and says whether the circuit should open. */
export function recordStrategyFailure(
  config: BreakerStrategyConfig,
  state: BreakerStrategyState,
  at: number,
): StrategyVerdict {
  switch (config.kind) {
    case 'consecutive': {
      const failures = (state.kind === 'consecutive' ? state.failures : 0) + 1;
      return { state: { kind: 'consecutive', failures }, shouldOpen: failures >= config.threshold };
    }
    case 'count': {
      const history = appendOutcome(historyOf(state), 'F', config.size);
      return { state: { kind: 'count', history }, shouldOpen: countFailures(history) >= config.threshold };
    }
    case 'sampling': {
      const buckets = addToBucket(bucketsOf(state), config.windowMs, at, true);
      let calls = 0;
      let failures = 0;
      for (const b of buckets) {
        calls += b.successes + b.failures;
        failures += b.failures;
      }
      const shouldOpen = calls >= config.minThroughput && failures / calls >= config.ratio;
      return { state: { kind: 'sampling', buckets }, shouldOpen };
    }
  }
}

/** Every invalid setting of `config` (empty when it is valid). The runtime turns these into errors. */
export function strategyProblems(config: BreakerStrategyConfig): BreakerConfigProblem[] {
  const problems: BreakerConfigProblem[] = [];
  const requireCount = (option: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) {
      problems.push({ option, problem: `must be an integer >= ${min}, got ${String(value)}` });
    }
  };
  switch (config.kind) {
    case 'consecutive':
      requireCount('strategy.threshold', config.threshold, 1);
      break;
    case 'count':
      requireCount('strategy.threshold', config.threshold, 1);
      requireCount('strategy.size', config.size, Math.max(1, config.threshold || 1));
      break;
    case 'sampling':
      if (!(typeof config.ratio === 'number' && config.ratio > 0 && config.ratio <= 1)) {
        problems.push({
          option: 'strategy.ratio',
          problem: `must be in (0, 1], got ${String(config.ratio)}`,
        });
      }
      if (!(Number.isFinite(config.windowMs) && config.windowMs > 0)) {
        problems.push({
          option: 'strategy.windowMs',
          problem: `must be a positive number of ms, got ${String(config.windowMs)}`,
        });
      }
      requireCount('strategy.minThroughput', config.minThroughput, 1);
      break;
    default:
      problems.push({
        option: 'strategy.kind',
        problem: `must be 'consecutive', 'count' or 'sampling', got ${JSON.stringify((config as { kind?: unknown }).kind)}`,
      });
  }
  return problems;
}

// A state of another kind (a snapshot persisted under a different strategy) counts as empty.
function historyOf(state: BreakerStrategyState): string {
  return state.kind === 'count' ? state.history : '';
}

function bucketsOf(state: BreakerStrategyState): SamplingBucket[] {
  return state.kind === 'sampling' ? state.buckets : [];
}

function appendOutcome(history: string, outcome: 'S' | 'F', size: number): string {
  const next = history + outcome;
  return next.length > size ? next.slice(next.length - size) : next;
}

function countFailures(history: string): number {
  let n = 0;
  for (let i = 0; i < history.length; i++) if (history.charCodeAt(i) === 70 /* F */) n++;
  return n;
}

function addToBucket(
  buckets: SamplingBucket[],
  windowMs: number,
  at: number,
  failed: boolean,
): SamplingBucket[] {
  const width = Math.max(1, Math.ceil(windowMs / SAMPLING_BUCKETS));
  const start = at - (((at % width) + width) % width);
  const kept = buckets.filter((b) => b.start > at - windowMs);
  const last = kept[kept.length - 1];
  // A clock that steps backwards lands in the newest bucket rather than reordering history.
  if (last && last.start >= start) {
    kept[kept.length - 1] = {
      start: last.start,
      successes: last.successes + (failed ? 0 : 1),
      failures: last.failures + (failed ? 1 : 0),
    };
    return kept;
  }
  kept.push({ start, successes: failed ? 0 : 1, failures: failed ? 1 : 0 });
  return kept;
}
