import type { BaseMessage, BaseMessageLike } from '@langchain/core/messages';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { errorFromSummary } from '../errors/errorFromSummary.js';
import type { EventBus } from '../events/EventBus.js';
import type { Outcome } from '../policy/Outcome.js';
import type { Policy } from '../policy/Policy.js';
import { run } from '../policy/run.js';
import { wrap } from '../policy/wrap.js';
import type { Clock } from '../resilience/Clock.js';
import { finalAnswer } from './answerText.js';
import { type ToolFailure, toolFailures } from './toolFailures.js';

export { finalAnswer };

/** What `team.run()` is given: plain text (one human message) or the input of `invoke()`. */
export type TeamRunTask = string | { messages: BaseMessageLike[] };

/** What a live turn answered: the final text, the whole conversation, and the tool calls that failed in it. */
export interface TeamAnswer {
  /** The team that answered. */
  team: string;
  /** The final answer text (the last AI message). */
  answer: string;
  /** The task, model turns, tool results and answer. */
  messages: BaseMessage[];
  /** Tool calls of the turn that failed (the model read them and answered anyway). */
  toolFailures: readonly ToolFailure[];
}

/**
 * Which tool failures make a turn **fail** (so the policy retries it or a fallback answers) instead
 * of a `degraded` answer. A turn itself only throws on its deadline, an abort or a model error: a
 * failed tool call is a result the model reads and answers around.
 * - `never` (the default of `team.run`): every answer counts; failures only make it `degraded`.
 * - `serverErrors`: a tool call failed because of its server (connection, timeout, protocol,
 *   resource, auth, open breaker, unavailable server), so the answer misses what it would have
 *   said; and a team that has servers but none available fails at once, without calling its model.
 * - `anyToolError`: as `serverErrors`, and also `isError` results and bad arguments.
 *
 * @example await team.run(task, { failOn: 'serverErrors', policy: fallback(dynamic(backupTurn, { name: 'backup' })) })
 */
export type ToolFailurePolicy = 'serverErrors' | 'anyToolError' | 'never';

/**
 * Options of `team.run()`.
 *
 * @example { policy: wrap(fallback(staticValue('Try again later.')), retry({ maxAttempts: 2 }), timeout(60_000)), signal }
 */
export interface TeamRunOptions<A = never> {
  /** Wraps each turn (`wrap(fallback(...), retry(...), timeout(...))`). Default: one attempt, the team's own turn budget. */
  policy?: Policy<A> | undefined;
  /** The caller's cancellation: aborts the turn in flight and any wait of the policy. */
  signal?: AbortSignal | undefined;
  /** Budget of each turn in ms. Default: the team's (`withTimeouts({ turnMs })`). */
  timeoutMs?: number | undefined;
  /** Which tool failures fail the turn instead of degrading its answer. Default `never`. */
  failOn?: ToolFailurePolicy | undefined;
}

/** One server as the runner needs to see it (a subset of `getServerStates()`). */
export interface TurnServerStatus {
  state: string;
  breaker: string;
  available: boolean;
  optional: boolean;
  lastError: { kind: AzcoreError['kind']; code: string; message: string; retryable: boolean } | undefined;
}

/** What {@link runTeamTurn} needs of a team: MCPTeam hands in its own clock and bus. */
export interface TurnRunner {
  name: string;
  clock: Clock;
  events: EventBus;
  invoke(
    input: { messages: BaseMessageLike[] },
    options: { signal: AbortSignal; timeoutMs?: number },
  ): Promise<{ messages: BaseMessage[] }>;
  servers(): Record<string, TurnServerStatus>;
}

/**
 * Why a turn that answered is `degraded`: each failed tool call, then each server that was
 * unavailable before or after the turn (optional ones included: the model worked without their
 * tools). `undefined` when nothing was missing.
 */
