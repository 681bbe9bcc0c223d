import type { AzcoreError } from './AzcoreError.js';
import { ConnectionError } from './ConnectionError.js';

/** One server that could not be started while a team was built. */
export interface ServerFailure {
  server: string;
  optional: boolean;
  error: AzcoreError;
}

/**
 * A team could not be built because required servers failed to start. Lists every server's cause
 * (also the optional ones that were skipped), so one error tells the whole story.
 *
 * @example
 * try { await builder.build() } catch (e) { if (isTeamBuildError(e)) for (const f of e.failures) console.log(f.server, f.error.message) }
 */
export class TeamBuildError extends ConnectionError {
  readonly team: string;
  readonly failures: readonly ServerFailure[];

  constructor(team: string, failures: readonly ServerFailure[]) {
    const lines = failures.map(
      (f) => `  - ${f.server}${f.optional ? ' (optional)' : ''}: ${f.error.message}`,
    );
    super(`Team "${team}" could not start ${failures.length} server(s):\n${lines.join('\n')}\n`, {
      code: 'TEAM_BUILD_FAILED',
      retryable: failures.every((f) => f.error.retryable),
      hint: 'Fix the servers above, mark them optional and call skipFailedServers(true), or remove them.',
    });
    this.team = team;
    this.failures = failures;
  }
}

/** True when `e` is a {@link TeamBuildError}. */
export function isTeamBuildError(e: unknown): e is TeamBuildError {
  return e instanceof TeamBuildError;
}
