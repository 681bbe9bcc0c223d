import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';

/** A tool call read back from the conversation. */
export interface MadeToolCall {
  readonly id: string | undefined;
  readonly name: string;
  readonly args: Record<string, unknown>;
}

/** Plain text of a message content: strings as they are, text blocks joined, other blocks named. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: unknown) => {
      if (typeof block === 'string') return block;
      if (typeof block !== 'object' || block === null) return '';
      const { type, text } = block as { type?: unknown; text?: unknown };
      if (typeof text === 'string') return text;
      return typeof type === 'string' ? `[${type}]` : '';
    })
    .filter((part) => part.length > 0)
    .join('\n');
}

/** Text of every system message, in order, or undefined when there is none. */
export function systemPromptOf(messages: readonly BaseMessage[]): string | undefined {
  const parts = messages.filter((m) => m.getType() === 'system').map((m) => contentText(m.content));
  return parts.length > 0 ? parts.join('\n') : undefined;
}

/** Index of the latest human message, or -1. */
export function lastHumanIndex(messages: readonly BaseMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.getType() === 'human') return i;
  }
  return -1;
}

/** Tool calls requested by AI messages, in conversation order. */
export function toolCallsIn(messages: readonly BaseMessage[]): MadeToolCall[] {
  const calls: MadeToolCall[] = [];
  for (const message of messages) {
    if (!AIMessage.isInstance(message)) continue;
    for (const call of message.tool_calls ?? []) {
      calls.push({ id: call.id, name: call.name, args: call.args });
    }
  }
  return calls;
}

/** ToolMessages by `tool_call_id`. */
export function toolResultsIn(messages: readonly BaseMessage[]): Map<string, ToolMessage> {
  const results = new Map<string, ToolMessage>();
  for (const message of messages) {
    if (ToolMessage.isInstance(message)) results.set(message.tool_call_id, message);
  }
  return results;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}

/** JSON with object keys sorted, so equal arguments give equal strings. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

/** Identity of a call for "never the same tool with the same arguments twice". */
export function callKey(name: string, args: Record<string, unknown>): string {
  return `${name} ${stableJson(args)}`;
}
