import type { BaseChatModelParams } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ToolCall } from '@langchain/core/messages/tool';
import type { BoundToolInfo } from './boundTools.js';
import { toolCallsIn } from './conversation.js';
import { OfflineChatModel } from './OfflineChatModel.js';
import { decideTurn, type IntendedCall, type ReactPolicyOptions } from './reactPolicy.js';

/** Options of {@link RuleBasedChatModel}. */
export interface RuleBasedChatModelOptions extends BaseChatModelParams {
  /** Tool calls per task (since the latest human message). Default 3. */
  maxToolCalls?: number;
  /** Tool calls per turn. Default: one per turn for `use:` plans, all picked tools at once otherwise. */
  toolCallsPerTurn?: number;
  /** Characters of each tool result quoted in the final answer. Default 400. */
  maxResultChars?: number;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) {
    throw new RangeError(`RuleBasedChatModel: ${name} must be a positive integer, got ${String(value)}.`);
  }
  return chosen;
}

// Ids derive from the conversation, not from a counter, so the same messages always give the same reply.
function idsFor(messages: readonly BaseMessage[], count: number): string[] {
  const used = new Set(toolCallsIn(messages).flatMap((call) => (call.id === undefined ? [] : [call.id])));
  const ids: string[] = [];
  for (let n = used.size + 1; ids.length < count; n++) {
    const id = `call_${n}`;
    if (!used.has(id)) ids.push(id);
  }
  return ids;
}

/**
 * A tiny deterministic ReAct agent that needs no network: it picks the bound tools whose names and
 * descriptions match the latest human task, builds their arguments from their JSON schemas and the task
 * (quoted strings, paths, URLs, numbers), calls them (never the same call twice, at most `maxToolCalls`),
 * then answers with a summary of what each tool returned, failures included. Lines
 * `use: server__tool {"json":"args"}` in the task are run in order instead.
 *
 * @example
 * const model = new RuleBasedChatModel();
 * const agent = model.bindTools([readFileTool]);
 * const first = await agent.invoke([new HumanMessage('read /tmp/notes.txt')]);
 * // first.tool_calls: [{ name: 'fs__read_file', args: { path: '/tmp/notes.txt' }, id: 'call_1' }]
 */
export class RuleBasedChatModel extends OfflineChatModel {
  static override lc_name(): string {
    return 'RuleBasedChatModel';
  }

  readonly policy: ReactPolicyOptions;

  constructor(options: RuleBasedChatModelOptions = {}) {
    const { maxToolCalls, toolCallsPerTurn, maxResultChars, ...base } = options;
    super(base);
    this.policy = {
      maxToolCalls: positive('maxToolCalls', maxToolCalls, 3),
      toolCallsPerTurn:
        toolCallsPerTurn === undefined ? undefined : positive('toolCallsPerTurn', toolCallsPerTurn, 1),
      maxResultChars: positive('maxResultChars', maxResultChars, 400),
    };
  }

  _llmType(): string {
    return 'azcore-rule-based';
  }

  protected override async respond(
    messages: BaseMessage[],
    tools: BoundToolInfo[],
    options: this['ParsedCallOptions'],
  ): Promise<AIMessage> {
    const decision = decideTurn(messages, tools, this.policy, options.tool_choice);
    if (decision.kind === 'answer') return new AIMessage({ content: decision.text });
    const ids = idsFor(messages, decision.calls.length);
    const toolCalls = decision.calls.map(
      (call: IntendedCall, i): ToolCall => ({
        type: 'tool_call',
        id: ids[i],
        name: call.name,
        args: call.args,
      }),
    );
    return new AIMessage({
      content: `Calling ${decision.calls.map((call) => call.name).join(', ')}.`,
      tool_calls: toolCalls,
    });
  }
}
