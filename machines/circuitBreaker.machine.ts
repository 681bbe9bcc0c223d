import { and, assign, type Snapshot, setup } from 'xstate';
import {
  type BreakerConfigProblem,
  type BreakerStrategyConfig,
  type BreakerStrategyState,
  initialStrategyState,
  recordStrategyFailure,
  recordStrategySuccess,
  strategyProblems,
} from './breakerStrategies.js';

/**
 * A circuit breaker as a pure statechart. The runtime (src/actors/CircuitBreaker.ts) owns the clock
 * and feeds it outcomes; every event whose handling depends on time carries `at` (epoch ms from
 * the runtime's clock), so the machine never reads a clock and can be path-tested offline.
 *
 * closed -> open when the strategy says so; open -> halfOpen after `resetTimeoutMs` (a timer, or
 * the first attempt after that time: restored snapshots do not restart timers); halfOpen admits
 * at most `halfOpenMaxProbes` probes, closes after `successThreshold` probe successes and re-opens
 * on a probe failure. `isolated` rejects everything until RESET. TRIP opens the circuit as of a
 * given time (a fleet's shared verdict); `isolated` ignores it.
 */

export interface CircuitBreakerConfig {
  strategy: BreakerStrategyConfig;
  /** Probe successes in halfOpen that close the circuit. */
  successThreshold: number;
  /** How long the circuit stays open before probes are let through; also a probe's lease. */
  resetTimeoutMs: number;
  /** Probes in flight at once in halfOpen. */
  halfOpenMaxProbes: number;
}

export interface CircuitBreakerContext extends CircuitBreakerConfig {
  strategyState: BreakerStrategyState;
  /** Epoch ms the circuit last opened; kept so the open time survives a persisted snapshot. */
  openedAt: number | undefined;
  /** halfOpen probe slots taken, and the epoch ms of the latest reservation. */
  probesInFlight: number;
  lastProbeAt: number | undefined;
  /** Probe successes in the current halfOpen episode. */
  halfOpenSuccesses: number;
}

export type CircuitBreakerInput = Partial<CircuitBreakerConfig>;

/**
 * `probe` on an outcome says whether the call was admitted as a halfOpen probe. Leave it out to
 * attribute the outcome to the current state; `false` marks a late result of a call admitted while
 * closed, which halfOpen ignores (it says nothing about the server since the circuit opened).
 */
export type CircuitBreakerEvent =
  | { type: 'PROBE'; at: number }
  | { type: 'SUCCESS'; at: number; probe?: boolean }
  | { type: 'FAILURE'; at: number; probe?: boolean }
  | { type: 'RELEASE' }
  | { type: 'RESUME'; at: number }
  /**
   * Opens the circuit as of `openedAt` (default `at`): a verdict reached elsewhere (another replica
   * of a fleet, see src/fleet/), sent at `at`. The timer runs for the time left after `at`. From
   * `open` it re-enters with the new `openedAt`, so the timer restarts for the time left.
   */
  | { type: 'TRIP'; at: number; openedAt?: number }
  | { type: 'ISOLATE' }
  | { type: 'RESET' };

export type CircuitBreakerStateName = 'closed' | 'open' | 'halfOpen' | 'isolated';

export const breakerDefaults: CircuitBreakerConfig = {
  strategy: { kind: 'consecutive', threshold: 5 },
  successThreshold: 2,
  resetTimeoutMs: 30_000,
  halfOpenMaxProbes: 1,
};

// Longer delays make setTimeout fire at once, which would turn "open" into "half-open" immediately.
const MAX_TIMER_MS = 2_147_483_647;

/** Every invalid setting of `config` (empty when valid); the runtime turns the first into an error. */
export function breakerConfigProblems(config: CircuitBreakerConfig): BreakerConfigProblem[] {
  const problems =
    typeof config.strategy === 'object' && config.strategy !== null
      ? strategyProblems(config.strategy)
      : [{ option: 'strategy', problem: 'must be an object with a kind' }];
  for (const option of ['successThreshold', 'halfOpenMaxProbes'] as const) {
    const v = config[option];
    if (!Number.isInteger(v) || v < 1)
      problems.push({ option, problem: `must be an integer >= 1, got ${String(v)}` });
  }
  const reset = config.resetTimeoutMs;
  if (!(reset > 0 && reset <= MAX_TIMER_MS)) {
    problems.push({
      option: 'resetTimeoutMs',
      problem: `must be a number of ms in (0, ${MAX_TIMER_MS}], got ${String(reset)}`,
    });
  }
  return problems;
}

