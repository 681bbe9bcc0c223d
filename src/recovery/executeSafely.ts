import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import type { MCPTeam } from '../team/MCPTeam.js';

/**
 * @deprecated Gone from the public API (issue 12): run `team.run(task, { policy: retry({ maxAttempts }),
 * timeoutMs })`, which resolves an `Outcome<TeamAnswer>`. This stub, not exported, stays only while
 * test/llm/modelTeam.test.ts imports it; that test moves to `team.run` and this file is deleted.
 */
export async function executeSafely(
  team: MCPTeam,
  task: string,
): Promise<
  | { status: 'success'; answer: string; attempts: number }
  | { status: 'failed'; error: AzcoreError; errorType: ErrorKind; attempts: number }
> {
  const outcome = await team.run(task);
  const attempts = outcome.attempts.length;
  if (outcome.status === 'failed') {
    return { status: 'failed', error: outcome.error, errorType: outcome.error.kind, attempts };
  }
  return { status: 'success', answer: outcome.value.answer, attempts };
}
