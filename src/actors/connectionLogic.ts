import { type AnyActorRef, assign, fromPromise } from 'xstate';
import {
  type ConnectionContext,
  type ConnectOutput,
  connectionMachineOf,
  type Failure,
} from '../../machines/connection.machine.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { summarizeError } from '../events/EventBus.js';
import type { ErrorSummary } from '../events/RuntimeEvent.js';
import type { Backoff } from '../resilience/backoff.js';
import type { Clock } from '../resilience/Clock.js';
import type { McpSession } from './McpSession.js';

/** What the connection statechart's named actors need from their owner. */
export interface ConnectionLogicDeps {
  server: string;
  session: McpSession;
  clock: Clock;
  connectTimeoutMs: number;
  pingTimeoutMs: number;
  /** Reconnect delay schedule (decorrelated jitter by default, with the owner's RNG). */
  backoff: Backoff;
  /** A connect or ping failed; the typed error (with its cause) for the owner to keep. */
  onFailure(error: AzcoreError): void;
  /** The machine's `forgetToolList`: drop the cached tool list (a new connection, or the transport is gone). */
  forgetToolList(): void;
  /** The machine's `refreshTools`: fetch the tool list again and announce it; rejects if that fails. */
  refreshTools(signal: AbortSignal): Promise<void>;
  emitPing(ok: boolean, durationMs: number, error?: ErrorSummary): void;
  /** The connect attempt in flight (set by `startConnect`, cleared when it settles or is cancelled). */
  connectAttempt: AbortController | undefined;
}

/** A connection actor, used only as a registry key. */
type ConnectionActor = object;

/**
 * Dependencies of the live connection actors, by actor (see {@link connectionLogic}). Keyed by the
 * actor, not by its system and name: standalone connections share one actor system
 * (connectionHost.ts), where two may carry the same server name. Weak: a dropped actor takes its
 * entry with it.
 */
const registry = new WeakMap<ConnectionActor, ConnectionLogicDeps>();

/** The deps of the connection actor `self` (an action's self), or of its parent (a named actor's self). */
function depsOf(self: { _parent?: unknown }, server: string): ConnectionLogicDeps {
  const deps = registry.get(self) ?? (self._parent ? registry.get(self._parent) : undefined);
  if (!deps) throw new Error(`No connection dependencies registered for server "${server}".`);
  return deps;
}

function failure(deps: ConnectionLogicDeps, e: unknown, signal?: AbortSignal): Failure {
  const error = classifyError(e, { server: deps.server, signal });
  deps.onFailure(error);
  return { reason: summarizeError(error), at: deps.clock.now() };
}

/**
 * One connect attempt (the machine's `startConnect`): opens a fresh session and answers CONNECTED or
 * CONNECT_FAILED, unless `cancelConnect` aborted it first (the machine left `connecting`: close,
 * connect timeout, reconnect), in which case the answer is dropped, as XState drops the output of
 * a stopped child. A plain promise, not an invoked actor: no actor per attempt.
 */
function startConnect(self: AnyActorRef, context: ConnectionContext): void {
  const deps = depsOf(self, context.server);
  const attempt = new AbortController();
  deps.connectAttempt = attempt;
  const { signal } = attempt;
  const settle = (
    event: { type: 'CONNECTED'; output: ConnectOutput } | { type: 'CONNECT_FAILED'; error: Failure },
  ) => {
    if (signal.aborted) return;
    deps.connectAttempt = undefined;
    // Stopped without CLOSE (a parent stopped it): nobody will use or close this session.
    if (self.getSnapshot().status !== 'active') {
      void deps.session.close();
      return;
    }
    self.send(event);
  };
  deps.session.open(signal, deps.connectTimeoutMs, context.era).then(
    ({ era, protocolVersion }) =>
      settle({ type: 'CONNECTED', output: { at: deps.clock.now(), era, protocolVersion } }),
    (e: unknown) => settle({ type: 'CONNECT_FAILED', error: failure(deps, e, signal) }),
  );
}

/** The machine's `cancelConnect`: aborts the attempt in flight (its half-open transport is closed). */
function cancelConnect(self: AnyActorRef, context: ConnectionContext): void {
  const deps = depsOf(self, context.server);
  const attempt = deps.connectAttempt;
  deps.connectAttempt = undefined;
  attempt?.abort();
}

/**
 * The pure connection machine given its I/O, provided once (at the first connection): `provide()` per
 * connection cost about 38 KiB of heap per idle connection (a machine copy each), one shared
 * machine costs nothing per connection. Its actions find their connection's dependencies by their
 * actor, its named actors by their parent, the connection actor ({@link registerConnectionDeps}):
 * `startConnect` opens a fresh session ({@link startConnect}), `ping` is the keepalive (MCP ping in 2025, server/discover in
 * 2026-07-28), `refreshTools` refetches the tool list after a list_changed, `disconnect` closes,
 * `planReconnect` picks the next backoff delay, `forgetToolList` drops the cached list. A failed
 * connect and `ping` carry a {@link Failure} stamped with the clock's time, as the machine requires.
 */
function provideConnectionLogic() {
  return connectionMachineOf().provide({
    actors: {
      ping: fromPromise<ConnectOutput, { server: string }>(async ({ signal, input, self }) => {
        const deps = depsOf(self, input.server);
        const started = deps.clock.now();
        try {
          await deps.session.keepalive(deps.pingTimeoutMs, signal);
          deps.emitPing(true, deps.clock.now() - started);
          return { at: deps.clock.now() };
        } catch (e) {
          const f = failure(deps, e, signal);
          deps.emitPing(false, deps.clock.now() - started, f.reason as ErrorSummary);
          throw f;
        }
      }),
      disconnect: fromPromise<void, { server: string }>(({ input, self }) =>
        depsOf(self, input.server).session.close(),
      ),
      refreshTools: fromPromise<void, { server: string }>(({ input, self, signal }) =>
        depsOf(self, input.server).refreshTools(signal),
      ),
    },
    actions: {
      startConnect: ({ context, self }) => startConnect(self, context),
      cancelConnect: ({ context, self }) => cancelConnect(self, context),
      planReconnect: assign(({ context, self }) => ({
        attempt: context.attempt + 1,
        reconnectDelayMs: depsOf(self, context.server).backoff(context.attempt + 1, context.reconnectDelayMs),
      })),
      forgetToolList: ({ context, self }) => depsOf(self, context.server).forgetToolList(),
    },
  });
}

let sharedConnectionLogic: ReturnType<typeof provideConnectionLogic> | undefined;

/**
 * The connection machine with its I/O (one machine for every connection), provided at the first
 * call: importing this module runs no xstate code (see `connectionMachineOf`).
 */
export function connectionLogic(): ReturnType<typeof provideConnectionLogic> {
  sharedConnectionLogic ??= provideConnectionLogic();
  return sharedConnectionLogic;
}

/**
 * Gives the connection actor `actor` its I/O; call before it is sent CONNECT. A later registration
 * for the same actor replaces the earlier one. Returns the unregistration.
 */
export function registerConnectionDeps(actor: ConnectionActor, deps: ConnectionLogicDeps): () => void {
  registry.set(actor, deps);
  return () => {
    if (registry.get(actor) === deps) registry.delete(actor);
  };
}
