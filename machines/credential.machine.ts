import { assign, fromPromise, setup } from 'xstate';
import type { FailureReason } from './connection.machine.js';

/**
 * The life of one OAuth credential (an access token and what renews it), as a pure statechart. One
 * actor per credential (issuer + resource + client), shared by every connection that uses it, so a
 * refresh runs once however many calls saw the token expire. The runtime (src/auth/Credential.ts)
 * provides the `refresh` actor (a refresh-token grant, or a new client-credentials grant) and tells
 * the machine what it learns: tokens obtained (login, exchange, store), a request answered 401.
 *
 * The refresh is planned, not waited for: the runtime sends `refreshAt` (expiry minus a skew) with
 * the tokens, and `valid` refreshes when that time comes on the actor's clock. Calls go on with the
 * current token while `refreshing`; a request that meets a 401 waits for the refresh in flight.
 */

/** What the `refresh` actor resolves with: when the new tokens should be refreshed in turn. */
export interface RefreshOutput {
  at: number;
  refreshAt: number | undefined;
}

export interface CredentialContext {
  /** The credential's label in events and the inspector: the server name (never a token). */
  credential: string;
  /** When the current tokens were obtained, and when to refresh them (undefined: the server gave no expiry). */
  since: number;
  refreshAt: number | undefined;
  /** Pause after a refresh that failed for a transient reason (authorization server unreachable). */
  retryDelayMs: number;
  /** Refreshes done since the actor started (successful ones). */
  refreshes: number;
  lastError: FailureReason | undefined;
}

export type CredentialInput = { credential: string; retryDelayMs?: number };

export type CredentialEvent =
  /** Tokens were obtained outside a refresh: a login, a code exchange, the store, a client-credentials grant. */
  | { type: 'TOKENS'; at: number; refreshAt: number | undefined }
  /** The resource server answered 401 to the current token. */
  | { type: 'UNAUTHORIZED'; at: number }
  /** The tokens are gone (logout, invalidated): a login or a new grant is needed. */
  | { type: 'CLEARED'; at: number };

/** Longest delay a timer honours (2^31 - 1 ms); a later refresh is re-planned when it fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

const refreshDelay = (context: CredentialContext): number =>
  context.refreshAt === undefined
    ? MAX_DELAY_MS
    : Math.min(MAX_DELAY_MS, Math.max(0, context.refreshAt - context.since));

const asReason = (error: unknown): FailureReason => {
  const r = (error as { reason?: FailureReason } | undefined)?.reason;
  if (r && typeof r.kind === 'string') return r;
  return { kind: 'auth', code: 'REFRESH_FAILED', message: String(error), retryable: true };
};

export const credentialMachine = setup({
  types: {
    context: {} as CredentialContext,
    events: {} as CredentialEvent,
    input: {} as CredentialInput,
  },
  actors: {
    refresh: fromPromise<RefreshOutput, { credential: string }>(async () => {
      throw new Error('refresh actor not provided');
    }),
  },
  guards: {
    /** The planned time has come (a far refresh is re-planned in steps of the longest timer). */
    refreshDueAfterDelay: ({ context }) =>
      context.refreshAt !== undefined && context.since + refreshDelay(context) >= context.refreshAt,
    /** No refresh token, or it was refused: only a person (or a new grant) can help. */
    needsLogin: ({ event }) => asReason((event as { error?: unknown }).error).code === 'AUTH_REQUIRED',
  },
  actions: {
    takeTokens: assign(({ event }) => {
      const e = event as Extract<CredentialEvent, { type: 'TOKENS' }>;
      return { since: e.at, refreshAt: e.refreshAt, lastError: undefined };
    }),
    takeRefreshed: assign(({ context, event }) => {
      const out = (event as unknown as { output: RefreshOutput }).output;
      return {
        since: out.at,
        refreshAt: out.refreshAt,
        refreshes: context.refreshes + 1,
        lastError: undefined,
      };
    }),
    /** A long wait is taken in steps: the timer fired early, count from where it stopped. */
    replan: assign(({ context }) => ({ since: context.since + refreshDelay(context) })),
    recordFailure: assign({ lastError: ({ event }) => asReason((event as { error?: unknown }).error) }),
  },
  delays: {
    refreshDue: ({ context }) => refreshDelay(context),
    retryDelay: ({ context }) => context.retryDelayMs,
  },
}).createMachine({
  id: 'credential',
  context: ({ input }) => ({
    credential: input.credential,
    since: 0,
    refreshAt: undefined,
    retryDelayMs: input.retryDelayMs ?? 30_000,
    refreshes: 0,
    lastError: undefined,
  }),
  initial: 'empty',
  on: {
    TOKENS: { target: '.valid', actions: 'takeTokens', reenter: true },
    CLEARED: '.empty',
  },
  states: {
    /** Nothing usable: a login (or a first client-credentials grant inside a connect) is needed. */
    empty: {},
    /** A token that works, as far as anyone knows; refreshed when `refreshAt` comes. */
    valid: {
      after: {
        refreshDue: [
          { guard: 'refreshDueAfterDelay', target: 'refreshing' },
          { target: 'valid', actions: 'replan', reenter: true },
        ],
      },
      on: { UNAUTHORIZED: 'refreshing' },
    },
    /** One refresh in flight; every request that meets a 401 meanwhile waits for this one. */
    refreshing: {
      invoke: {
        src: 'refresh',
        input: ({ context }) => ({ credential: context.credential }),
        onDone: { target: 'valid', actions: 'takeRefreshed' },
        onError: [
          { guard: 'needsLogin', target: 'empty', actions: 'recordFailure' },
          { target: 'stale', actions: 'recordFailure' },
        ],
      },
      on: { UNAUTHORIZED: {} },
    },
    /** The last refresh failed for a transient reason: the token is kept until then, and refreshed again. */
    stale: {
      after: { retryDelay: 'refreshing' },
      on: { UNAUTHORIZED: 'refreshing' },
    },
  },
});

export type CredentialMachine = typeof credentialMachine;

/** The state names, as the runtime reports them. */
export type CredentialStateValue = 'empty' | 'valid' | 'refreshing' | 'stale';
