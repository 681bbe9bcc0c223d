import { afterAll, describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, type SnapshotFrom, transition, waitFor } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import {
  type ConnectInput,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionOptions,
  type ConnectOutput,
  connectionStateName,
  type Failure,
  type FailureReason,
} from '../../machines/connection.machine.js';
import { connectionMachine as machine } from '../../machines/index.js';
import {
  allStateIds,
  allTransitions,
  coverageReport,
  formatCoverage,
  recordCoverage,
} from '../support/machineCoverage.js';

type Snap = SnapshotFrom<typeof machine>;

/** The name the runtime reports: inside `connected`, its health. */
const topState = (s: Snap): string => connectionStateName(s.value);

/** Events XState raises itself (actor done/error, delays): outside ConnectionEvent, yet sendable. */
const internal = (type: string, payload: Record<string, unknown> = {}): ConnectionEvent =>
  ({ type, ...payload }) as unknown as ConnectionEvent;

const reasons = {
  refused: { kind: 'connection', code: 'ECONNREFUSED', message: 'connection refused', retryable: true },
  closed: { kind: 'connection', code: 'TRANSPORT_CLOSED', message: 'transport closed', retryable: true },
  sessionExpired: { kind: 'connection', code: 'SESSION_EXPIRED', message: 'HTTP 404', retryable: true },
  pingTimeout: { kind: 'timeout', code: 'PING_TIMEOUT', message: 'ping timed out', retryable: true },
  unauthorized: { kind: 'auth', code: 'UNAUTHORIZED', message: 'HTTP 401', retryable: false },
  badCommand: { kind: 'connection', code: 'ENOENT', message: 'command not found', retryable: false },
  loginRequired: { kind: 'auth', code: 'AUTH_REQUIRED', message: 'needs a login', retryable: false },
  accessDenied: { kind: 'auth', code: 'OAUTH_ACCESS_DENIED', message: 'denied', retryable: false },
} satisfies Record<string, FailureReason>;

