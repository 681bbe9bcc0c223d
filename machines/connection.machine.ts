import { assign, fromPromise, raise, setup, stateIn } from 'xstate';

/**
 * The lifecycle of one MCP server connection, as a pure statechart. The runtime
 * (src/actors/connectionLogic.ts) provides the `ping`, `refreshTools` and `disconnect` actors, the
 * `startConnect`/`cancelConnect` and `forgetToolList` actions, and feeds it what the transport
 * observes (process exit, 404, 401, list_changed) and what calls need (CALL). Every event that needs
 * the time carries `at` (epoch ms from the runtime's clock), so the machine stays pure.
 *
 * A connect attempt is the entry and exit of `connecting`, answered by CONNECTED or CONNECT_FAILED,
 * not an invoked actor: an actor per attempt (created, started, stopped, its done event relayed) was
 * a large share of the CPU of connecting many servers at once (bench/scale.ts).
 *
 * Policies that live here, not in the runtime: a waiting call wakes an `idle` or `failed`
 * connection (CALL); `lastError` is the failure that put the connection in its current state
 * (assigned by `recordFailure` on the failure transitions, cleared by `markConnected`); a server's
 * list_changed refetches its tool list (the `tools` region of `connected`), and a renewed or lost
 * connection forgets the cached list (`forgetToolList`).
 */

/** JSON-safe error facts (the shape of azcore's ErrorSummary; machines import nothing of ours). */
export interface FailureReason {
  kind: string;
  code: string;
  message: string;
  retryable: boolean;
}

/** What CONNECT_FAILED carries and the `ping` actor must reject with (anything else is stamped with a stale time). */
export interface Failure {
  reason: FailureReason;
  at: number;
}

/** The MCP protocol era a connection speaks: 2025 (`initialize`) or 2026-07-28 and later (`server/discover`). */
export type ProtocolEra = 'legacy' | 'modern';

export interface ConnectOutput {
  at: number;
  /** The era the connect settled on, remembered so a reconnect does not probe again. */
  era?: ProtocolEra | undefined;
  protocolVersion?: string | undefined;
}

/** What a connect attempt gets: `era` is known after a first success (no probe), else undefined. */
export interface ConnectInput {
  server: string;
  attempt: number;
  era: ProtocolEra | undefined;
}

