import type { ToolMessage } from '@langchain/core/messages';
import type { BoundToolInfo } from './boundTools.js';
import { contentText, stableJson } from './conversation.js';
import type { PlanProblem } from './planLines.js';

/** A tool call of the current task and the ToolMessage that answered it, if one did. */
export interface CallOutcome {
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly result: ToolMessage | undefined;
}

/** Things the final answer must mention besides the tool results. */
export interface AnswerNotes {
  /** Plan steps naming tools that were not offered. */
  readonly unavailable: readonly string[];
  /** Plan lines that could not be read. */
  readonly problems: readonly PlanProblem[];
  /** Calls left out because the tool-call limit was reached. */
  readonly notRun: readonly string[];
  /** The tool-call limit. */
  readonly maxToolCalls: number;
}

// "Error: ...", "MCP error -32603: ...", "error: ..." on any line.
const ERROR_LINE = /^\s*(?:mcp\s+)?error\b/im;

/** True when a ToolMessage reports a failure: `status: 'error'` or a line starting with "Error". */
export function isFailedResult(result: ToolMessage): boolean {
  return result.status === 'error' || ERROR_LINE.test(contentText(result.content));
}

function excerpt(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return '(empty result)';
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}…` : flat;
}

function firstLine(task: string): string {
  return excerpt(task.split('\n').find((l) => l.trim().length > 0) ?? '', 120);
}

function noteLines(notes: AnswerNotes): string[] {
  const lines: string[] = [];
  for (const name of notes.unavailable) lines.push(`- ${name}: not run, it is not among my tools right now.`);
  for (const { line, problem } of notes.problems) lines.push(`- "${line}": not run, ${problem}.`);
  if (notes.notRun.length > 0) {
    lines.push(
      `Stopped at the limit of ${notes.maxToolCalls} tool calls; not run: ${notes.notRun.join(', ')}.`,
    );
  }
  return lines;
}

/**
 * The final answer after tool calls: one line per call with its result or its failure, then a count.
 *
 * @example
 * summarizeOutcomes('read /tmp/a', [{ name: 'fs__read_file', args: { path: '/tmp/a' }, result }], notes, 300);
 * // 'Results for "read /tmp/a":\n- fs__read_file {"path":"/tmp/a"}: hello\nAll 1 tool call succeeded.'
 */
export function summarizeOutcomes(
  task: string,
  outcomes: readonly CallOutcome[],
  notes: AnswerNotes,
  maxChars: number,
): string {
  const lines = [`Results for "${firstLine(task)}":`];
  let failed = 0;
  for (const { name, args, result } of outcomes) {
    const call = `${name} ${stableJson(args)}`;
    if (result === undefined) {
      failed += 1;
      lines.push(`- ${call}: FAILED, no result came back.`);
    } else if (isFailedResult(result)) {
      failed += 1;
      lines.push(`- ${call}: FAILED: ${excerpt(contentText(result.content), maxChars)}`);
    } else {
      lines.push(`- ${call}: ${excerpt(contentText(result.content), maxChars)}`);
    }
  }
  lines.push(...noteLines(notes));
  const total = outcomes.length;
  const plural = total === 1 ? 'call' : 'calls';
  lines.push(
    failed === 0 ? `All ${total} tool ${plural} succeeded.` : `${failed} of ${total} tool ${plural} failed.`,
  );
  return lines.join('\n');
}

/**
 * The answer when no tool fits the task: says so and lists the tools it was given.
 *
 * @example
 * noSuitableTool('bake a cake', tools, notes); // 'I have no suitable tool for "bake a cake". My tools: ...'
 */
export function noSuitableTool(task: string, tools: readonly BoundToolInfo[], notes: AnswerNotes): string {
  const lines = [
    tools.length === 0
      ? `I have no tools, so I cannot act on "${firstLine(task)}".`
      : `I have no suitable tool for "${firstLine(task)}". My tools:`,
  ];
  for (const tool of tools) {
    lines.push(`- ${tool.name}${tool.description ? `: ${excerpt(tool.description, 160)}` : ''}`);
  }
  lines.push(...noteLines(notes));
  return lines.join('\n');
}
