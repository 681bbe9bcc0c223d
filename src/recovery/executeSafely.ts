import type { BaseMessage } from '@langchain/core/messages';
import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import type { Logger } from '../observe/logger.js';
import type { Policy } from '../policy/Policy.js';
import type { PolicyContext } from '../policy/PolicyContext.js';
import { retry } from '../policy/retry.js';
import { run } from '../policy/run.js';
import { wrap } from '../policy/wrap.js';
import { type Backoff, exponentialBackoff } from '../resilience/backoff.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import type { RetryAttempt } from '../resilience/retry.js';
import { finalAnswer } from '../team/MCPTeam.js';
import { type ToolFailure, toolFailures } from '../team/toolFailures.js';
import { type InvokableTeam, type TeamTask, taskMessages } from './InvokableTeam.js';

/** Options of {@link executeSafely}. */
export interface SafeExecuteOptions {
  /** Budget of each attempt (the team turn's deadline). Default: the team's own turn budget. */
  timeoutMs?: number | undefined;
  /** Cancels the current attempt and any wait between attempts. */
  signal?: AbortSignal | undefined;
  /**
   * Attempts in all, 1 = no retry (the guide's basic handling); the guide's `safe_execute` used 3.
   * Only retryable failures are retried (a timeout, a lost connection), never input, auth or a cancel.
   */
  maxAttempts?: number | undefined;
  /** Delay between attempts. Default 1 s, 2 s, 4 s... (the guide's `2 ** attempt`). */
  backoff?: Backoff | undefined;
  clock?: Clock | undefined;
  /** Logs the outcome (info on success, warn on failure) and each retry. */
  logger?: Logger | undefined;
  onRetry?: ((info: RetryAttempt) => void) | undefined;
}

/** A turn that finished. Tool failures inside it are listed: the model saw them and answered anyway. */
export interface SafeSuccess {
  readonly status: 'success';
  readonly result: { messages: BaseMessage[] };
  /** The final answer text. */
  readonly answer: string;
  readonly toolFailures: readonly ToolFailure[];
  readonly attempts: number;
  readonly durationMs: number;
}

/** A turn that could not finish, with the typed error that says what to do. */
export interface SafeFailure {
  readonly status: 'failed';
  readonly error: AzcoreError;
  readonly errorType: ErrorKind;
  readonly attempts: number;
  readonly durationMs: number;
}

/** What {@link executeSafely} resolves with: switch on `status`. */
export type SafeExecution = SafeSuccess | SafeFailure;

/**
 * @deprecated Use the one runner: `team.run(task, { policy: retry({ maxAttempts, backoff }), timeoutMs })`
 * resolves an `Outcome` (a turn with failed tool calls is `degraded` there, with reasons). Kept as a
 * thin wrapper because it runs any {@link InvokableTeam}, not only an `MCPTeam`, and
 * `executeWithValidation` still resolves its `SafeExecution`.
 *
 * Runs one task on a team and never throws (the guide's `execute_with_basic_error_handling` and
 * `safe_execute`): resolves `{ status: 'success', result, answer }` or `{ status: 'failed', error,
 * errorType }` with a typed error. It is `run(retry(...), turn)` on the policy pipeline; the turn's
 * own deadline (`timeoutMs`) cancels the turn for real (its signal reaches every MCP request),
 * unlike a SIGALRM that leaves the work running.
 *
 * @example
 * const run = await executeSafely(team, 'Process data', { timeoutMs: 60_000, maxAttempts: 3 });
 * if (run.status === 'failed') console.error(`Task failed (${run.errorType}): ${run.error.message}`);
 * else console.log(run.answer);
 */
export function executeSafely(
  team: InvokableTeam,
  task: TeamTask,
  options: SafeExecuteOptions = {},
): Promise<SafeExecution> {
  return runTurn(team, () => task, options);
}

/**
 * {@link executeSafely} with the task made by `prepare` inside the pipeline, after `guard` (a
 * `validate` policy, outermost): what `executeWithValidation` runs.
 */
export async function runTurn(
  team: InvokableTeam,
  prepare: () => TeamTask,
  options: SafeExecuteOptions,
  guard?: Policy,
): Promise<SafeExecution> {
  const clock = options.clock ?? systemClock;
  const log = options.logger?.child({ operation: 'executeSafely', team: team.name });
  const started = clock.now();
  const retries = retry({
    maxAttempts: options.maxAttempts ?? 1,
    backoff: options.backoff ?? exponentialBackoff({ baseMs: 1_000, maxMs: 30_000 }),
    onRetry: (info) => {
      log?.warn({ attempt: info.attempt, delayMs: info.delayMs, err: info.error.toJSON() }, 'retrying task');
      options.onRetry?.(info);
    },
  });
  let task: TeamTask | undefined;
  const turn = (ctx: PolicyContext) => {
    task ??= prepare();
    return team.invoke(
      { messages: taskMessages(task) },
      {
        signal: ctx.signal,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      },
    );
  };
  const outcome = await run(guard ? wrap(guard, retries) : retries, turn, {
    signal: options.signal,
    clock,
    source: team.name ?? 'team',
  });
  const attempts = outcome.attempts.length;
  const durationMs = clock.now() - started;
  if (outcome.status === 'failed') {
    const { error } = outcome;
    log?.warn({ attempts, durationMs, err: error.toJSON() }, 'task failed');
    return { status: 'failed', error, errorType: error.kind, attempts, durationMs };
  }
  const result = outcome.value;
  const failures = toolFailures(result.messages);
  log?.info({ attempts, durationMs, toolFailures: failures.length }, 'task completed');
  return {
    status: 'success',
    result,
    answer: finalAnswer(result.messages),
    toolFailures: failures,
    attempts,
    durationMs,
  };
}
