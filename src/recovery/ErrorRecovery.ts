import type { BaseMessage } from '@langchain/core/messages';
import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import type { Logger } from '../observe/logger.js';
import { finalAnswer } from '../team/MCPTeam.js';
import { unresolvedToolFailures } from '../team/toolFailures.js';
import type { InvokableTeam } from './InvokableTeam.js';
import {
  defaultRecoveryStrategies,
  type RecoveryContext,
  type RecoveryStrategies,
  type RecoveryStrategy,
  type TurnOutcome,
} from './recoveryStrategies.js';

/** Options of {@link ErrorRecovery}. */
export interface ErrorRecoveryOptions {
  /** Merged over {@link defaultRecoveryStrategies}; `null` turns a kind's recovery off. */
  strategies?: RecoveryStrategies | undefined;
  /** Budget of each turn (the first one and every turn a strategy runs). Default: the team's. */
  timeoutMs?: number | undefined;
  /**
   * Whether a finished turn failed. Default: the first tool whose latest call failed (a turn never
   * throws for a tool failure; the model reads it).
   */
  judge?: ((messages: readonly BaseMessage[]) => AzcoreError | undefined) | undefined;
  logger?: Logger | undefined;
}

/** One turn run while executing a task. */
export interface RecoveryStep {
  /** `initial` for the first turn, otherwise the strategy's name. */
  readonly strategy: string;
  readonly task: string;
  readonly team: string | undefined;
  readonly ok: boolean;
  readonly error?: AzcoreError;
}

interface ResultBase {
  /** Turns run in all, the first one included. */
  readonly attempts: number;
  readonly steps: readonly RecoveryStep[];
}

/** The first turn worked. */
export interface RecoverySucceeded extends ResultBase {
  readonly status: 'success';
  readonly strategy: undefined;
  readonly result: { messages: BaseMessage[] };
  readonly answer: string;
}

/** The first turn failed and `strategy` made it work. */
export interface RecoveryRecovered extends ResultBase {
  readonly status: 'recovered';
  readonly strategy: string;
  readonly result: { messages: BaseMessage[] };
  readonly answer: string;
  /** What went wrong first. */
  readonly recoveredFrom: AzcoreError;
}

/** Nothing worked; `strategy` is the one tried, if any. */
export interface RecoveryFailed extends ResultBase {
  readonly status: 'failed';
  readonly strategy: string | undefined;
  readonly error: AzcoreError;
  readonly errorType: ErrorKind;
}

export type RecoveryResult = RecoverySucceeded | RecoveryRecovered | RecoveryFailed;

/**
 * Runs tasks on a team and, when a turn fails, applies the recovery strategy for the error's kind
 * (the guide's `ErrorRecovery`): input errors re-ask the model with the error, timeouts split the
 * task into smaller turns, connection and tool failures try alternatives. Strategies are plain
 * objects, replaceable per kind. Never throws; every turn it ran is in `steps`.
 *
 * @example
 * const recovery = new ErrorRecovery(team, { strategies: { connection: tryAlternatives({ teams: [backup] }) } });
 * const run = await recovery.executeWithRecovery('Read notes.txt and then summarize it.');
 * console.log(run.status, run.strategy, run.attempts); // e.g. 'recovered' 'splitIntoSubtasks' 3
 */
export class ErrorRecovery {
  readonly team: InvokableTeam;
  readonly strategies: Readonly<RecoveryStrategies>;
  readonly #options: ErrorRecoveryOptions;

  constructor(team: InvokableTeam, options: ErrorRecoveryOptions = {}) {
    this.team = team;
    this.strategies = { ...defaultRecoveryStrategies(), ...options.strategies };
    this.#options = options;
  }

  /** Runs `task`; on failure, recovers once with the strategy for the failure's kind. */
  async executeWithRecovery(
    task: string,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<RecoveryResult> {
    const steps: RecoveryStep[] = [];
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const judge = this.#options.judge ?? ((messages) => unresolvedToolFailures(messages)[0]?.error);
    const log = this.#options.logger?.child({ operation: 'errorRecovery', team: this.team.name });

    const runTurn = async (strategy: string, text: string, team: InvokableTeam): Promise<TurnOutcome> => {
      let outcome: TurnOutcome;
      try {
        const { messages } = await team.invoke(
          { messages: [['human', text]] },
          {
            ...(options.signal ? { signal: options.signal } : {}),
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          },
        );
        const error = judge(messages);
        outcome = error ? { ok: false, error } : { ok: true, messages };
      } catch (e) {
        outcome = { ok: false, error: classifyError(e, { signal: options.signal }) };
      }
      steps.push({
        strategy,
        task: text,
        team: team.name,
        ok: outcome.ok,
        ...(outcome.ok ? {} : { error: outcome.error }),
      });
      return outcome;
    };
    const failed = (error: AzcoreError, strategy: string | undefined): RecoveryFailed => {
      log?.warn({ strategy, attempts: steps.length, err: error.toJSON() }, 'task failed');
      return { status: 'failed', strategy, error, errorType: error.kind, attempts: steps.length, steps };
    };

    const first = await runTurn('initial', task, this.team);
    if (first.ok) {
      return {
        status: 'success',
        strategy: undefined,
        result: { messages: first.messages },
        answer: first.answer ?? finalAnswer(first.messages),
        attempts: 1,
        steps,
      };
    }
    const strategy: RecoveryStrategy | null | undefined = this.strategies[first.error.kind];
    if (!strategy || options.signal?.aborted) return failed(first.error, undefined);
    log?.warn(
      { strategy: strategy.name, err: first.error.toJSON() },
      `${first.error.kind} error; recovering`,
    );
    const ctx: RecoveryContext = {
      task,
      error: first.error,
      team: this.team,
      run: (text, team = this.team) => runTurn(strategy.name, text, team),
    };
    let outcome: TurnOutcome;
    try {
      outcome = await strategy.recover(ctx);
    } catch (e) {
      outcome = { ok: false, error: classifyError(e, { signal: options.signal }) };
    }
    if (!outcome.ok) return failed(outcome.error, strategy.name);
    log?.info({ strategy: strategy.name, attempts: steps.length }, 'task recovered');
    return {
      status: 'recovered',
      strategy: strategy.name,
      result: { messages: outcome.messages },
      answer: outcome.answer ?? finalAnswer(outcome.messages),
      recoveredFrom: first.error,
      attempts: steps.length,
      steps,
    };
  }
}
