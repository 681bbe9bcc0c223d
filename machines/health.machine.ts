import { assign, fromPromise, setup } from 'xstate';

/**
 * A health checker as a pure statechart. The runtime (src/observe/HealthChecker.ts) provides
 * `runChecks`; the machine decides the verdict and when to check again.
 *
 *   idle --CHECK/START--> checking --done--> healthy | degraded | unhealthy --interval--> checking
 *
 * `START` turns periodic checking on (every `intervalMs`, on the actor's clock); `CHECK` asks for one
 * check now (ignored while one runs: the caller joins it); `STOP` ends the actor.
 */

export type HealthCheckStatus = 'pass' | 'warn' | 'fail';
export type HealthVerdict = 'healthy' | 'degraded' | 'unhealthy';

/** What `runChecks` resolves with: at least a status per named check. */
export interface HealthChecksOutput {
  checks: Record<string, { status: HealthCheckStatus }>;
}

export interface HealthContext {
  intervalMs: number;
  /** True after START: result states schedule the next check. */
  periodic: boolean;
  status: HealthVerdict | 'unknown';
  /** Checks finished so far; a caller waits for it to move past the value it saw. */
  completed: number;
  /** Names of the checks that did not pass in the latest run. */
  failing: string[];
}

export interface HealthInput {
  /** Pause between periodic checks; 0 checks only on demand. */
  intervalMs: number;
}

export type HealthEvent = { type: 'CHECK' } | { type: 'START' } | { type: 'STOP' };

/**
 * The verdict of a set of checks: any `fail` is unhealthy, any `warn` degraded, otherwise healthy.
 *
 * @example healthVerdict({ servers: { status: 'warn' }, tools: { status: 'pass' } }) // 'degraded'
 */
export function healthVerdict(checks: Record<string, { status: HealthCheckStatus }>): HealthVerdict {
  const statuses = Object.values(checks).map((c) => c.status);
  if (statuses.includes('fail')) return 'unhealthy';
  if (statuses.includes('warn')) return 'degraded';
  return 'healthy';
}

const outputOf = (event: unknown): HealthChecksOutput => (event as { output: HealthChecksOutput }).output;
const verdictOf = (event: unknown): HealthVerdict => healthVerdict(outputOf(event).checks);

/**
 * A verdict state: with periodic checking on, wait `interval` and check again; otherwise rest (no
 * timer is left pending, so an on-demand checker never keeps a process alive).
 */
const settled = {
  initial: 'deciding',
  states: {
    deciding: { always: [{ guard: 'periodic', target: 'waiting' }, { target: 'resting' }] },
    waiting: { after: { interval: { target: '#health.checking' } } },
    resting: {},
  },
  on: {
    CHECK: { target: '#health.checking' },
    START: { target: '#health.checking', actions: 'startPeriodic' },
  },
} as const;

export const healthMachine = setup({
  types: {
    context: {} as HealthContext,
    events: {} as HealthEvent,
    input: {} as HealthInput,
  },
  actors: {
    runChecks: fromPromise<HealthChecksOutput, void>(async () => {
      throw new Error('runChecks not provided');
    }),
  },
  delays: {
    interval: ({ context }) => context.intervalMs,
  },
  guards: {
    periodic: ({ context }) => context.periodic && context.intervalMs > 0,
    allPass: ({ event }) => verdictOf(event) === 'healthy',
    someFail: ({ event }) => verdictOf(event) === 'unhealthy',
  },
  actions: {
    startPeriodic: assign({ periodic: true }),
    recordResult: assign({
      status: ({ event }) => verdictOf(event),
      completed: ({ context }) => context.completed + 1,
      failing: ({ event }) =>
        Object.entries(outputOf(event).checks)
          .filter(([, c]) => c.status !== 'pass')
          .map(([name]) => name),
    }),
    /** A check that could not run at all is a failure of the checker itself. */
    recordCrash: assign({
      status: 'unhealthy',
      completed: ({ context }) => context.completed + 1,
      failing: ['checker'],
    }),
  },
}).createMachine({
  id: 'health',
  context: ({ input }) => ({
    intervalMs: input.intervalMs,
    periodic: false,
    status: 'unknown',
    completed: 0,
    failing: [],
  }),
  initial: 'idle',
  on: { STOP: '.stopped' },
  states: {
    idle: {
      on: {
        CHECK: 'checking',
        START: { target: 'checking', actions: 'startPeriodic' },
      },
    },
    checking: {
      on: { START: { actions: 'startPeriodic' } },
      invoke: {
        src: 'runChecks',
        onDone: [
          { guard: 'allPass', target: 'healthy', actions: 'recordResult' },
          { guard: 'someFail', target: 'unhealthy', actions: 'recordResult' },
          { target: 'degraded', actions: 'recordResult' },
        ],
        onError: { target: 'unhealthy', actions: 'recordCrash' },
      },
    },
    healthy: settled,
    degraded: settled,
    unhealthy: settled,
    stopped: { type: 'final' },
  },
});

export type HealthMachine = typeof healthMachine;