/** Epoch ms when an open circuit lets the next probe through. */
export function openUntil(context: CircuitBreakerContext): number {
  return (context.openedAt ?? 0) + context.resetTimeoutMs;
}

/** Ms left in the open state at `now` (never negative). */
export function remainingOpenMs(context: CircuitBreakerContext, now: number): number {
  return Math.max(0, openUntil(context) - now);
}

/** A probe that never reports (its caller crashed) holds its slot for at most `resetTimeoutMs`. */
export function probeLeaseExpiresAt(context: CircuitBreakerContext): number {
  return (context.lastProbeAt ?? 0) + context.resetTimeoutMs;
}

/** Whether a halfOpen breaker would admit a probe at `at`. */
export function canProbe(context: CircuitBreakerContext, at: number): boolean {
  return context.probesInFlight < context.halfOpenMaxProbes || at >= probeLeaseExpiresAt(context);
}

const eventAt = (event: CircuitBreakerEvent, fallback: number): number =>
  'at' in event ? event.at : fallback;

/** The instant the circuit opens at: a TRIP may date it before the event's `at`. */
const openedAtOf = (event: CircuitBreakerEvent): number =>
  event.type === 'TRIP' && event.openedAt !== undefined ? event.openedAt : eventAt(event, 0);

const freshHalfOpen = { probesInFlight: 0, lastProbeAt: undefined, halfOpenSuccesses: 0 } as const;

function defineCircuitBreakerMachine() {
  return setup({
    types: {
      context: {} as CircuitBreakerContext,
      events: {} as CircuitBreakerEvent,
      input: {} as CircuitBreakerInput,
    },
    delays: {
      // Entered with the event that opened the circuit, so `at` is "now" without reading a clock.
      // Every breaker shares this one machine (no per-instance provide(): issue 13): the runtime
      // stamps `at` from its clock on each event, which is all the delay needs.
      resetDelay: ({ context, event }) => remainingOpenMs(context, eventAt(event, context.openedAt ?? 0)),
    },
    guards: {
      failureTrips: ({ context, event }) =>
        recordStrategyFailure(context.strategy, context.strategyState, eventAt(event, 0)).shouldOpen,
      resetTimeElapsed: ({ context, event }) => eventAt(event, 0) >= openUntil(context),
      probeSlotFree: ({ context }) => context.probesInFlight < context.halfOpenMaxProbes,
      probeLeasesExpired: ({ context, event }) => eventAt(event, 0) >= probeLeaseExpiresAt(context),
      isProbeOutcome: ({ event }) => !('probe' in event) || event.probe !== false,
      closesAfterThisSuccess: ({ context }) => context.halfOpenSuccesses + 1 >= context.successThreshold,
    },
    actions: {
      recordSuccess: assign({
        strategyState: ({ context, event }) =>
          recordStrategySuccess(context.strategy, context.strategyState, eventAt(event, 0)),
      }),
      recordFailure: assign({
        strategyState: ({ context, event }) =>
          recordStrategyFailure(context.strategy, context.strategyState, eventAt(event, 0)).state,
      }),
      markOpened: assign(({ event }) => ({ openedAt: openedAtOf(event), ...freshHalfOpen })),
      startHalfOpen: assign(() => ({ ...freshHalfOpen })),
      reserveProbe: assign(({ context, event }) => ({
        probesInFlight: context.probesInFlight + 1,
        lastProbeAt: eventAt(event, 0),
      })),
      // Every lease has expired (the latest one did): those probes are presumed lost.
      reclaimAndReserveProbe: assign(({ event }) => ({ probesInFlight: 1, lastProbeAt: eventAt(event, 0) })),
      countProbeSuccess: assign(({ context }) => ({
        probesInFlight: Math.max(0, context.probesInFlight - 1),
        halfOpenSuccesses: context.halfOpenSuccesses + 1,
      })),
      releaseProbe: assign(({ context }) => ({ probesInFlight: Math.max(0, context.probesInFlight - 1) })),
      resetAll: assign(({ context }) => ({
        strategyState: initialStrategyState(context.strategy),
        openedAt: undefined,
        ...freshHalfOpen,
      })),
    },
  }).createMachine({
    id: 'circuitBreaker',
    initial: 'closed',
    context: ({ input }) => {
      const options = { ...breakerDefaults, ...input };
      return {
        ...options,
        strategyState: initialStrategyState(options.strategy),
        openedAt: undefined,
        ...freshHalfOpen,
      };
    },
    states: {
      closed: {
        on: {
          SUCCESS: { actions: 'recordSuccess' },
          FAILURE: [
            { guard: 'failureTrips', target: 'open', actions: ['recordFailure', 'markOpened'] },
            { actions: 'recordFailure' },
          ],
          TRIP: { target: 'open', actions: 'markOpened' },
          ISOLATE: { target: 'isolated', actions: 'resetAll' },
          RESET: { actions: 'resetAll' },
        },
      },
      open: {
        after: {
          resetDelay: { target: 'halfOpen', actions: 'startHalfOpen' },
        },
        on: {
          // The timer may be gone (restored snapshot): the first attempt after the reset time probes.
          PROBE: {
            guard: 'resetTimeElapsed',
            target: 'halfOpen',
            actions: ['startHalfOpen', 'reserveProbe'],
          },
          // Sent once after restoring a snapshot: re-entering restarts the timer for the time left.
          RESUME: [
            { guard: 'resetTimeElapsed', target: 'halfOpen', actions: 'startHalfOpen' },
            { target: 'open', reenter: true },
          ],
          TRIP: { target: 'open', reenter: true, actions: 'markOpened' },
          ISOLATE: { target: 'isolated', actions: 'resetAll' },
          RESET: { target: 'closed', actions: 'resetAll' },
        },
      },
      halfOpen: {
        on: {
          PROBE: [
            { guard: 'probeSlotFree', actions: 'reserveProbe' },
            { guard: 'probeLeasesExpired', actions: 'reclaimAndReserveProbe' },
          ],
          SUCCESS: [
            {
              guard: and(['isProbeOutcome', 'closesAfterThisSuccess']),
              target: 'closed',
              actions: 'resetAll',
            },
            { guard: 'isProbeOutcome', actions: 'countProbeSuccess' },
          ],
          FAILURE: { guard: 'isProbeOutcome', target: 'open', actions: 'markOpened' },
          TRIP: { target: 'open', actions: 'markOpened' },
          RELEASE: { actions: 'releaseProbe' },
          ISOLATE: { target: 'isolated', actions: 'resetAll' },
          RESET: { target: 'closed', actions: 'resetAll' },
        },
      },
      isolated: {
        on: {
          RESET: { target: 'closed', actions: 'resetAll' },
        },
      },
    },
  });
}

