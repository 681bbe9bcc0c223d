import { AIMessage, type BaseMessage, type BaseMessageLike } from '@langchain/core/messages';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { errorFromSummary } from '../errors/errorFromSummary.js';
import type { EventBus } from '../events/EventBus.js';
import type { Outcome } from '../policy/Outcome.js';
import type { Policy } from '../policy/Policy.js';
import { run } from '../policy/run.js';
import { wrap } from '../policy/wrap.js';
import type { Clock } from '../resilience/Clock.js';
import { type ToolFailure, toolFailures } from './toolFailures.js';

/** What `team.run()` is given: plain text (one human message) or the input of `invoke()`. */
export type TeamRunTask = string | { messages: BaseMessageLike[] };

/** One tool call of a turn that failed, as the model saw it. */

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
 * `degraded` with source `team` (see {@link turnDegradation}).
 */
export async function runTeamTurn<A = never>(
  team: TurnRunner,
  task: TeamRunTask,
  options: TeamRunOptions<A> = {},
): Promise<Outcome<TeamAnswer | A>> {
  const messages: BaseMessageLike[] = typeof task === 'string' ? [['human', task]] : task.messages;
  const downBefore = unavailable(team.servers());
  let live: TeamAnswer | undefined;
  const outcome = await run(
    options.policy ?? (wrap() as Policy<A>),
    async (ctx): Promise<TeamAnswer> => {
      const result = await team.invoke(
        { messages },
        { signal: ctx.signal, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) },
      );
      const answer: TeamAnswer = {
        team: team.name,
        answer: finalAnswer(result.messages),
        messages: result.messages,
        toolFailures: toolFailures(result.messages.slice(messages.length)),
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

/** A final answer as plain text (the content of the last AI message). */
export function finalAnswer(messages: readonly BaseMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m instanceof AIMessage) return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  }
  return '';
}
