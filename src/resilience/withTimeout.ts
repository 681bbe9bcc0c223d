import { classifyError } from '../errors/classifyError.js';
import type { Clock } from './Clock.js';
import { Deadline } from './Deadline.js';
import { untilAborted } from './untilAborted.js';

/** Options for {@link withTimeout}. */
export interface WithTimeoutOptions {
  /** Time source when there is no `deadline` (a deadline brings its own clock). */
  clock?: Clock | undefined;
  /** The caller's cancellation: aborts the operation too, and rejects with its reason. */
  signal?: AbortSignal | undefined;
  /** An enclosing budget: the operation gets `min(timeoutMs, deadline.remaining())`. */
  deadline?: Deadline | undefined;
  /** Server the operation talks to, for the error message. */
  server?: string | undefined;
}

/**
 * Runs `fn` with a time limit. `fn` receives an AbortSignal (and the Deadline behind it) that
 * aborts when the limit is reached, so the operation is cancelled, not just abandoned: an MCP call
 * given the signal sends `notifications/cancelled`. The promise rejects at that moment with a
 * {@link TimeoutError} whose `step` is `operation`, even if `fn` ignores the signal. Every other
 * failure comes back as a typed AzcoreError.
 *
 * @example
 * const result = await withTimeout('search', 5_000, (signal) =>
 *   server.callTool('search', { q: 'mcp' }, { signal }),
 * );
 */
export async function withTimeout<T>(
  operation: string,
  timeoutMs: number,
  fn: (signal: AbortSignal, deadline: Deadline) => Promise<T>,
  options: WithTimeoutOptions = {},
): Promise<T> {
  const { signal, server } = options;
  const deadline = options.deadline
    ? options.deadline.child(timeoutMs, operation, { signal, server })
    : Deadline.after(timeoutMs, { clock: options.clock, signal, step: operation, server });
  try {
    deadline.throwIfExpired();
    return await untilAborted(
      Promise.resolve().then(() => fn(deadline.signal, deadline)),
      deadline.signal,
    );
  } catch (e) {
    throw classifyError(e, { server, signal: deadline.signal });
  } finally {
    deadline.dispose();
  }
}