export type CircuitBreakerMachine = ReturnType<typeof defineCircuitBreakerMachine>;

let defined: CircuitBreakerMachine | undefined;

/**
 * The circuit breaker machine (`azcore/machines` exports it as `circuitBreakerMachine`), defined on
 * its first use, like `connectionMachineOf` (connection.machine.ts). The same machine object on every call.
 *
 * @example
 * const breaker = createActor(circuitBreakerMachineOf(), { input: { resetTimeoutMs: 30_000 } }).start();
 */
export function circuitBreakerMachineOf(): CircuitBreakerMachine {
  defined ??= defineCircuitBreakerMachine();
  return defined;
}

const STATE_NAMES: readonly string[] = ['closed', 'open', 'halfOpen', 'isolated'];

/**
 * Checks a persisted snapshot and lets today's settings replace the ones it was saved with (config
 * is code, the snapshot is state). A strategy state of another kind restarts empty. Returns
 * `undefined` when `snapshot` is not an active breaker snapshot.
 */
export function resumeBreakerSnapshot(
  snapshot: Snapshot<unknown>,
  config: CircuitBreakerConfig,
): Snapshot<unknown> | undefined {
  const s = snapshot as {
    status?: unknown;
    value?: unknown;
    context?: Partial<CircuitBreakerContext> | null;
  };
  const context = s.context;
  const valid =
    s.status === 'active' &&
    typeof s.value === 'string' &&
    STATE_NAMES.includes(s.value) &&
    typeof context === 'object' &&
    context !== null &&
    typeof context.probesInFlight === 'number';
  if (!valid) return undefined;
  const kept = context.strategyState?.kind === config.strategy.kind;
  const strategyState = kept ? context.strategyState : initialStrategyState(config.strategy);
  return Object.assign({}, snapshot, { context: { ...context, ...config, strategyState } });
}
