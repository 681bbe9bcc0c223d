import type { ToolChoice } from '@langchain/core/language_models/chat_models';
import type { BaseMessage } from '@langchain/core/messages';
import { argsFromSchema } from './argsFromSchema.js';
import type { BoundToolInfo } from './boundTools.js';
import {
  callKey,
  contentText,
  lastHumanIndex,
  type MadeToolCall,
  toolCallsIn,
  toolResultsIn,
} from './conversation.js';
import { type AnswerNotes, type CallOutcome, noSuitableTool, summarizeOutcomes } from './finalAnswer.js';
import { parseTaskPlan } from './planLines.js';
import { extractTaskValues } from './taskValues.js';
import { selectTools } from './toolMatching.js';

/** Limits of the rule-based agent. */
export interface ReactPolicyOptions {
  /** Tool calls per task (since the latest human message). */
  readonly maxToolCalls: number;
  /** Calls per model turn; undefined: one per turn for `use:` plans, all at once for picked tools. */
  readonly toolCallsPerTurn: number | undefined;
  /** Characters of each tool result quoted in the final answer. */
  readonly maxResultChars: number;
}

/** A call the policy wants to make. */
export interface IntendedCall {
  readonly name: string;
  readonly args: Record<string, unknown>;
}

/** What the model does this turn: call tools, or answer. */
export type TurnDecision =
  | { readonly kind: 'call'; readonly calls: IntendedCall[] }
  | { readonly kind: 'answer'; readonly text: string };

interface Intentions {
  readonly calls: IntendedCall[];
  readonly perTurn: number;
  readonly unavailable: string[];
  readonly problems: AnswerNotes['problems'];
}

function intentions(task: string, tools: readonly BoundToolInfo[], options: ReactPolicyOptions): Intentions {
  const plan = parseTaskPlan(task);
  const values = extractTaskValues(plan.text);
  if (plan.steps.length === 0 && plan.problems.length === 0) {
    const picked = selectTools(values.intent, tools, options.maxToolCalls);
    return {
      calls: picked.map((tool) => ({ name: tool.name, args: argsFromSchema(tool.schema, values) })),
      perTurn: options.toolCallsPerTurn ?? Number.POSITIVE_INFINITY,
      unavailable: [],
      problems: [],
    };
  }
  const calls: IntendedCall[] = [];
  const unavailable: string[] = [];
  for (const step of plan.steps) {
    const tool = tools.find((t) => t.name === step.tool);
    if (tool === undefined) unavailable.push(step.tool);
    else calls.push({ name: tool.name, args: step.args ?? argsFromSchema(tool.schema, values) });
  }
  return { calls, perTurn: options.toolCallsPerTurn ?? 1, unavailable, problems: plan.problems };
}

function uniqueByKey<T extends IntendedCall>(calls: readonly T[]): T[] {
  const seen = new Set<string>();
  return calls.filter((call) => {
    const key = callKey(call.name, call.args);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Decides the next turn of a tiny ReAct agent from the conversation alone (no hidden state, so the same
 * messages and tools always give the same turn): call the tools the latest task asks for that were not
 * called yet with the same arguments, within the limit; once there is nothing left to call, summarize.
 *
 * @example
 * decideTurn([new HumanMessage('read /tmp/a')], [readFile], limits, undefined);
 * // { kind: 'call', calls: [{ name: 'fs__read_file', args: { path: '/tmp/a' } }] }
 */
export function decideTurn(
  messages: readonly BaseMessage[],
  tools: readonly BoundToolInfo[],
  options: ReactPolicyOptions,
  toolChoice: ToolChoice | undefined,
): TurnDecision {
  const taskIndex = lastHumanIndex(messages);
  const taskMessage = messages[taskIndex];
  if (taskMessage === undefined) {
    return { kind: 'answer', text: 'I have no task yet: send a human message saying what to do.' };
  }
  const task = contentText(taskMessage.content);
  const intended = intentions(task, tools, options);
  const made = toolCallsIn(messages.slice(taskIndex + 1));
  const seen = new Set(toolCallsIn(messages).map((call) => callKey(call.name, call.args)));
  const pending = uniqueByKey(intended.calls.filter((call) => !seen.has(callKey(call.name, call.args))));
  const budget = Math.max(0, options.maxToolCalls - made.length);
  const useTools = toolChoice !== 'none';
  if (useTools && pending.length > 0 && budget > 0) {
    return { kind: 'call', calls: pending.slice(0, Math.min(intended.perTurn, budget)) };
  }

  // Calls asked for again in this task but already made earlier count as done: report their results.
  const intendedKeys = new Set(intended.calls.map((call) => callKey(call.name, call.args)));
  const earlier = toolCallsIn(messages.slice(0, taskIndex)).filter((call) =>
    intendedKeys.has(callKey(call.name, call.args)),
  );
  const results = toolResultsIn(messages);
  const outcomes: CallOutcome[] = uniqueByKey<MadeToolCall>([...made, ...earlier]).map((call) => ({
    name: call.name,
    args: call.args,
    result: call.id === undefined ? undefined : results.get(call.id),
  }));
  const notes: AnswerNotes = {
    // A planned tool that ran earlier in this task and has since gone offline is not "unavailable".
    unavailable: intended.unavailable.filter((name) => !made.some((call) => call.name === name)),
    problems: intended.problems,
    notRun: useTools ? pending.map((call) => call.name) : [],
    maxToolCalls: options.maxToolCalls,
  };
  if (outcomes.length > 0) {
    return { kind: 'answer', text: summarizeOutcomes(task, outcomes, notes, options.maxResultChars) };
  }
  return { kind: 'answer', text: noSuitableTool(task, tools, notes) };
}
