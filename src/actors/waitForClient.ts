import type { Client } from '@modelcontextprotocol/client';
import { connectionStateName } from '../../machines/connection.machine.js';
import { AuthError } from '../errors/AuthError.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import type { ConnectionStateName } from '../events/RuntimeEvent.js';
import type { Deadline } from '../resilience/Deadline.js';

/** The parts of a server connection a waiting caller needs. */
export interface WaitableConnection {
  readonly name: string;
  readonly state: ConnectionStateName;
  /** The connection actor: its snapshots are read without building the public `state$` stream. */
  readonly actor: {
    subscribe(observer: {
      next: (snapshot: { value: unknown }) => void;
      error: (error: unknown) => void;
      complete: () => void;
    }): { unsubscribe(): void };
    /** `status` is `stopped` once the actor was stopped (it then tells subscribers nothing). */
    getSnapshot(): { status: string };
  };
  readonly lastError: AzcoreError | undefined;
  readonly session: { readonly client: Client | undefined };
  /** Tells the connection machine a call is waiting (CALL): it wakes an idle or failed connection. */
  wake(): void;
}

/** How {@link waitForClient} waits. */
export interface WaitOptions {
  /** Give up when it runs out (TimeoutError naming the step) or its signal aborts. */
  deadline?: Deadline | undefined;
  /** Reject as soon as the first attempt fails (used by start()), instead of waiting for reconnects. */
  firstAttemptOnly?: boolean;
}

/**
 * Resolves with a usable client as soon as the connection is ready. A caller that finds the
 * server `idle` or `failed` says it is waiting (CALL: the machine wakes it for one more connect)
 * and rejects if it lands in `failed` again (a later call may wake it again); one that finds it
 * reconnecting waits, bounded by its deadline. Closed and auth-failed connections reject at once.
 */
export function waitForClient(conn: WaitableConnection, options: WaitOptions = {}): Promise<Client> {
  const { deadline, firstAttemptOnly = false } = options;
  const server = conn.name;
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    let woke = false;
    const subscription = { unsubscribe: () => {} };
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      subscription.unsubscribe();
      deadline?.signal.removeEventListener('abort', onAbort);
      settle();
    };
    const fail = (error: AzcoreError) => finish(() => reject(error));
    const onAbort = () => fail(classifyError(deadline?.signal.reason, { server, signal: deadline?.signal }));
    const lastError = () =>
      conn.lastError ??
      new ConnectionError('The server is not connected.', { server, code: 'NOT_CONNECTED' });
    const check = (state: ConnectionStateName) => {
      switch (state) {
        case 'ready':
        case 'degraded': {
          const client = conn.session.client;
          if (client) finish(() => resolve(client));
          return;
        }
        case 'closing':
        case 'closed':
          return fail(
            new ConnectionError('The server connection is closed.', {
              server,
              code: 'CLOSED',
              retryable: false,
              hint: 'Create a new connection (or team) to use this server again.',
            }),
          );
        case 'authorizing':
        case 'authFailed':
          return fail(
            conn.lastError?.kind === 'auth'
              ? conn.lastError
              : new AuthError('The server rejected the credentials.', {
                  server,
                  hint: 'Fix them, then call reconnect().',
                }),
          );
        case 'reconnecting':
          if (firstAttemptOnly) fail(lastError());
          return;
        case 'failed':
          if (firstAttemptOnly || woke) return fail(lastError());
          woke = true;
          return conn.wake();
        case 'idle':
          woke = true;
          return conn.wake();
        default:
          return;
      }
    };
    if (deadline?.signal.aborted) return onAbort();
    deadline?.signal.addEventListener('abort', onAbort, { once: true });
    // Distinct top-level states, as `state$` gives them (a context change alone says nothing here).
    let last: ConnectionStateName | undefined;
    const sub = conn.actor.subscribe({
      next: (snapshot) => {
        const state = topState(snapshot.value);
        if (state === last) return;
        last = state;
        check(state);
      },
      error: () => check(conn.state),
      complete: () => check(conn.state),
    });
    subscription.unsubscribe = () => sub.unsubscribe();
    if (settled) sub.unsubscribe();
    else check(conn.state);
  });
}

/** The state name of a connection snapshot (`{ connected: { health: 'degraded', ... } }` -> `degraded`). */
export function topState(value: unknown): ConnectionStateName {
  return connectionStateName(value) as ConnectionStateName;
}