describe('connection machine: every transition on a path (xstate/graph)', () => {
  const T = 1_000_000;
  const baseInput: ConnectionInput = {
    server: 'graph',
    connectTimeoutMs: 1_000,
    // Longer than any path's time span, so no restart ever leaves the window: the restart guard then
    // depends only on restarts.length, which the state key holds. Every guard reads only key fields
    // (or the event), so two snapshots with one key take the same transitions: the key is exact.
    restartWindowMs: 365 * 24 * 3_600_000,
    failedCooldownMs: 5_000,
    pingIntervalMs: 1_000,
    backoffBaseMs: 100,
    backoffMaxMs: 400,
  };
  // Two configurations, because `ready` always has missedPings 0: its ping error goes to `degraded`
  // when maxMissedPings >= 2 and straight to `lost` only when maxMissedPings <= 1.
  const configs: ConnectionInput[] = [
    { ...baseInput, maxRestarts: 2, maxMissedPings: 2 },
    { ...baseInput, maxRestarts: 1, maxMissedPings: 1 },
    // Keepalive off: the `off` state (no timer) and its PROBE.
    { ...baseInput, maxRestarts: 1, maxMissedPings: 2, pingIntervalMs: 0 },
  ];
  const failure = (reason: FailureReason): Failure => ({ reason, at: T });
  const delayed = (delay: string, node: string): ConnectionEvent =>
    internal(`xstate.after.${delay}.connection.${node}`);

  const alphabet: ConnectionEvent[] = [
    { type: 'CONNECT', at: T },
    { type: 'RECONNECT', at: T },
    { type: 'CALL', at: T },
    { type: 'TOOLS_CHANGED' },
    { type: 'TRANSPORT_CLOSED', at: T, reason: reasons.closed },
    { type: 'SESSION_EXPIRED', at: T, reason: reasons.sessionExpired },
    { type: 'AUTH_FAILED', at: T, reason: reasons.unauthorized },
    { type: 'AUTH_STARTED' },
    { type: 'LOGIN_REQUIRED', at: T, reason: reasons.loginRequired },
    { type: 'LOGIN_STARTED' },
    { type: 'AUTHORIZATION_URL' },
    { type: 'CODE_RECEIVED' },
    { type: 'AUTHORIZED', at: T },
    { type: 'LOGIN_FAILED', at: T, reason: reasons.accessDenied },
    { type: 'PROBE' },
    { type: 'BREAKER_OPENED' },
    { type: 'BREAKER_CLOSED' },
    { type: 'CLOSE' },
    { type: 'CONNECTED', output: { at: T, era: 'modern', protocolVersion: '2026-07-28' } },
    { type: 'CONNECT_FAILED', error: failure(reasons.unauthorized) },
    { type: 'CONNECT_FAILED', error: failure(reasons.loginRequired) },
    { type: 'CONNECT_FAILED', error: failure(reasons.badCommand) },
    { type: 'CONNECT_FAILED', error: failure(reasons.refused) },
    internal('xstate.done.actor.ping', { output: { at: T } satisfies ConnectOutput }),
    internal('xstate.error.actor.ping', { error: failure(reasons.pingTimeout) }),
    internal('xstate.done.actor.refreshTools', { output: undefined }),
    internal('xstate.error.actor.refreshTools', { error: new Error('listing failed') }),
    internal('xstate.done.actor.disconnect', { output: undefined }),
    internal('xstate.error.actor.disconnect', { error: new Error('close failed') }),
    delayed('connectTimeout', 'connecting'),
    delayed('pingInterval', 'connected.keepalive.idle'),
    delayed('missedPingRecheck', 'connected.keepalive.idle'),
    delayed('reconnectDelay', 'reconnecting'),
    delayed('failedCooldown', 'failed'),
    delayed('failedCooldown', 'authorizing.needsLogin'),
  ];

  // Only events some active node declares: an unhandled actor error would put the actor in error.
  const eventsFor = (s: Snap): ConnectionEvent[] => {
    if (s.status !== 'active') return [];
    const handled = new Set(s._nodes.flatMap((node) => [...node.transitions.keys()]));
    return alphabet.filter((e) => handled.has(e.type));
  };
  const keyOf = (s: Snap): string =>
    JSON.stringify([
      s.value,
      s.status,
      s.context.restarts.length,
      s.context.missedPings,
      s.context.breakerOpen,
      s.context.era ?? null,
    ]);

  interface TestPath {
    events: ConnectionEvent[];
    /** The key the graph predicts after each event. */
    expected: string[];
  }
  const pathsFor = (input: ConnectionInput) => {
    const statePaths = getShortestPaths(machine, { input, events: eventsFor, serializeState: keyOf });
    // Shortest paths reach every state key but not every edge (a self-loop is on no shortest path):
    // extend each one by every event its end state handles, so every edge out of every key is tried.
    const testPaths: TestPath[] = statePaths.flatMap((path) => {
      const steps = path.steps.slice(1); // steps[0] is the initial state, reached by xstate.init
      const events = steps.map((step) => step.event);
      const expected = steps.map((step) => keyOf(step.state));
      const next = eventsFor(path.state);
      if (next.length === 0) return [{ events, expected }];
      return next.map((event) => ({
        events: [...events, event],
        expected: [...expected, keyOf(transition(machine, path.state, event)[0])],
      }));
    });
    return { keys: statePaths.length, testPaths };
  };

  // Raised by the keepalive region for the health region inside one macrostep, never sent from
  // outside: the replay covers their transitions through the pings that raise them.
  const RAISED = new Set(['PING_MISSED', 'PING_ANSWERED']);

  it('the event alphabet names exactly the event types the machine declares (raised ones aside)', () => {
    const declared = new Set(
      allTransitions(machine).flatMap((t) => (t.event === 'always' || RAISED.has(t.event) ? [] : [t.event])),
    );
    expect([...new Set(alphabet.map((e) => e.type))].sort()).toEqual([...declared].sort());
  });

  it('replays every path on a real actor, ends where the graph says, and covers every state and transition', () => {
    const hang = <T>(): Promise<T> => new Promise<T>(() => {});
    const inert = machine.provide({
      actors: {
        ping: fromPromise<ConnectOutput, { server: string }>(() => hang()),
        disconnect: fromPromise<void, { server: string }>(() => hang()),
        refreshTools: fromPromise<void, { server: string }>(() => hang()),
      },
    });
    const coverage = recordCoverage(machine);
    const mismatches: string[] = [];
    const errors: unknown[] = [];
    const counts: string[] = [];
    for (const input of configs) {
      const { keys, testPaths } = pathsFor(input);
      counts.push(
        `maxRestarts ${input.maxRestarts}, maxMissedPings ${input.maxMissedPings}: ${keys} state keys, ${testPaths.length} paths`,
      );
      for (const path of testPaths) {
        const actor = createActor(inert, { input, clock: new SimulatedClock(), inspect: coverage.inspect });
        actor.subscribe({ error: (e) => errors.push(e) });
        actor.start();
        path.events.forEach((event, i) => {
          actor.send(event);
          const actual = keyOf(actor.getSnapshot());
          if (actual !== path.expected[i]) {
            const trail = path.events.slice(0, i + 1).map((e) => e.type);
            mismatches.push(`${trail.join(' > ')}: expected ${path.expected[i]}, got ${actual}`);
          }
        });
        actor.stop();
      }
    }
    expect(errors).toEqual([]);
    expect(mismatches).toEqual([]);

    const report = coverageReport(machine, coverage);
    console.log([formatCoverage(machine, report), ...counts.map((c) => `  ${c}`)].join('\n'));
    expect(report.unknownTransitions).toEqual([]);
    expect(report.states.missing).toEqual([]);
    expect(report.transitions.missing).toEqual([]);
    expect(report.states.total).toBe(allStateIds(machine).length);
  }, 90_000);
});

