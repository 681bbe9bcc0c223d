/** What every executor gets besides the task. */
export interface ExecutorOptions {
  /** Aborted when the caller cancels or the attempt's time budget runs out: stop work and reject. */
  signal?: AbortSignal | undefined;
}

/**
 * Anything that can carry out a task: a team (see `teamExecutor`), an HTTP call, a local function.
 * The fallbacks work over executors, so they compose with anything async.
 *
 * @example
 * const lookup: Executor<string> = async (task, { signal } = {}) => (await fetch(url, { signal })).text();
 */
export type Executor<T> = (task: string, options?: ExecutorOptions) => Promise<T>;

/** An executor with the name attempts and errors report it under. */
export interface NamedExecutor<T> {
  name: string;
  run: Executor<T>;
}

/** An executor, named or not. Unnamed ones are reported by their function name, else by position. */
export type ExecutorLike<T> = Executor<T> | NamedExecutor<T>;

/** The name and function of an {@link ExecutorLike} at `index` (0-based) of a list. */
export function namedExecutor<T>(option: ExecutorLike<T>, index: number): NamedExecutor<T> {
  if (typeof option === 'function') return { name: option.name || `option ${index + 1}`, run: option };
  return option;
}
