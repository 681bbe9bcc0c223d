import type { BaseMessage } from '@langchain/core/messages';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import type { Logger } from '../observe/logger.js';
import { definePolicy, type Policy } from '../policy/Policy.js';
import type { PolicyContext } from '../policy/PolicyContext.js';
import { finalAnswer } from '../team/MCPTeam.js';
import type { TeamAnswer } from '../team/teamRun.js';
import { toolFailures, unresolvedToolFailures } from '../team/toolFailures.js';
import type { InvokableTeam } from './InvokableTeam.js';
import {
  defaultRecoveryStrategies,
  type RecoveryContext,
  type RecoveryStrategies,
  type TurnOutcome,
} from './recoveryStrategies.js';

/**
 * Options of {@link recover}.
 *
 * @example recover(team, task, { strategies: { connection: tryAlternatives({ teams: [backup] }) }, timeoutMs: 60_000 })
 */
export interface RecoverOptions {
  /** Merged over {@link defaultRecoveryStrategies}; `null` turns a kind's recovery off. */
  strategies?: RecoveryStrategies | undefined;
  /** Budget of each turn a strategy runs. Default: the team's turn budget. */
  timeoutMs?: number | undefined;
  /**
   * Whether a turn that answered failed anyway. Default: the first tool whose latest call failed (a
   * turn never throws for a tool failure; the model reads it). Asked of the work's answer too.
   */
  judge?: ((messages: readonly BaseMessage[]) => AzcoreError | undefined) | undefined;
  logger?: Logger | undefined;
}

const defaultJudge = (messages: readonly BaseMessage[]) => unresolvedToolFailures(messages)[0]?.error;

function messagesOf(value: unknown): BaseMessage[] | undefined {
  const messages = (value as { messages?: unknown } | null | undefined)?.messages;
  return Array.isArray(messages) ? (messages as BaseMessage[]) : undefined;
}

/**
 * The guide's `ErrorRecovery` as a policy: when the work (a team turn) fails, or answers with a tool
 * failure it did not get past (`judge`), it runs the recovery strategy of the failure's kind on
 * `team` with `task`: input errors re-ask the model with the error (`fixInput`), timeouts and
 * resource exhaustion split the task into smaller turns (`splitIntoSubtasks`), connection, tool,
 * protocol and open-circuit failures try alternatives (`tryAlternatives`). A strategy that works
 * makes the outcome `degraded` with the strategy's name as `source` and the first failure as
 * `error`; every turn it ran is an attempt (source: the strategy, `@team` when another team ran
 * it). A kind without a strategy, a cancellation, or a strategy that fails ends `failed` with the
 * last typed error. Put it outermost: it recovers after retries and timeouts inside have given up.
 *
 * @example
 * const task = 'Read notes.txt and then summarize it.';
 * const outcome = await team.run(task, {
 *   policy: wrap(recover(team, task, { strategies: { connection: tryAlternatives({ teams: [backup] }) } }), timeout(60_000)),
 * });
 * if (outcome.status === 'degraded') console.log(`recovered by ${outcome.source}:`, outcome.reasons);
 */
export function recover(team: InvokableTeam, task: string, options: RecoverOptions = {}): Policy<TeamAnswer> {
  const strategies: RecoveryStrategies = { ...defaultRecoveryStrategies(), ...options.strategies };
  const judge = options.judge ?? defaultJudge;
  const log = options.logger?.child({ operation: 'recover', team: team.name });

  return definePolicy<TeamAnswer>(async <T>(work: (ctx: PolicyContext) => Promise<T>, ctx: PolicyContext) => {
    let error: AzcoreError;
    try {
      const value = await work(ctx);
      const messages = messagesOf(value);
      const judged = messages ? judge(messages) : undefined;
      if (!judged) return value;
      // The work's attempt was recorded as answered: the judged failure is listed after it.
      ctx.record({ source: ctx.source, ok: false, durationMs: 0, error: judged, attempt: ctx.attempt });
      error = judged;
    } catch (e) {
      error = classifyError(e, { signal: ctx.signal, server: ctx.server });
    }
    const strategy = strategies[error.kind];
    if (!strategy || ctx.signal.aborted) throw error;
    log?.warn({ strategy: strategy.name, err: error.toJSON() }, `${error.kind} error; recovering`);

    let last: { team: InvokableTeam } | undefined;
    const turn = async (text: string, on: InvokableTeam = team): Promise<TurnOutcome> => {
      const source = on === team ? strategy.name : `${strategy.name}@${on.name ?? 'team'}`;
      const started = ctx.clock.now();
      let outcome: TurnOutcome;
      try {
        const { messages } = await on.invoke(
          { messages: [['human', text]] },
          {
            signal: ctx.signal,
            ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          },
        );
        const failed = judge(messages);
        outcome = failed ? { ok: false, error: failed } : { ok: true, messages };
      } catch (e) {
        outcome = { ok: false, error: classifyError(e, { signal: ctx.signal }) };
      }
      const durationMs = ctx.clock.now() - started;
      ctx.record(
        outcome.ok
          ? { source, ok: true, durationMs }
          : { source, ok: false, durationMs, error: outcome.error },
      );
      last = { team: on };
      return outcome;
    };
    const recovery: RecoveryContext = { task, error, team, run: turn };
    let outcome: TurnOutcome;
    try {
      outcome = await strategy.recover(recovery);
    } catch (e) {
      outcome = { ok: false, error: classifyError(e, { signal: ctx.signal }) };
      ctx.record({ source: strategy.name, ok: false, durationMs: 0, error: outcome.error });
    }
    if (!outcome.ok) {
      log?.warn({ strategy: strategy.name, err: outcome.error.toJSON() }, 'recovery failed');
      throw outcome.error;
    }
    log?.info({ strategy: strategy.name }, 'task recovered');
    ctx.degrade({ source: strategy.name, error });
    const answered = last?.team ?? team;
    return {
      team: answered.name ?? 'team',
      answer: outcome.answer ?? finalAnswer(outcome.messages),
      messages: outcome.messages,
      toolFailures: toolFailures(outcome.messages),
    };
  });
}