export function turnDegradation(
  failures: readonly ToolFailure[],
  servers: Record<string, TurnServerStatus>,
  downBefore: ReadonlySet<string>,
): { reasons: string[]; error: AzcoreError } | undefined {
  const reasons: string[] = [];
  const errors: AzcoreError[] = [];
  for (const f of failures) {
    reasons.push(`tool ${f.tool} failed: ${f.error.kind} ${f.error.code}`);
    errors.push(f.error);
  }
  for (const [name, s] of Object.entries(servers)) {
    if (s.available && !downBefore.has(name)) continue;
    const role = s.optional ? 'optional server' : 'server';
    reasons.push(`${role} ${name} unavailable (${s.state}, breaker ${s.breaker})`);
    errors.push(
      s.lastError
        ? errorFromSummary(s.lastError, name)
        : new ConnectionError(`Server "${name}" was unavailable during the turn.`, {
            server: name,
            code: 'SERVER_UNAVAILABLE',
            hint: 'Its tools were not offered; it keeps reconnecting.',
          }),
    );
  }
  const [error] = errors;
  return error ? { reasons, error } : undefined;
}

/** Tool failures the model could answer around: the tool itself said no, or the arguments were bad. */
const ANSWERED_KINDS: ReadonlySet<string> = new Set(['tool', 'input']);

/** The failure that fails a turn under `failOn`, if any. */
function fatalFailure(failures: readonly ToolFailure[], failOn: ToolFailurePolicy): AzcoreError | undefined {
  if (failOn === 'never') return undefined;
  const fatal =
    failOn === 'anyToolError' ? failures[0] : failures.find((f) => !ANSWERED_KINDS.has(f.error.kind));
  return fatal?.error;
}

/** A team with servers of which none is available would answer without tools: fail before the model runs. */
function assertSomeServerAvailable(team: string, servers: Record<string, TurnServerStatus>): void {
  const states = Object.entries(servers);
  if (states.length === 0 || states.some(([, s]) => s.available)) return;
  const list = states
    .map(([name, s]) => `${name}: ${s.state}${s.breaker === 'closed' ? '' : `, breaker ${s.breaker}`}`)
    .join('; ');
  throw new ConnectionError(
    `Team "${team}" has no server available (${list}), so it would answer without tools.`,
    {
      code: 'NO_SERVER_AVAILABLE',
      hint: 'Wait for a server to reconnect, or let a fallback answer.',
    },
  );
}

function unavailable(servers: Record<string, TurnServerStatus>): Set<string> {
  return new Set(
    Object.entries(servers)
      .filter(([, s]) => !s.available)
      .map(([name]) => name),
  );
}

/**
 * Runs one team turn under `options.policy` and resolves one {@link Outcome}: the turn is the
 * policy's work (source `team`), retries report `call.retried` on the team's bus, budgets and waits
 * run on the team's clock. A live answer with failed tool calls or unavailable servers is
 * `degraded` with source `team` (see {@link turnDegradation}), unless `options.failOn` makes such
 * a failure fail the turn (see {@link ToolFailurePolicy}).
 */
export async function runTeamTurn<A = never>(
  team: TurnRunner,
  task: TeamRunTask,
  options: TeamRunOptions<A> = {},
): Promise<Outcome<TeamAnswer | A>> {
  const messages: BaseMessageLike[] = typeof task === 'string' ? [['human', task]] : task.messages;
  const failOn = options.failOn ?? 'never';
  const downBefore = unavailable(team.servers());
  let live: TeamAnswer | undefined;
  const outcome = await run(
    options.policy ?? (wrap() as Policy<A>),
    async (ctx): Promise<TeamAnswer> => {
      if (failOn !== 'never') assertSomeServerAvailable(team.name, team.servers());
      const result = await team.invoke(
        { messages },
        { signal: ctx.signal, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) },
      );
      const failures = toolFailures(result.messages.slice(messages.length));
      const fatal = fatalFailure(failures, failOn);
      if (fatal) throw fatal;
      const answer: TeamAnswer = {
        team: team.name,
        answer: finalAnswer(result.messages),
        messages: result.messages,
        toolFailures: failures,
      };
      live = answer;
      return answer;
    },
    { signal: options.signal, clock: team.clock, events: team.events, source: 'team' },
  );
  if (outcome.status !== 'success' || outcome.value !== live || !live) return outcome;
  const degraded = turnDegradation(live.toolFailures, team.servers(), downBefore);
  if (!degraded) return outcome;
  return {
    status: 'degraded',
    value: live,
    source: outcome.source,
    reasons: degraded.reasons,
    error: degraded.error,
    attempts: outcome.attempts,
    ...(outcome.warnings ? { warnings: outcome.warnings } : {}),
  };
}
