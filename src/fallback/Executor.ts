/** What every executor gets besides the task. */
export interface ExecutorOptions {
  /** Aborted when the caller cancels or the attempt's time budget runs out: stop work and reject. */
  signal?: AbortSignal | undefined;
}

/**
 * Anything that can carry out a task: a team (see `teamExecutor`), an HTTP call, a local function.
 * A `PolicyContext` is an `ExecutorOptions`, so an executor is work for a policy in one line.
 *
 * @example
 * const lookup: Executor<string> = async (task, { signal } = {}) => (await fetch(url, { signal })).text();
 * const outcome = await run(wrap(retry(), timeout(5_000)), (ctx) => lookup('Process data', ctx));
 */
export type Executor<T> = (task: string, options?: ExecutorOptions) => Promise<T>;
