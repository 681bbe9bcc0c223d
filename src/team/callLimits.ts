import type { TransportKind } from '../config/serverConfig.js';

/**
 * How many tool calls a team sends one server at once, by transport, when neither the server's
 * `maxConcurrentCalls` nor `withMaxConcurrentCallsPerServer(n)` says otherwise. The limit is a
 * bulkhead: a model that asks for fifty calls in one step (or many turns at once) cannot flood a
 * server; calls past it wait their turn in arrival order, which costs the turn time whenever a
 * step asks for more calls than the limit. Measured in bench/teamTurn.ts (docs/performance.md,
 * section 7): a step of 16 calls at once against the fixture servers, at limits 4, 8, 16 and 32.
 *
 * - `streamableHttp` and `sse`: every call is its own HTTP request (SSE answers come back on the
 *   session's event stream) and a remote server's latency is hidden only by having calls in
 *   flight together: a limit under the step's size cost 1.3-2.4× a loop without one, so the
 *   default is 32, above what models ask for in one step.
 * - `stdio`: the server is one local process on this machine's cores, so the bulkhead is kept
 *   tighter: 16 did not wait on the 16-call step (as fast as 32, within the noise), 8 cost 1.3×.
 *
 * The old default, 4 for every transport, cost 2-2.8× a loop without a limit on that step.
 */
export const DEFAULT_MAX_CONCURRENT_CALLS: Readonly<Record<TransportKind, number>> = Object.freeze({
  streamableHttp: 32,
  sse: 32,
  stdio: 16,
});

/** The limit of one server: its own setting, else the team's, else its transport's default. */
export function maxConcurrentCallsFor(
  transport: TransportKind,
  own: number | undefined,
  team: number | undefined,
): number {
  return own ?? team ?? DEFAULT_MAX_CONCURRENT_CALLS[transport];
}
