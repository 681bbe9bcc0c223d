import type { ServerConnection } from '../actors/ServerConnection.js';
import { AuthError } from '../errors/AuthError.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { circuitOpenError } from '../errors/CircuitOpenError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { capText } from './formatToolResult.js';
import { MAX_REASON_CHARS } from './toolLimits.js';

/**
 * Why a server cannot take a call right now, or undefined when it can (connected, and its breaker
 * admits calls). Tools handed to an agent of one's own ask this before each call and fail at once
 * with the typed error, instead of waiting for a reconnect the agent cannot see. A server that gave
 * up (`failed`) or never started is asked to connect again, in the background.
 */
export function serverUnavailable(server: ServerConnection): AzcoreError | undefined {
  if (server.available) return undefined;
  const name = server.name;
  const state = server.state;
  if (state === 'ready' || state === 'degraded') {
    const breaker = server.breaker.state;
    const retryAt = server.breaker.retryAt;
    return circuitOpenError(
      `The server is failing: its circuit breaker is ${breaker}; the call was not sent.`,
      {
        server: name,
        breakerState: breaker === 'closed' ? 'open' : breaker,
        retryAt,
        hint: 'Use other tools now, or call this one again after the breaker lets a probe through.',
      },
    );
  }
  if (state === 'closing' || state === 'closed') {
    return new ConnectionError(`The server is closed; the call was not sent.`, {
      server: name,
      code: 'CLOSED',
      retryable: false,
      hint: 'Create a new connection (or team) to use this server again.',
    });
  }
  const last = server.lastError;
  if (state === 'authFailed' || state === 'authorizing') {
    return last?.kind === 'auth'
      ? last
      : new AuthError(`The server rejected the credentials.`, {
          server: name,
          hint: 'Fix them, then reconnect.',
        });
  }
  // A call came for it: the connection machine wakes an idle or failed connection (CALL), as for a
  // call that waits; other states ignore it.
  server.wake();
  const why = last ? ` (last failure: ${capText(last.message.replace(/\s+/g, ' '), MAX_REASON_CHARS)})` : '';
  return new ConnectionError(`The server is ${state}; the call was not sent${why}.`, {
    server: name,
    code: 'NOT_CONNECTED',
    retryable: true,
    hint: 'It reconnects on its own: use other tools now, or call this one again later.',
  });
}
