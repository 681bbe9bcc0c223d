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
  return new Promise<Client>((resolve, reject) => {
    new ClientWaiter(conn, options, resolve, reject).begin();
  });
}

/**
 * One wait of {@link waitForClient}: the actor's observer and the deadline's abort listener
 * (`handleEvent`) are this object's methods, not a closure each (allocation per start and call).
 */
class ClientWaiter {
  readonly #conn: WaitableConnection;
  readonly #deadline: Deadline | undefined;
  readonly #firstAttemptOnly: boolean;
  readonly #resolve: (client: Client) => void;
  readonly #reject: (error: AzcoreError) => void;
  #settled = false;
  #woke = false;
  /** Distinct top-level states, as `state$` gives them (a context change alone says nothing here). */
  #last: ConnectionStateName | undefined;
  #subscription: { unsubscribe(): void } | undefined;

  constructor(
    conn: WaitableConnection,
    options: WaitOptions,
    resolve: (client: Client) => void,
    reject: (error: AzcoreError) => void,
  ) {
    this.#conn = conn;
    this.#deadline = options.deadline;
    this.#firstAttemptOnly = options.firstAttemptOnly ?? false;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  begin() {
    const signal = this.#deadline?.signal;
    if (signal?.aborted) return this.handleEvent();
    signal?.addEventListener('abort', this, { once: true });
    const sub = this.#conn.actor.subscribe(this);
    this.#subscription = sub;
    if (this.#settled) sub.unsubscribe();
    else this.#check(this.#conn.state);
  }

  /** The deadline's signal aborted. */
  handleEvent(): void {
    const signal = this.#deadline?.signal;
    this.#fail(classifyError(signal?.reason, { server: this.#conn.name, signal }));
  }

  next(snapshot: { value: unknown }): void {
    const state = topState(snapshot.value);
    if (state === this.#last) return;
    this.#last = state;
    this.#check(state);
  }

  error(): void {
    this.#check(this.#conn.state);
  }

  complete(): void {
    this.#check(this.#conn.state);
  }

  /** Settles once: stops listening, then answers. */
  #end(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#subscription?.unsubscribe();
    this.#deadline?.signal.removeEventListener('abort', this);
    return true;
  }

  #fail(error: AzcoreError): void {
    if (this.#end()) this.#reject(error);
  }

  #lastError(): AzcoreError {
    return (
      this.#conn.lastError ??
      new ConnectionError('The server is not connected.', { server: this.#conn.name, code: 'NOT_CONNECTED' })
    );
  }

  #check(state: ConnectionStateName) {
    const conn = this.#conn;
    const server = conn.name;
    switch (state) {
      case 'ready':
      case 'degraded': {
        const client = conn.session.client;
        if (client && this.#end()) this.#resolve(client);
        return;
      }
      case 'closing':
      case 'closed':
        return this.#fail(
          new ConnectionError('The server connection is closed.', {
            server,
            code: 'CLOSED',
            retryable: false,
            hint: 'Create a new connection (or team) to use this server again.',
          }),
        );
      case 'authorizing':
      case 'authFailed':
        return this.#fail(
          conn.lastError?.kind === 'auth'
            ? conn.lastError
            : new AuthError('The server rejected the credentials.', {
                server,
                hint: 'Fix them, then call reconnect().',
              }),
        );
      case 'reconnecting':
        if (this.#firstAttemptOnly) this.#fail(this.#lastError());
        return;
      case 'failed':
        if (this.#firstAttemptOnly || this.#woke) return this.#fail(this.#lastError());
        this.#woke = true;
        return conn.wake();
      case 'idle':
        this.#woke = true;
        return conn.wake();
      default:
        return;
    }
  }
}

/** The state name of a connection snapshot (`{ connected: { health: 'degraded', ... } }` -> `degraded`). */
export function topState(value: unknown): ConnectionStateName {
  return connectionStateName(value) as ConnectionStateName;
}