describe('machineCoverage helper', () => {
  it('reports a declared transition that no run took', () => {
    const coverage = recordCoverage(machine);
    const actor = createActor(machine, { input: { server: 's' }, inspect: coverage.inspect });
    actor.subscribe({ error: () => {} });
    actor.start();
    actor.send({ type: 'BREAKER_OPENED' });
    actor.stop();
    const report = coverageReport(machine, coverage);
    expect([...coverage.transitions]).toEqual(['connection --BREAKER_OPENED#0--> (none)']);
    expect([...coverage.states].sort()).toEqual(['connection', 'connection.idle']);
    expect(report.transitions.missing).toContain('connection.lost --always#1--> connection.failed');
    expect(report.transitions.missing).toContain(
      'connection.connecting --CONNECT_FAILED#3[restartBudgetLeft]--> connection.reconnecting',
    );
    expect(report.transitions.covered).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Timing, on a SimulatedClock, with connect attempts and ping/disconnect actors the test settles by hand.

interface Deferred<T> {
  promise: Promise<T>;
  settled: () => boolean;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}
function deferred<T>(): Deferred<T> {
  let settled = false;
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = (value) => {
      settled = true;
      res(value);
    };
    reject = (error) => {
      settled = true;
      rej(error);
    };
  });
  return { promise, settled: () => settled, resolve, reject };
}

interface Call<I, O> {
  input: I;
  signal: AbortSignal;
  result: Deferred<O>;
}

const timingCoverage = recordCoverage(machine);
afterAll(() => {
  console.log(
    `timing tests alone: ${formatCoverage(machine, coverageReport(machine, timingCoverage)).split('\n')[0]}`,
  );
});

const timingDefaults: Partial<ConnectionOptions> = {
  connectTimeoutMs: 1_000,
  maxRestarts: 10,
  restartWindowMs: 10_000,
  failedCooldownMs: 10_000,
  pingIntervalMs: 0,
  maxMissedPings: 2,
  backoffBaseMs: 100,
  backoffMaxMs: 400,
};

function harness(options: Partial<ConnectionOptions> = {}) {
  const clock = new SimulatedClock();
  const connects: Call<ConnectInput, ConnectOutput>[] = [];
  const pings: Call<{ server: string }, ConnectOutput>[] = [];
  const disconnects: Call<{ server: string }, void>[] = [];
  const refreshes: Call<{ server: string }, void>[] = [];
  let forgotten = 0;
  const track =
    <I, O>(calls: Call<I, O>[]) =>
    ({ input, signal }: { input: I; signal: AbortSignal }): Promise<O> => {
      const result = deferred<O>();
      calls.push({ input, signal, result });
      return result.promise;
    };
  // A connect attempt is the entry and exit of `connecting`: the attempt is answered by an event
  // unless leaving `connecting` aborted it first, as the runtime does (connectionLogic.ts).
  let attempt: AbortController | undefined;
  const provided = machine.provide({
    actors: {
      ping: fromPromise(track(pings)),
      disconnect: fromPromise(track(disconnects)),
      refreshTools: fromPromise(track(refreshes)),
    },
    actions: {
      startConnect: ({ context, self }) => {
        const controller = new AbortController();
        attempt = controller;
        const input: ConnectInput = { server: context.server, attempt: context.attempt, era: context.era };
        const result = deferred<ConnectOutput>();
        connects.push({ input, signal: controller.signal, result });
        // A settled attempt is no longer current: leaving `connecting` then aborts nothing.
        const answer = (event: ConnectionEvent) => {
          if (controller.signal.aborted) return;
          attempt = undefined;
          self.send(event);
        };
        result.promise.then(
          (output) => answer({ type: 'CONNECTED', output }),
          (error: Failure) => answer({ type: 'CONNECT_FAILED', error }),
        );
      },
      cancelConnect: () => {
        attempt?.abort();
        attempt = undefined;
      },
      forgetToolList: () => {
        forgotten++;
      },
    },
  });
  const actor = createActor(provided, {
    input: { server: 's', ...timingDefaults, ...options },
    clock,
    inspect: timingCoverage.inspect,
  });
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();

  const last = <C>(calls: C[]): C => {
    const call = calls.at(-1);
    if (!call) throw new Error('no call to settle');
    return call;
  };
  const pinging = (s: Snap): boolean =>
    s.matches({ connected: { health: 'ready', keepalive: 'pinging' } }) ||
    s.matches({ connected: { health: 'degraded', keepalive: 'pinging' } });
  const settled = (predicate: (s: Snap) => boolean) => waitFor(actor, predicate, { timeout: 2_000 });
  const h = {
    clock,
    actor,
    connects,
    pings,
    disconnects,
    refreshes,
    forgotten: () => forgotten,
    errors,
    now: () => clock.now(),
    state: () => topState(actor.getSnapshot()),
    context: () => actor.getSnapshot().context,
    advance: (ms: number) => clock.increment(ms),
    send: (event: ConnectionEvent) => actor.send(event),
    connect: () => actor.send({ type: 'CONNECT', at: clock.now() }),
    async connectOk() {
      last(connects).result.resolve({ at: clock.now() });
      await settled((s) => !s.matches('connecting'));
    },
    async connectFails(reason: FailureReason) {
      last(connects).result.reject({ reason, at: clock.now() } satisfies Failure);
      await settled((s) => !s.matches('connecting'));
    },
    async pingOk() {
      last(pings).result.resolve({ at: clock.now() });
      await settled((s) => !pinging(s));
    },
    async pingFails(reason: FailureReason = reasons.pingTimeout) {
      last(pings).result.reject({ reason, at: clock.now() } satisfies Failure);
      await settled((s) => !pinging(s));
    },
    async toReady() {
      h.connect();
      await h.connectOk();
      expect(h.state()).toBe('ready');
    },
    settled,
  };
  return h;
}
type Harness = ReturnType<typeof harness>;

describe('connection machine: timing on a SimulatedClock', () => {
  it('a connect attempt that outlives connectTimeoutMs is abandoned and retried after the backoff', () => {
    const h = harness();
    h.connect();
    h.advance(999);
    expect(h.state()).toBe('connecting');
    h.advance(1);
    expect(h.state()).toBe('reconnecting');
    expect(h.connects[0]?.signal.aborted).toBe(true);
    expect(h.context().lastError?.code).toBe('CONNECT_TIMEOUT');
    // The timeout's failure time is derived (attempt start + timeout), not read from a clock.
    expect(h.context().lastFailureAt).toBe(1_000);
    expect(h.context().restarts).toEqual([1_000]);

    h.advance(100);
    expect(h.state()).toBe('connecting');
    expect(h.context().attemptStartedAt).toBe(h.now());
    h.advance(1_000);
    expect(h.context().lastFailureAt).toBe(h.now());
    expect(h.context().restarts).toEqual([1_000, 2_100]);
    expect(h.errors).toEqual([]);
  });

  it('reconnect delays grow exponentially from backoffBaseMs, capped at backoffMaxMs, and reset on ready', async () => {
    const h = harness();
    h.connect();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await h.connectFails(reasons.refused);
      expect(h.state()).toBe('reconnecting');
      const delay = h.context().reconnectDelayMs;
      delays.push(delay);
      h.advance(delay - 1);
      expect(h.state()).toBe('reconnecting');
      expect(h.connects).toHaveLength(attempt);
      h.advance(1);
      expect(h.state()).toBe('connecting');
      expect(h.connects.at(-1)?.input.attempt).toBe(attempt);
      expect(h.context().attemptStartedAt).toBe(h.now());
    }
    expect(delays).toEqual([100, 200, 400, 400]);

    await h.connectOk();
    expect(h.context().attempt).toBe(0);
    h.send({ type: 'TRANSPORT_CLOSED', at: h.now(), reason: reasons.closed });
    expect(h.context().reconnectDelayMs).toBe(100);
  });

  it('spends the restart budget, fails, and tries again after failedCooldownMs with a recovered budget', async () => {
    const h = harness({ maxRestarts: 2 });
    h.connect();
    await h.connectFails(reasons.refused); // restart 1 at t=0
    h.advance(100);
    await h.connectFails(reasons.refused); // restart 2 at t=100
    expect(h.state()).toBe('reconnecting');
    h.advance(200);
    await h.connectFails(reasons.refused); // no budget left at t=300
    expect(h.state()).toBe('failed');
    expect(h.context().restarts).toEqual([0, 100]);
    expect(h.context().lastFailureAt).toBe(300);

    h.advance(9_999);
    expect(h.state()).toBe('failed');
    expect(h.connects).toHaveLength(3);
    h.advance(1);
    expect(h.state()).toBe('connecting');
    expect(h.context().attemptStartedAt).toBe(10_300);
    await h.connectFails(reasons.refused);
    expect(h.state()).toBe('reconnecting');
    expect(h.context().restarts).toEqual([10_300]);
  });

  it.each([
    ['inside the window: failed', 0, 'failed', [0, 150]],
    ['after the window: budget recovered', 10_000, 'reconnecting', [10_250]],
  ])('a third loss %s', async (_label, wait, expected, restarts) => {
    const h = harness({ maxRestarts: 2 });
    await h.toReady();
    const lose = () => h.send({ type: 'TRANSPORT_CLOSED', at: h.now(), reason: reasons.closed });
    lose(); // t=0
    h.advance(100);
    await h.connectOk();
    h.advance(50);
    lose(); // t=150
    h.advance(100);
    await h.connectOk();
    h.advance(wait);
    lose();
    expect(h.state()).toBe(expected);
    expect(h.context().restarts).toEqual(restarts);
  });

  it('pings every pingIntervalMs while ready', async () => {
    const h = harness({ pingIntervalMs: 1_000 });
    await h.toReady();
    for (let n = 1; n <= 3; n++) {
      h.advance(999);
      expect(h.pings).toHaveLength(n - 1);
      h.advance(1);
      expect(h.pings).toHaveLength(n);
      expect(h.actor.getSnapshot().matches({ connected: { health: 'ready', keepalive: 'pinging' } })).toBe(
        true,
      );
      await h.pingOk();
      expect(h.actor.getSnapshot().matches({ connected: { health: 'ready', keepalive: 'idle' } })).toBe(true);
    }
    expect(h.pings[0]?.input).toEqual({ server: 's' });
  });

  it('never pings with pingIntervalMs 0, and a ready connection holds no timer', async () => {
    const h = harness({ pingIntervalMs: 0 });
    await h.toReady();
    // SimulatedClock's pending timeouts: keepalive `off` arms none (idle armed two that did nothing).
    expect((h.clock as unknown as { timeouts: Map<unknown, unknown> }).timeouts.size).toBe(0);
    h.advance(3_600_000);
    expect(h.pings).toHaveLength(0);
    expect(h.actor.getSnapshot().matches({ connected: { health: 'ready', keepalive: 'off' } })).toBe(true);
  });

  it('a missed ping degrades; maxMissedPings consecutive misses lose the connection and reconnect', async () => {
    const h = harness({ pingIntervalMs: 1_000, maxMissedPings: 2 });
    await h.toReady();
    h.advance(1_000);
    await h.pingFails();
    expect(h.state()).toBe('degraded');
    expect(h.context().missedPings).toBe(1);
    // A miss is checked again one backoffBaseMs (100) later, not a whole period later.
    h.advance(99);
    expect(h.pings).toHaveLength(1);
    h.advance(1);
    expect(h.pings).toHaveLength(2);
    await h.pingFails();
    expect(h.state()).toBe('reconnecting');
    expect(h.context().lastError).toEqual(reasons.pingTimeout);
    expect(h.context().restarts).toEqual([1_100]);
    h.advance(100);
    expect(h.state()).toBe('connecting');
    await h.connectOk();
    expect(h.context().missedPings).toBe(0);
  });

  it('PROBE pings at once in ready and in degraded, even with keepalive off; one ping at a time', async () => {
    const h = harness({ pingIntervalMs: 0, maxMissedPings: 3 });
    await h.toReady();
    h.send({ type: 'PROBE' });
    expect(h.pings).toHaveLength(1);
    h.send({ type: 'PROBE' });
    expect(h.pings).toHaveLength(1);
    await h.pingFails();
    expect(h.state()).toBe('degraded');
    h.send({ type: 'PROBE' });
    expect(h.pings).toHaveLength(2);
    await h.pingOk();
    expect(h.state()).toBe('ready');
    expect(h.context().missedPings).toBe(0);
    // With keepalive off and no miss, nothing pings by itself.
    h.advance(60_000);
    expect(h.pings).toHaveLength(2);
  });

  it('a ping that answers in degraded restores ready', async () => {
    const h = harness({ pingIntervalMs: 1_000, maxMissedPings: 2 });
    await h.toReady();
    h.advance(1_000);
    await h.pingFails();
    h.advance(1_000);
    await h.pingOk();
    expect(h.state()).toBe('ready');
    expect(h.context().missedPings).toBe(0);
  });

  it.each([
    [1, 1],
    [3, 3],
  ])('with maxMissedPings %i the connection is lost on miss number %i', async (maxMissedPings, lostAt) => {
    const h = harness({ pingIntervalMs: 1_000, maxMissedPings });
    await h.toReady();
    for (let miss = 1; miss < lostAt; miss++) {
      h.advance(1_000);
      await h.pingFails();
      expect(h.state()).toBe('degraded');
    }
    h.advance(1_000);
    await h.pingFails();
    expect(h.state()).toBe('reconnecting');
  });

  it('SESSION_EXPIRED reconnects: reconnecting, then connecting after the backoff', async () => {
    const h = harness();
    await h.toReady();
    h.advance(5_000);
    h.send({ type: 'SESSION_EXPIRED', at: h.now(), reason: reasons.sessionExpired });
    expect(h.state()).toBe('reconnecting');
    expect(h.context().lastError).toEqual(reasons.sessionExpired);
    expect(h.context().restarts).toEqual([5_000]);
    h.advance(100);
    expect(h.state()).toBe('connecting');
    expect(h.connects).toHaveLength(2);
    expect(h.connects[1]?.input).toEqual({ server: 's', attempt: 1 });
  });

  it('AUTH_FAILED parks in authFailed with no retry until RECONNECT', async () => {
    const h = harness({ pingIntervalMs: 1_000 });
    await h.toReady();
    h.send({ type: 'AUTH_FAILED', at: h.now(), reason: reasons.unauthorized });
    expect(h.state()).toBe('authFailed');
    expect(h.context().lastError).toEqual(reasons.unauthorized);
    h.advance(24 * 3_600_000);
    expect(h.state()).toBe('authFailed');
    expect(h.connects).toHaveLength(1);
    expect(h.pings).toHaveLength(0);
    h.send({ type: 'RECONNECT', at: h.now() });
    expect(h.state()).toBe('connecting');
    expect(h.connects.at(-1)?.input.attempt).toBe(0);
  });

  it('an auth error from connect goes to authFailed without spending the restart budget', async () => {
    const h = harness();
    h.connect();
    await h.connectFails({ ...reasons.unauthorized, retryable: true });
    expect(h.state()).toBe('authFailed');
    expect(h.context().restarts).toEqual([]);
    h.advance(24 * 3_600_000);
    expect(h.state()).toBe('authFailed');
    expect(h.connects).toHaveLength(1);
    h.send({ type: 'RECONNECT', at: h.now() });
    await h.connectOk();
    expect(h.state()).toBe('ready');
  });

  it('a permanent (retryable: false) connect error fails at once, then waits out the cooldown', async () => {
    const h = harness();
    h.connect();
    await h.connectFails(reasons.badCommand);
    expect(h.state()).toBe('failed');
    expect(h.context().restarts).toEqual([]);
    expect(h.context().lastError).toEqual(reasons.badCommand);
    h.advance(9_999);
    expect(h.connects).toHaveLength(1);
    h.advance(1);
    expect(h.state()).toBe('connecting');
  });

  it('BREAKER_OPENED in ready degrades; BREAKER_CLOSED restores ready', async () => {
    const h = harness();
    await h.toReady();
    h.send({ type: 'BREAKER_OPENED' });
    expect(h.state()).toBe('degraded');
    expect(h.context().breakerOpen).toBe(true);
    h.send({ type: 'BREAKER_CLOSED' });
    expect(h.state()).toBe('ready');
    expect(h.context().breakerOpen).toBe(false);
  });

  it('with the breaker open a good ping keeps degraded; after a missed ping BREAKER_CLOSED waits for a good ping', async () => {
    const h = harness({ pingIntervalMs: 1_000, maxMissedPings: 3 });
    await h.toReady();
    h.send({ type: 'BREAKER_OPENED' });
    h.advance(1_000);
    await h.pingOk();
    expect(h.actor.getSnapshot().matches({ connected: { health: 'degraded', keepalive: 'idle' } })).toBe(
      true,
    );
    h.advance(1_000);
    await h.pingFails();
    h.send({ type: 'BREAKER_CLOSED' });
    expect(h.state()).toBe('degraded');
    h.advance(1_000);
    await h.pingOk();
    expect(h.state()).toBe('ready');
  });

  type StateMatch = Parameters<Snap['matches']>[0];
  const reach: [string, StateMatch, (h: Harness) => Promise<void>][] = [
    ['idle', 'idle', async () => {}],
    ['connecting', 'connecting', async (h) => h.connect()],
    ['ready', { connected: { health: 'ready' } }, (h) => h.toReady()],
    [
      'ready, keepalive pinging',
      { connected: { health: 'ready', keepalive: 'pinging' } },
      async (h) => {
        await h.toReady();
        h.advance(1_000);
      },
    ],
    [
      'degraded',
      { connected: { health: 'degraded' } },
      async (h) => {
        await h.toReady();
        h.send({ type: 'BREAKER_OPENED' });
      },
    ],
    [
      'degraded, keepalive pinging',
      { connected: { health: 'degraded', keepalive: 'pinging' } },
      async (h) => {
        await h.toReady();
        h.send({ type: 'BREAKER_OPENED' });
        h.advance(1_000);
      },
    ],
    [
      'reconnecting',
      'reconnecting',
      async (h) => {
        await h.toReady();
        h.send({ type: 'TRANSPORT_CLOSED', at: h.now(), reason: reasons.closed });
      },
    ],
    [
      'authFailed',
      'authFailed',
      async (h) => {
        h.connect();
        await h.connectFails(reasons.unauthorized);
      },
    ],
    [
      'failed',
      'failed',
      async (h) => {
        h.connect();
        await h.connectFails(reasons.badCommand);
      },
    ],
    ['closing', 'closing', async (h) => h.send({ type: 'CLOSE' })],
  ];

  it.each(reach)(
    'CLOSE from %s: closing, the disconnect actor runs once, then closed',
    async (_name, at, go) => {
      const h = harness({ pingIntervalMs: 1_000 });
      await go(h);
      expect(h.actor.getSnapshot().matches(at)).toBe(true);
      h.send({ type: 'CLOSE' });
      expect(h.state()).toBe('closing');
      expect(h.disconnects).toHaveLength(1);
      expect(h.disconnects[0]?.input).toEqual({ server: 's' });
      // An attempt or ping still in flight is cancelled.
      for (const call of [...h.connects, ...h.pings])
        expect(call.signal.aborted).toBe(!call.result.settled());
      h.disconnects[0]?.result.resolve();
      await h.settled((s) => s.status === 'done');
      expect(h.actor.getSnapshot().value).toBe('closed');
      const calls = h.connects.length + h.pings.length;
      h.advance(24 * 3_600_000);
      expect(h.connects.length + h.pings.length).toBe(calls);
      expect(h.errors).toEqual([]);
    },
  );

  it('CALL wakes an idle connection: connecting, as CONNECT does', () => {
    const h = harness();
    h.advance(500);
    h.send({ type: 'CALL', at: h.now() });
    expect(h.state()).toBe('connecting');
    expect(h.connects).toHaveLength(1);
    expect(h.context().attemptStartedAt).toBe(500);
  });

  it('the first connect enters negotiatingEra straight from idle, where choosingEra leads with no era known', async () => {
    const h = harness();
    expect(h.actor.getSnapshot().value).toBe('idle');
    h.connect();
    expect(h.actor.getSnapshot().value).toEqual({ connecting: 'negotiatingEra' });
    expect(h.connects[0]?.input).toEqual({ server: 's', attempt: 0, era: undefined });
    // A later attempt with no era known goes through choosingEra and ends in the same state and input.
    await h.connectFails(reasons.refused);
    h.advance(1_000);
    expect(h.actor.getSnapshot().value).toEqual({ connecting: 'negotiatingEra' });
    expect(h.connects[1]?.input).toEqual({ server: 's', attempt: 1, era: undefined });
  });

  it('CALL wakes a failed connection at once, with a fresh restart budget; elsewhere it changes nothing', async () => {
    const h = harness({ maxRestarts: 1 });
    h.connect();
    await h.connectFails(reasons.refused); // restart 1 at t=0
    h.send({ type: 'CALL', at: h.now() });
    expect(h.state()).toBe('reconnecting'); // a call waits for the backoff, it does not cut it short
    h.advance(100);
    await h.connectFails(reasons.refused); // budget spent: failed
    expect(h.state()).toBe('failed');
    expect(h.context().restarts).toEqual([0]);
    h.advance(1_000);
    h.send({ type: 'CALL', at: h.now() });
    expect(h.state()).toBe('connecting');
    expect(h.context().restarts).toEqual([]);
    expect(h.context().attempt).toBe(0);
    expect(h.context().attemptStartedAt).toBe(1_100);
    // The failure that put it in `failed` stays the last error until it connects.
    expect(h.context().lastError).toEqual(reasons.refused);
    await h.connectOk();
    expect(h.context().lastError).toBeUndefined();
    const connects = h.connects.length;
    h.send({ type: 'CALL', at: h.now() });
    expect(h.state()).toBe('ready');
    expect(h.connects).toHaveLength(connects);
  });

  it('lastError is assigned on each failure transition and cleared on connect', async () => {
    const h = harness();
    expect(h.context().lastError).toBeUndefined();
    h.connect();
    await h.connectFails(reasons.refused);
    expect(h.context().lastError).toEqual(reasons.refused);
    h.advance(100);
    await h.connectOk();
    expect(h.context().lastError).toBeUndefined();
    h.send({ type: 'TRANSPORT_CLOSED', at: h.now(), reason: reasons.closed });
    expect(h.context().lastError).toEqual(reasons.closed);
    h.advance(100);
    await h.connectOk();
    h.send({ type: 'LOGIN_REQUIRED', at: h.now(), reason: reasons.loginRequired });
    expect(h.state()).toBe('authorizing');
    expect(h.context().lastError).toEqual(reasons.loginRequired);
    h.send({ type: 'LOGIN_STARTED' });
    h.send({ type: 'LOGIN_FAILED', at: h.now(), reason: reasons.accessDenied });
    expect(h.state()).toBe('authFailed');
    expect(h.context().lastError).toEqual(reasons.accessDenied);
  });

  it('TOOLS_CHANGED refetches the tool list; one more change while fetching fetches once more, several only once', async () => {
    const h = harness();
    const tools = () => (h.actor.getSnapshot().value as { connected?: { tools: unknown } }).connected?.tools;
    h.send({ type: 'TOOLS_CHANGED' }); // not connected: nothing to refresh
    await h.toReady();
    expect(tools()).toBe('listed');
    expect(h.refreshes).toHaveLength(0);
    h.send({ type: 'TOOLS_CHANGED' });
    expect(tools()).toEqual({ refreshing: 'fetching' });
    expect(h.refreshes).toHaveLength(1);
    expect(h.refreshes[0]?.input).toEqual({ server: 's' });
    h.send({ type: 'TOOLS_CHANGED' });
    h.send({ type: 'TOOLS_CHANGED' });
    expect(tools()).toEqual({ refreshing: 'outdated' });
    // The fetch in flight is not cut short: it may have the newer list already.
    expect(h.refreshes[0]?.signal.aborted).toBe(false);
    h.refreshes[0]?.result.resolve();
    await h.settled(() => h.refreshes.length === 2);
    expect(tools()).toEqual({ refreshing: 'fetching' });
    h.refreshes[1]?.result.resolve();
    await h.settled(() => tools() === 'listed');
    expect(h.refreshes).toHaveLength(2);
    // A failed fetch is left for the next change (or the next listTools()) to retry.
    h.send({ type: 'TOOLS_CHANGED' });
    h.refreshes[2]?.result.reject(new Error('listing failed'));
    await h.settled(() => tools() === 'listed');
    expect(h.state()).toBe('ready');
    // Leaving `connected` cancels a fetch in flight.
    h.send({ type: 'TOOLS_CHANGED' });
    h.send({ type: 'TRANSPORT_CLOSED', at: h.now(), reason: reasons.closed });
    expect(h.refreshes[3]?.signal.aborted).toBe(true);
    expect(h.errors).toEqual([]);
  });

  it('forgetToolList runs when a connect succeeds and when the transport closes, not on other losses', async () => {
    const h = harness({ pingIntervalMs: 0 });
    await h.toReady();
    expect(h.forgotten()).toBe(1);
    h.send({ type: 'TRANSPORT_CLOSED', at: h.now(), reason: reasons.closed });
    expect(h.forgotten()).toBe(2);
    h.advance(100);
    await h.connectOk();
    expect(h.forgotten()).toBe(3);
    h.send({ type: 'AUTH_FAILED', at: h.now(), reason: reasons.unauthorized });
    expect(h.forgotten()).toBe(3);
  });

  it('a failing disconnect still ends in closed', async () => {
    const h = harness();
    await h.toReady();
    h.send({ type: 'CLOSE' });
    h.disconnects[0]?.result.reject(new Error('kill failed'));
    await h.settled((s) => s.status === 'done');
    expect(h.actor.getSnapshot().value).toBe('closed');
    expect(h.errors).toEqual([]);
  });
});

describe('connection machine: context shared across connections', () => {
  it('connections made alike share one frozen options object; different options get their own; restarts start shared and empty', () => {
    const a = createActor(machine, { input: { server: 'a', connectTimeoutMs: 5_000 } }).start();
    const b = createActor(machine, { input: { server: 'b', connectTimeoutMs: 5_000 } }).start();
    const c = createActor(machine, { input: { server: 'c', connectTimeoutMs: 6_000 } }).start();
    const options = (actor: typeof a) => actor.getSnapshot().context.options;
    expect(options(b)).toBe(options(a));
    expect(Object.isFrozen(options(a))).toBe(true);
    expect(options(c)).not.toBe(options(a));
    expect(options(c).connectTimeoutMs).toBe(6_000);
    expect(options(a).connectTimeoutMs).toBe(5_000);
    expect(a.getSnapshot().context.restarts).toBe(b.getSnapshot().context.restarts);
    expect(a.getSnapshot().context.restarts).toEqual([]);
    for (const actor of [a, b, c]) actor.stop();
  });
});
