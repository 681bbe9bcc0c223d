import { assign, fromPromise } from 'xstate';
import {
  type ConnectInput,
  type ConnectOutput,
  connectionMachine,
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
  onConnected(): void;
  emitPing(ok: boolean, durationMs: number, error?: ErrorSummary): void;
}

/**
 * The pure connection machine given its I/O: `connect` opens a fresh session, `ping` is the
 * keepalive (MCP ping in 2025, server/discover in 2026-07-28), `disconnect` closes, `planReconnect` picks the next backoff delay. Both promise actors
 * reject with a {@link Failure} stamped with the clock's time, as the machine requires.
 */
export function connectionLogic(deps: ConnectionLogicDeps) {
  const { clock, server, session } = deps;
  const failure = (e: unknown, signal?: AbortSignal): Failure => {
    const error = classifyError(e, { server, signal });
    deps.onFailure(error);
    return { reason: summarizeError(error), at: clock.now() };
  };
  return connectionMachine.provide({
    actors: {
      connect: fromPromise<ConnectOutput, ConnectInput>(async ({ signal, input }) => {
        try {
          const { era, protocolVersion } = await session.open(signal, deps.connectTimeoutMs, input.era);
          deps.onConnected();
          return { at: clock.now(), era, protocolVersion };
        } catch (e) {
          throw failure(e, signal);
        }
      }),
      ping: fromPromise<ConnectOutput, { server: string }>(async ({ signal }) => {
        const started = clock.now();
        try {
          await session.keepalive(deps.pingTimeoutMs, signal);
          deps.emitPing(true, clock.now() - started);
          return { at: clock.now() };
        } catch (e) {
          const f = failure(e, signal);
          deps.emitPing(false, clock.now() - started, f.reason as ErrorSummary);
          throw f;
        }
      }),
      disconnect: fromPromise<void, { server: string }>(() => session.close()),
    },
    actions: {
      planReconnect: assign(({ context }) => ({
        attempt: context.attempt + 1,
        reconnectDelayMs: deps.backoff(context.attempt + 1, context.reconnectDelayMs),
      })),
    },
  });
}
