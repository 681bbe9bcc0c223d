import type { Executor } from '../fallback/Executor.js';
import type { MCPTeam } from './MCPTeam.js';
import type { TeamAnswer, ToolFailurePolicy } from './teamRun.js';

/** Options of {@link teamExecutor}. */
export interface TeamExecutorOptions {
  /** Budget of one turn in ms (default: the team's). The executor's signal also applies. */
  timeoutMs?: number | undefined;
  /** Which tool failures fail the turn (see `ToolFailurePolicy`). Default `serverErrors`. */
  failOn?: ToolFailurePolicy | undefined;
}

/** What {@link teamExecutor} needs of a team: an `MCPTeam` fits. */
export type TeamLike = Pick<MCPTeam, 'name' | 'run'>;

/**
 * A team as an {@link Executor}: `team.run(task, { signal, timeoutMs, failOn })` that resolves the
 * answer or rejects with the typed error. For a team **inside** another run: a `dynamic` fallback
 * source (a backup team) or the executor of `CachedFallback`. To run a team with a policy, call
 * `team.run(task, { policy })` itself. By default (`failOn: 'serverErrors'`) a turn whose tool call
 * failed because of its server, or a team with no server available, rejects, so the next source
 * answers. The function is named after the team.
 *
 * @example
 * const outcome = await primaryTeam.run(task, {
 *   failOn: 'serverErrors',
 *   policy: fallback(dynamic((ctx) => teamExecutor(localTeam)(task, ctx), { name: 'local' })),
 * });
 */
export function teamExecutor(team: TeamLike, options: TeamExecutorOptions = {}): Executor<TeamAnswer> {
  const failOn = options.failOn ?? 'serverErrors';
  const run: Executor<TeamAnswer> = async (task, { signal } = {}) => {
    const outcome = await team.run(task, { signal, timeoutMs: options.timeoutMs, failOn });
    if (outcome.status === 'failed') throw outcome.error;
    return outcome.value;
  };
  Object.defineProperty(run, 'name', { value: team.name });
  return run;
}
