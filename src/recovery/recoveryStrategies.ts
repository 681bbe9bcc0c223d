import type { BaseMessage } from '@langchain/core/messages';
import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import { finalAnswer } from '../team/MCPTeam.js';
import type { InvokableTeam } from './InvokableTeam.js';
import { splitTask } from './splitTask.js';

/** The end of one or more turns run by a strategy. */
export type TurnOutcome =
  | { readonly ok: true; readonly messages: BaseMessage[]; readonly answer?: string }
  | { readonly ok: false; readonly error: AzcoreError };

/** What a strategy gets: the failed task, its error, and a way to run turns that are recorded. */
export interface RecoveryContext {
  readonly task: string;
  readonly error: AzcoreError;
  /** The team the task failed on. */
  readonly team: InvokableTeam;
  /** Runs one turn (on `team` by default), judges it and records it as a step of this strategy. */
  run(task: string, team?: InvokableTeam): Promise<TurnOutcome>;
}

/**
 * A pluggable recovery for one kind of failure. `recover` runs whatever turns it needs through
 * `ctx.run` and returns how it ended; it should not throw.
 */
export interface RecoveryStrategy {
  readonly name: string;
  recover(ctx: RecoveryContext): Promise<TurnOutcome>;
}

/** Rewrites a task after a failure; `undefined` gives up. */
export type TaskRewrite = (
  task: string,
  error: AzcoreError,
) => string | undefined | Promise<string | undefined>;

/**
 * The default input fix: tell the model what was wrong and ask it to correct its input.
 *
 * @example fixInput({ rewrite: reaskWithError, maxAttempts: 3 })
 */
export const reaskWithError: TaskRewrite = (task, error) =>
  `${task}\n\nThe previous attempt failed: ${error.message}\nCorrect the input (arguments, their types and format) and try again.`;

/**
 * Input errors: rewrite the task (default: re-ask the model with the error, see {@link reaskWithError};
 * or a hook that cleans the input) and run it again, at most `maxAttempts` times while the failure
 * stays an input error. The guide's `_fix_input_error` recursed with no bound and always gave up.
 *
 * @example fixInput({ rewrite: (task) => task.replace(/"a":"one"/, '"a":1') })
 */
export function fixInput(options: { rewrite?: TaskRewrite; maxAttempts?: number } = {}): RecoveryStrategy {
  const rewrite = options.rewrite ?? reaskWithError;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 2);
  return {
    name: 'fixInput',
    async recover(ctx) {
      let task = ctx.task;
      let error = ctx.error;
      for (let i = 0; i < maxAttempts; i++) {
        const fixed = await rewrite(task, error);
        if (fixed === undefined) break;
        const outcome = await ctx.run(fixed);
        if (outcome.ok || outcome.error.kind !== 'input') return outcome;
        task = fixed;
        error = outcome.error;
      }
      return { ok: false, error };
    },
  };
}

/**
 * Timeouts and resource exhaustion: split the task into smaller steps (default {@link splitTask})
 * and run them one turn each, in order, each with the full turn budget. Stops at the first step
 * that fails; a task that does not split fails with the original error.
 *
 * @example splitIntoSubtasks({ split: (task) => task.split(' + ') })
 */
export function splitIntoSubtasks(
  options: { split?: (task: string) => string[]; maxSubtasks?: number } = {},
): RecoveryStrategy {
  const split = options.split ?? splitTask;
  const maxSubtasks = options.maxSubtasks ?? 10;
  return {
    name: 'splitIntoSubtasks',
    async recover(ctx) {
      const parts = split(ctx.task).slice(0, maxSubtasks);
      if (parts.length < 2) return { ok: false, error: ctx.error };
      const messages: BaseMessage[] = [];
      const answers: string[] = [];
      for (const part of parts) {
        const outcome = await ctx.run(part);
        if (!outcome.ok) return outcome;
        messages.push(...outcome.messages);
        answers.push(outcome.answer ?? finalAnswer(outcome.messages));
      }
      return { ok: true, messages, answer: answers.map((a, i) => `${i + 1}. ${a}`).join('\n') };
    },
  };
}

/**
 * The default alternative approach: the same team, told to avoid what failed.
 *
 * @example tryAlternatives({ teams: [backup], rephrase: avoidFailedTool })
 */
export const avoidFailedTool: TaskRewrite = (task, error) => {
  const what = error.server ? `the "${error.server}" server` : 'the tool that failed';
  return `${task}\n\nThe previous attempt failed: ${error.message}\nDo not rely on ${what}: reach the goal another way with the tools that are available, or say what could not be done.`;
};

/**
 * Connection, tool and open-circuit failures: try alternatives in order: each of `teams` with the
 * same task, then (unless `rephrase: false`) the same team with the task rewritten to avoid what
 * failed (default {@link avoidFailedTool}). The first success wins.
 *
 * @example tryAlternatives({ teams: [backupTeam] })
 */
export function tryAlternatives(
  options: { teams?: readonly InvokableTeam[]; rephrase?: TaskRewrite | false } = {},
): RecoveryStrategy {
  const teams = options.teams ?? [];
  const rephrase = options.rephrase === undefined ? avoidFailedTool : options.rephrase;
  return {
    name: 'tryAlternatives',
    async recover(ctx) {
      let last: TurnOutcome = { ok: false, error: ctx.error };
      for (const team of teams) {
        last = await ctx.run(ctx.task, team);
        if (last.ok) return last;
      }
      if (rephrase) {
        const task = await rephrase(ctx.task, last.ok ? ctx.error : last.error);
        if (task !== undefined) last = await ctx.run(task);
      }
      return last;
    },
  };
}

/** Strategies by error kind; a kind without one (auth, configuration, cancelled...) fails at once. */
export type RecoveryStrategies = Partial<Record<ErrorKind, RecoveryStrategy | null>>;

/**
 * The defaults: input -> {@link fixInput}; timeout, resource -> {@link splitIntoSubtasks};
 * connection, tool, circuitOpen, protocol -> {@link tryAlternatives}.
 *
 * @example recover(team, task, { strategies: { ...defaultRecoveryStrategies(), tool: null } })
 */
export function defaultRecoveryStrategies(): RecoveryStrategies {
  const split = splitIntoSubtasks();
  const alternative = tryAlternatives();
  return {
    input: fixInput(),
    timeout: split,
    resource: split,
    connection: alternative,
    tool: alternative,
    circuitOpen: alternative,
    protocol: alternative,
  };
}