export interface ConnectionOptions {
  /** Give up one connect attempt after this long. */
  connectTimeoutMs: number;
  /** At most `maxRestarts` reconnects within `restartWindowMs`, then `failed`. */
  maxRestarts: number;
  restartWindowMs: number;
  /** From `failed`, try once more after this long (the restart budget has recovered by then). */
  failedCooldownMs: number;
  /** Keepalive ping period; 0 turns keepalive off (stdio: process exit is detected directly). */
  pingIntervalMs: number;
  /**
   * Consecutive missed pings before the connection is declared lost (earlier misses: degraded, where
   * the next ping comes one `backoffBaseMs` after a miss instead of a whole period later).
   */
  maxMissedPings: number;
  /** Reconnect backoff bounds, used by the default `planReconnect` (exponential). */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface ConnectionContext {
  server: string;
  /**
   * The input's options with their defaults, in an object of their own: XState copies the context
   * on every `assign` (`Object.assign({}, context, update)`), and V8 turns a copy with more than 16
   * properties into a slow dictionary object (about 0.8 KiB per connection, and slower transitions).
   */
  options: ConnectionOptions;
  /** Reconnect attempts since the last `ready`. */
  attempt: number;
  /** Delay chosen for the pending reconnect. */
  reconnectDelayMs: number;
  /** Times (epoch ms) of recent restarts, pruned to the restart window (replaced, never changed in place). */
  restarts: readonly number[];
  missedPings: number;
  breakerOpen: boolean;
  /**
   * The failure that put the connection in its current state: set by `recordFailure` on every
   * failure transition, cleared by `markConnected`. The runtime reports it as `lastError`.
   */
  lastError: FailureReason | undefined;
  /** Clock time of the last failure, and of the start of the current connect attempt. Derived from
   * event timestamps plus the delays the machine itself waited, so no clock is read here. */
  lastFailureAt: number;
  attemptStartedAt: number;
  connectedAt: number | undefined;
  /** Negotiated on the first successful connect and kept across reconnects; undefined until then. */
  era: ProtocolEra | undefined;
  protocolVersion: string | undefined;
}

export type ConnectionInput = { server: string } & Partial<ConnectionOptions>;

export type ConnectionEvent =
  | { type: 'CONNECT'; at: number }
  | { type: 'RECONNECT'; at: number }
  /** The attempt `startConnect` began succeeded (sent only while that attempt is current). */
  | { type: 'CONNECTED'; output: ConnectOutput }
  /** The attempt `startConnect` began failed (sent only while that attempt is current). */
  | { type: 'CONNECT_FAILED'; error: Failure }
  /** A call is waiting for the connection: wakes an `idle` or `failed` one (ignored elsewhere). */
  | { type: 'CALL'; at: number }
  /** The server announced that its tool list changed (`notifications/tools/list_changed`). */
  | { type: 'TOOLS_CHANGED' }
  | { type: 'TRANSPORT_CLOSED'; at: number; reason: FailureReason }
  | { type: 'SESSION_EXPIRED'; at: number; reason: FailureReason }
  | { type: 'AUTH_FAILED'; at: number; reason: FailureReason }
  /** The server answered 401 inside a connect attempt: OAuth discovery / a grant runs in it. */
  | { type: 'AUTH_STARTED' }
  /** A live connection's credential can no longer be renewed (refresh refused, tokens gone). */
  | { type: 'LOGIN_REQUIRED'; at: number; reason: FailureReason }
  /** A login began (azcore auth login, an app's onAuthorizationUrl): discovery and registration. */
  | { type: 'LOGIN_STARTED' }
  /** The authorization URL is ready for the person (it is kept by the runtime, not in the event). */
  | { type: 'AUTHORIZATION_URL' }
  /** The redirect brought an authorization code (kept by the runtime, never in an event). */
  | { type: 'CODE_RECEIVED' }
  /** Tokens were obtained: connect with them. */
  | { type: 'AUTHORIZED'; at: number }
  | { type: 'LOGIN_FAILED'; at: number; reason: FailureReason }
  /** The transport saw the server go quiet (its event stream dropped): ping now, not at the next period. */
  | { type: 'PROBE' }
  /** Raised by the keepalive region for the health region: a ping went unanswered / was answered. */
  | { type: 'PING_MISSED' }
  | { type: 'PING_ANSWERED' }
  | { type: 'BREAKER_OPENED' }
  | { type: 'BREAKER_CLOSED' }
  | { type: 'CLOSE' };

export const connectionDefaults: ConnectionOptions = {
  connectTimeoutMs: 30_000,
  maxRestarts: 5,
  restartWindowMs: 60_000,
  failedCooldownMs: 60_000,
  pingIntervalMs: 0,
  maxMissedPings: 2,
  backoffBaseMs: 250,
  backoffMaxMs: 30_000,
};

const asFailure = (error: unknown, fallbackAt: number): Failure => {
  const f = error as Partial<Failure> | undefined;
  if (f && typeof f === 'object' && f.reason && typeof f.at === 'number') return f as Failure;
  const message = error instanceof Error ? error.message : String(error);
  return { reason: { kind: 'connection', code: 'UNKNOWN', message, retryable: true }, at: fallbackAt };
};

const failureOf = (context: ConnectionContext, event: unknown): Failure => {
  const e = event as { type: string; error?: unknown; reason?: FailureReason; at?: number };
  if ('error' in e) return asFailure(e.error, context.attemptStartedAt);
  if (e.reason && typeof e.at === 'number') return { reason: e.reason, at: e.at };
  return {
    reason: {
      kind: 'timeout',
      code: 'CONNECT_TIMEOUT',
      message: `The connect attempt timed out after ${context.options.connectTimeoutMs} ms.`,
      retryable: true,
    },
    at: context.attemptStartedAt + context.options.connectTimeoutMs,
  };
};

/** The restarts of a connection that has not restarted: one frozen array for all of them. */
const NO_RESTARTS: readonly number[] = Object.freeze([]);

let lastOptions: ConnectionOptions | undefined;

/**
 * `built`, or the options of the previous connection when every value is the same: the machine
 * never changes its options, so connections made alike (a team's, a fleet's) share one frozen
 * object instead of holding a copy each.
 */
function sharedOptions(built: ConnectionOptions): ConnectionOptions {
  const last = lastOptions;
  if (
    last &&
    last.connectTimeoutMs === built.connectTimeoutMs &&
    last.maxRestarts === built.maxRestarts &&
    last.restartWindowMs === built.restartWindowMs &&
    last.failedCooldownMs === built.failedCooldownMs &&
    last.pingIntervalMs === built.pingIntervalMs &&
    last.maxMissedPings === built.maxMissedPings &&
    last.backoffBaseMs === built.backoffBaseMs &&
    last.backoffMaxMs === built.backoffMaxMs
  ) {
    return last;
  }
  lastOptions = Object.freeze(built);
  return lastOptions;
}

const recentRestarts = (context: ConnectionContext, at: number): number[] =>
  context.restarts.filter((t) => at - t < context.options.restartWindowMs);

function defineConnectionMachine() {
  return setup({
    types: {
      context: {} as ConnectionContext,
      events: {} as ConnectionEvent,
      input: {} as ConnectionInput,
    },
    actors: {
      ping: fromPromise<ConnectOutput, { server: string }>(async () => {
        throw new Error('ping actor not provided');
      }),
      disconnect: fromPromise<void, { server: string }>(async () => {}),
      /** Fetches the tool list again (and announces it); the runtime keeps the list. */
      refreshTools: fromPromise<void, { server: string }>(async () => {}),
    },
    guards: {
      isAuthFailure: ({ context, event }) => failureOf(context, event).reason.kind === 'auth',
      /** No usable token and only a person can get one (an authorization-code login). */
      needsLogin: ({ context, event }) => failureOf(context, event).reason.code === 'AUTH_REQUIRED',
      isPermanentFailure: ({ context, event }) => !failureOf(context, event).reason.retryable,
      restartBudgetLeft: ({ context, event }) =>
        recentRestarts(context, failureOf(context, event).at).length < context.options.maxRestarts,
      keepaliveEnabled: ({ context }) => context.options.pingIntervalMs > 0,
      tooManyMissedPings: ({ context }) => context.missedPings + 1 >= context.options.maxMissedPings,
      breakerClosed: ({ context }) => !context.breakerOpen,
      noMissedPings: ({ context }) => context.missedPings === 0,
      missedAPing: ({ context }) => context.missedPings > 0,
      eraKnown: ({ context }) => context.era !== undefined,
      /** Another list_changed arrived while the list was being fetched: that list may be old already. */
      toolsChangedMeanwhile: stateIn('#connection.connected.tools.refreshing.outdated'),
    },
    actions: {
      /**
       * Begins one connect attempt with {@link ConnectInput} from the context; the runtime answers
       * CONNECTED or CONNECT_FAILED, unless `cancelConnect` ran first.
       */
      startConnect: () => {},
      /** Leaving `connecting` before an answer (close, timeout, reconnect): abort the attempt, drop its answer. */
      cancelConnect: () => {},
      recordFailure: assign(({ context, event }) => {
        const failure = failureOf(context, event);
        return { lastError: failure.reason, lastFailureAt: failure.at };
      }),
      startAttemptAt: assign({ attemptStartedAt: ({ event }) => (event as { at: number }).at }),
      startAttemptAfterBackoff: assign({
        attemptStartedAt: ({ context }) => context.lastFailureAt + context.reconnectDelayMs,
      }),
      startAttemptAfterCooldown: assign({
        attemptStartedAt: ({ context }) => context.lastFailureAt + context.options.failedCooldownMs,
      }),
      recordRestart: assign({
        restarts: ({ context, event }) => {
          const at = failureOf(context, event).at;
          return [...recentRestarts(context, at), at];
        },
      }),
      /** Chooses the next reconnect delay. The runtime provides a jittered one; this is plain exponential. */
      planReconnect: assign({
        attempt: ({ context }) => context.attempt + 1,
        reconnectDelayMs: ({ context }) =>
          Math.min(
            context.options.backoffMaxMs,
            context.options.backoffBaseMs * 2 ** Math.min(context.attempt, 30),
          ),
      }),
      markConnected: assign({
        attempt: 0,
        missedPings: 0,
        lastError: undefined,
        connectedAt: ({ event }) => (event as { output?: ConnectOutput }).output?.at,
        era: ({ context, event }) => (event as { output?: ConnectOutput }).output?.era ?? context.era,
        protocolVersion: ({ context, event }) =>
          (event as { output?: ConnectOutput }).output?.protocolVersion ?? context.protocolVersion,
      }),
      /** A protocol failure with a remembered era (the server was up- or downgraded): probe next time. */
      forgetEraOnProtocolFailure: assign(({ context, event }) =>
        failureOf(context, event).reason.kind === 'protocol'
          ? { era: undefined, protocolVersion: undefined }
          : {},
      ),
      countMissedPing: assign({ missedPings: ({ context }) => context.missedPings + 1 }),
      clearMissedPings: assign({ missedPings: 0 }),
      markBreakerOpen: assign({ breakerOpen: true }),
      markBreakerClosed: assign({ breakerOpen: false }),
      /** An explicit reconnect (a person or a new call asked) starts with a full restart budget. */
      resetRestartsOnRequest: assign({ restarts: NO_RESTARTS, attempt: 0 }),
      /** The cached tool list no longer holds (a new connection, or the transport is gone): the runtime drops it. */
      forgetToolList: () => {},
    },
    delays: {
      connectTimeout: ({ context }) => context.options.connectTimeoutMs,
      reconnectDelay: ({ context }) => context.reconnectDelayMs,
      pingInterval: ({ context }) => context.options.pingIntervalMs,
      /** A missed ping is checked again soon (one backoff step), not a whole period later. */
      missedPingRecheck: ({ context }) => context.options.backoffBaseMs,
      failedCooldown: ({ context }) => context.options.failedCooldownMs,
    },
  }).createMachine({
    id: 'connection',
    // One literal, no spread: `{ ...defaults, ...input, more }` redefines keys, a slow path of V8 (about
    // 20 µs per connection on Node 20 against 0.1 µs), and would carry unknown input keys into context.
    context: ({ input }) => ({
      server: input.server,
      options: sharedOptions({
        connectTimeoutMs: input.connectTimeoutMs ?? connectionDefaults.connectTimeoutMs,
        maxRestarts: input.maxRestarts ?? connectionDefaults.maxRestarts,
        restartWindowMs: input.restartWindowMs ?? connectionDefaults.restartWindowMs,
        failedCooldownMs: input.failedCooldownMs ?? connectionDefaults.failedCooldownMs,
        pingIntervalMs: input.pingIntervalMs ?? connectionDefaults.pingIntervalMs,
        maxMissedPings: input.maxMissedPings ?? connectionDefaults.maxMissedPings,
        backoffBaseMs: input.backoffBaseMs ?? connectionDefaults.backoffBaseMs,
        backoffMaxMs: input.backoffMaxMs ?? connectionDefaults.backoffMaxMs,
      }),
      attempt: 0,
      reconnectDelayMs: 0,
      restarts: NO_RESTARTS,
      missedPings: 0,
      breakerOpen: false,
      lastError: undefined,
      lastFailureAt: 0,
      attemptStartedAt: 0,
      connectedAt: undefined,
      era: undefined,
      protocolVersion: undefined,
    }),
    initial: 'idle',
    on: {
      CLOSE: '.closing',
      BREAKER_OPENED: { actions: 'markBreakerOpen' },
      BREAKER_CLOSED: { actions: 'markBreakerClosed' },
    },
    states: {
      // Nothing has connected yet, so no era is known: the first attempt negotiates. Targeting that
      // state spares every first connect `choosingEra`'s eventless step (a microstep: about a third of
      // the machine's allocation on CONNECT, bench/scale.ts).
      idle: {
        on: {
          CONNECT: { target: 'connecting.negotiatingEra', actions: 'startAttemptAt' },
          CALL: { target: 'connecting.negotiatingEra', actions: 'startAttemptAt' },
        },
      },
      /** One connect attempt: the first negotiates the era (server/discover probe, 2025 fallback); later ones reuse it. */
      connecting: {
        initial: 'choosingEra',
        states: {
          choosingEra: {
            always: [{ guard: 'eraKnown', target: 'resumingEra' }, { target: 'negotiatingEra' }],
          },
          negotiatingEra: {},
          resumingEra: {},
          /** The server answered 401: discovery, a refresh or a client-credentials grant, inside this attempt. */
          authorizing: {},
        },
        entry: 'startConnect',
        exit: 'cancelConnect',
        on: {
          AUTH_STARTED: '.authorizing',
          CONNECTED: [
            {
              guard: 'breakerClosed',
              target: '#connection.connected.health.ready',
              actions: ['markConnected', 'forgetToolList'],
            },
            { target: '#connection.connected.health.degraded', actions: ['markConnected', 'forgetToolList'] },
          ],
          CONNECT_FAILED: [
            { guard: 'needsLogin', target: 'authorizing', actions: 'recordFailure' },
            { guard: 'isAuthFailure', target: 'authFailed', actions: 'recordFailure' },
            {
              guard: 'isPermanentFailure',
              target: 'failed',
              actions: ['recordFailure', 'forgetEraOnProtocolFailure'],
            },
            {
              guard: 'restartBudgetLeft',
              target: 'reconnecting',
              actions: ['recordFailure', 'recordRestart', 'forgetEraOnProtocolFailure'],
            },
            { target: 'failed', actions: ['recordFailure', 'forgetEraOnProtocolFailure'] },
          ],
        },
        after: {
          connectTimeout: [
            {
              guard: 'restartBudgetLeft',
              target: 'reconnecting',
              actions: ['recordFailure', 'recordRestart'],
            },
            { target: 'failed', actions: 'recordFailure' },
          ],
        },
      },
      /**
       * Connected: three regions. `health` says whether calls can be trusted (`ready`) or not
       * (`degraded`: the breaker is open or a keepalive ping went unanswered); `keepalive` pings the
       * server every `pingIntervalMs` (`idle`; `off` when that is 0), at once on a PROBE, and one
       * `backoffBaseMs` after a miss. The
       * regions talk by events: a ping reports PING_MISSED or PING_ANSWERED to `health`. `tools`
       * refetches the tool list when the server says it changed, once more if it changes meanwhile.
       */
      connected: {
        type: 'parallel',
        states: {
          health: {
            initial: 'ready',
            states: {
              ready: {
                on: {
                  BREAKER_OPENED: { target: 'degraded', actions: 'markBreakerOpen' },
                  PING_MISSED: 'degraded',
                },
              },
              degraded: {
                on: {
                  BREAKER_CLOSED: [
                    { guard: 'noMissedPings', target: 'ready', actions: 'markBreakerClosed' },
                    { actions: 'markBreakerClosed' },
                  ],
                  PING_ANSWERED: { guard: 'breakerClosed', target: 'ready' },
                },
              },
            },
          },
          keepalive: {
            // `off` arms no timer: with keepalive off (stdio, in-memory) an idle connection holds none.
            initial: 'off',
            states: {
              off: {
                always: { guard: 'keepaliveEnabled', target: 'idle' },
                on: { PROBE: 'pinging' },
              },
              idle: {
                after: {
                  missedPingRecheck: { guard: 'missedAPing', target: 'pinging' },
                  pingInterval: { guard: 'keepaliveEnabled', target: 'pinging' },
                },
                on: { PROBE: 'pinging' },
              },
              pinging: {
                invoke: {
                  id: 'ping',
                  src: 'ping',
                  input: ({ context }) => ({ server: context.server }),
                  onDone: { target: 'off', actions: ['clearMissedPings', raise({ type: 'PING_ANSWERED' })] },
                  onError: [
                    { guard: 'tooManyMissedPings', target: '#connection.lost' },
                    { target: 'idle', actions: ['countMissedPing', raise({ type: 'PING_MISSED' })] },
                  ],
                },
              },
            },
          },
          tools: {
            initial: 'listed',
            states: {
              /** The list the runtime holds (or will fetch on first use) is the server's latest. */
              listed: { on: { TOOLS_CHANGED: 'refreshing' } },
              refreshing: {
                initial: 'fetching',
                states: {
                  fetching: { on: { TOOLS_CHANGED: 'outdated' } },
                  outdated: {},
                },
                invoke: {
                  id: 'refreshTools',
                  src: 'refreshTools',
                  input: ({ context }) => ({ server: context.server }),
                  onDone: [
                    // Fetch once more, through `listed` (as keepalive reports to health, by an event).
                    {
                      guard: 'toolsChangedMeanwhile',
                      target: 'listed',
                      actions: raise({ type: 'TOOLS_CHANGED' }),
                    },
                    { target: 'listed' },
                  ],
                  // The runtime logs it; the next list_changed or listTools() fetches again.
                  onError: 'listed',
                },
              },
            },
          },
        },
        /** What ends a live connection, in either health. */
        on: {
          TRANSPORT_CLOSED: { target: 'lost', actions: 'forgetToolList' },
          SESSION_EXPIRED: 'lost',
          AUTH_FAILED: { target: 'authFailed', actions: 'recordFailure' },
          LOGIN_REQUIRED: { target: 'authorizing', actions: 'recordFailure' },
          RECONNECT: { target: 'connecting', actions: 'startAttemptAt' },
        },
      },
      /** Transient: the connection was lost; decide between reconnecting and failed. */
      lost: {
        always: [
          { guard: 'restartBudgetLeft', target: 'reconnecting', actions: ['recordFailure', 'recordRestart'] },
          { target: 'failed', actions: 'recordFailure' },
        ],
      },
      reconnecting: {
        entry: 'planReconnect',
        after: { reconnectDelay: { target: 'connecting', actions: 'startAttemptAfterBackoff' } },
        on: { RECONNECT: { target: 'connecting', actions: 'startAttemptAt' } },
      },
      /**
       * OAuth: the server wants a token only a person can get. `needsLogin` waits for someone to start
       * a login (and looks again after the cooldown: another process may have logged in); the login
       * goes discovering -> awaitingUser -> exchanging, and its tokens start a connect.
       */
      authorizing: {
        initial: 'needsLogin',
        states: {
          needsLogin: {
            after: {
              failedCooldown: { target: '#connection.connecting', actions: 'startAttemptAfterCooldown' },
            },
            on: { LOGIN_STARTED: 'discovering' },
          },
          discovering: { on: { AUTHORIZATION_URL: 'awaitingUser' } },
          awaitingUser: { on: { CODE_RECEIVED: 'exchanging' } },
          exchanging: {},
        },
        on: {
          AUTHORIZED: { target: 'connecting', actions: ['resetRestartsOnRequest', 'startAttemptAt'] },
          LOGIN_FAILED: { target: 'authFailed', actions: 'recordFailure' },
          RECONNECT: { target: 'connecting', actions: ['resetRestartsOnRequest', 'startAttemptAt'] },
        },
      },
      authFailed: {
        on: {
          RECONNECT: { target: 'connecting', actions: ['resetRestartsOnRequest', 'startAttemptAt'] },
          LOGIN_STARTED: '#connection.authorizing.discovering',
        },
      },
      /** Gave up until the cooldown ends, or until a call (or a person) wants the server now. */
      failed: {
        after: { failedCooldown: { target: 'connecting', actions: 'startAttemptAfterCooldown' } },
        on: {
          RECONNECT: { target: 'connecting', actions: ['resetRestartsOnRequest', 'startAttemptAt'] },
          CALL: { target: 'connecting', actions: ['resetRestartsOnRequest', 'startAttemptAt'] },
        },
      },
      closing: {
        invoke: {
          id: 'disconnect',
          src: 'disconnect',
          input: ({ context }) => ({ server: context.server }),
          onDone: 'closed',
          onError: 'closed',
        },
        on: { CLOSE: {} },
      },
      closed: { type: 'final' },
    },
  });
}

export type ConnectionMachine = ReturnType<typeof defineConnectionMachine>;

let defined: ConnectionMachine | undefined;

/**
 * The connection machine (`azcore/machines` exports it as `connectionMachine`), defined on its first
 * use: importing this module runs no xstate code, so `import 'azcore/connection'` can load xstate
 * when the first connection is made (the published bundle requires it then). The same machine
 * object on every call.
 *
 * @example
 * const actor = createActor(connectionMachineOf(), { input: { server: 'github' } });
 */
export function connectionMachineOf(): ConnectionMachine {
  defined ??= defineConnectionMachine();
  return defined;
}

/**
 * The state name the runtime reports for a snapshot value: the top-level state, and inside
 * `connected` its health (`ready` or `degraded`).
 *
 * @example connectionStateName({ connected: { health: 'degraded', keepalive: 'pinging', tools: 'listed' } }) // 'degraded'
 */
export function connectionStateName(value: unknown): ConnectionStateValue {
  if (typeof value === 'string') return value as ConnectionStateValue;
  // The first key, without the entries array Object.entries builds (read on every snapshot).
  for (const top in value as Record<string, unknown>) {
    if (top === 'connected')
      return (value as { connected: { health: 'ready' | 'degraded' } }).connected.health;
    return top as ConnectionStateValue;
  }
  return 'idle';
}

/** The state names the runtime reports (`connected` is reported as its health). */
export type ConnectionStateValue =
  | 'idle'
  | 'connecting'
  | 'ready'
  | 'degraded'
  | 'lost'
  | 'reconnecting'
  | 'authorizing'
  | 'authFailed'
  | 'failed'
  | 'closing'
  | 'closed';
