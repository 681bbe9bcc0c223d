import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import type { Clock } from '../resilience/Clock.js';
import { Deadline } from '../resilience/Deadline.js';
import { untilAborted } from '../resilience/untilAborted.js';
import type { Executor } from './Executor.js';
import type { FallbackAttempt } from './FallbackResult.js';

/** How one source is tried. */
export interface AttemptSettings {
  clock: Clock;
  signal?: AbortSignal | undefined;
  /** Budget of the attempt (Infinity for none). */
  timeoutMs: number;
}

export type AttemptOutcome<T> =
  | { ok: true; value: T; attempt: FallbackAttempt }
  | { ok: false; error: AzcoreError; attempt: FallbackAttempt };

/**
 * Runs one executor under the caller's signal and the attempt's budget. The budget holds even for
 * an executor that ignores its signal: the attempt stops waiting (its promise is left to settle
 * on its own). Every failure comes back classified.
 */
export async function runAttempt<T>(
  source: string,
  executor: Executor<T>,
  task: string,
  settings: AttemptSettings,
): Promise<AttemptOutcome<T>> {
  const { clock } = settings;
  const started = clock.now();
  const deadline = Deadline.after(settings.timeoutMs, { clock, signal: settings.signal, step: source });
  try {
    deadline.throwIfExpired();
    const value = await untilAborted(
      (async () => executor(task, { signal: deadline.signal }))(),
      deadline.signal,
    );
    return { ok: true, value, attempt: { source, ok: true, durationMs: clock.now() - started } };
  } catch (e) {
    const error = classifyError(e, { signal: deadline.signal });
    return { ok: false, error, attempt: { source, ok: false, durationMs: clock.now() - started, error } };
  } finally {
    deadline.dispose();
  }
}

/** Runs a step that cannot be aborted (a fallback value, a cache read) and records it as an attempt. */
export async function recordStep<T>(
  source: string,
  clock: Clock,
  step: () => T | Promise<T>,
): Promise<AttemptOutcome<T>> {
  const started = clock.now();
  try {
    const value = await step();
    return { ok: true, value, attempt: { source, ok: true, durationMs: clock.now() - started } };
  } catch (e) {
    const error = classifyError(e);
    return { ok: false, error, attempt: { source, ok: false, durationMs: clock.now() - started, error } };
  }
}
