import type { BaseChatModelParams } from '@langchain/core/language_models/chat_models';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { ToolCall } from '@langchain/core/messages/tool';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import type { BoundToolInfo } from './boundTools.js';
import { OfflineChatModel } from './OfflineChatModel.js';

/** A tool call in a script. Without `id`, the model assigns `call_1`, `call_2`, ... in order. */
export interface ScriptedToolCall {
  name: string;
  args: Record<string, unknown>;
  id?: string;
}

/** A literal reply: text, tool calls, or both. */
export interface ScriptedReply {
  content?: string;
  toolCalls?: ScriptedToolCall[];
}

/** A reply computed from what the model sees, e.g. to react to the ToolMessages of the previous turn. */
export type ScriptTurnFunction = (
  messages: BaseMessage[],
  tools: BoundToolInfo[],
) => AIMessage | ScriptedReply | Promise<AIMessage | ScriptedReply>;

/** One turn of a script. */
export type ScriptTurn = ScriptedReply | ScriptTurnFunction;

/**
 * What happens once every turn has been played: throw a `ConfigurationError` (code `SCRIPT_EXHAUSTED`),
 * play the last turn again, or answer a fixed final text.
 */
export type WhenScriptExhausted = 'throw' | 'repeatLast' | { answer: string };

/** Options of {@link ScriptedChatModel}. */
export interface ScriptedChatModelOptions extends BaseChatModelParams {
  /** Default `'throw'`. */
  whenExhausted?: WhenScriptExhausted;
}

/**
 * A deterministic chat model that plays a script of turns, one per call, with real `tool_calls`.
 * Calls and offered tools are recorded in `calls`.
 *
 * @example
 * const model = new ScriptedChatModel([
 *   { toolCalls: [{ name: 'fs__read_file', args: { path: '/tmp/a' } }] },
 *   (messages) => ({ content: `The file says: ${messages.at(-1)?.content}` }),
 * ]);
 * const reply = await model.bindTools([readFile]).invoke('read /tmp/a'); // tool_calls[0].id === 'call_1'
 */
export class ScriptedChatModel extends OfflineChatModel {
  static override lc_name(): string {
    return 'ScriptedChatModel';
  }

  readonly whenExhausted: WhenScriptExhausted;
  private readonly script: ScriptTurn[];
  private played = 0;
  private generatedIds = 0;

  constructor(script: readonly ScriptTurn[], options: ScriptedChatModelOptions = {}) {
    const { whenExhausted = 'throw', ...base } = options;
    super(base);
    this.script = [...script];
    this.whenExhausted = whenExhausted;
  }

  _llmType(): string {
    return 'azcore-scripted';
  }

  /** Turns played so far (including repeats and final answers after the script ran out). */
  get position(): number {
    return this.played;
  }

  /** Turns left to play before `whenExhausted` applies. */
  get remaining(): number {
    return Math.max(0, this.script.length - this.played);
  }

  /** Adds turns at the end of the script. */
  append(...turns: ScriptTurn[]): void {
    this.script.push(...turns);
  }

  /** Starts the script over: position, generated ids and recorded calls are cleared. */
  reset(): void {
    this.played = 0;
    this.generatedIds = 0;
    this.calls.length = 0;
  }

  protected override async respond(messages: BaseMessage[], tools: BoundToolInfo[]): Promise<AIMessage> {
    const index = this.played;
    this.played += 1;
    const turn = this.script[index];
    if (turn !== undefined) return this.play(turn, messages, tools, false);
    const last = this.script.at(-1);
    if (this.whenExhausted === 'repeatLast' && last !== undefined)
      return this.play(last, messages, tools, true);
    if (typeof this.whenExhausted === 'object') return new AIMessage({ content: this.whenExhausted.answer });
    throw new ConfigurationError(
      `ScriptedChatModel has no turn ${index + 1}: its script has ${this.script.length} turn(s).`,
      {
        code: 'SCRIPT_EXHAUSTED',
        hint: "Add turns, or pass whenExhausted: 'repeatLast' or { answer: '...' }.",
      },
    );
  }

  private async play(
    turn: ScriptTurn,
    messages: BaseMessage[],
    tools: BoundToolInfo[],
    repeat: boolean,
  ): Promise<AIMessage> {
    const reply = typeof turn === 'function' ? await turn(messages, tools) : turn;
    if (AIMessage.isInstance(reply)) return this.withIds(reply, repeat);
    const toolCalls = (reply.toolCalls ?? []).map((call) =>
      this.toolCall(call.name, call.args, call.id, repeat),
    );
    return new AIMessage({ content: reply.content ?? '', tool_calls: toolCalls });
  }

  private withIds(message: AIMessage, repeat: boolean): AIMessage {
    const calls = message.tool_calls ?? [];
    if (!repeat && calls.every((call) => call.id !== undefined)) return message;
    return new AIMessage({
      content: message.content,
      additional_kwargs: message.additional_kwargs,
      response_metadata: message.response_metadata,
      tool_calls: calls.map((call) => this.toolCall(call.name, call.args, call.id, repeat)),
      ...(message.id === undefined ? {} : { id: message.id }),
    });
  }

  // A repeated turn gets fresh ids: two tool calls sharing an id would confuse any agent loop.
  private toolCall(
    name: string,
    args: Record<string, unknown>,
    id: string | undefined,
    repeat: boolean,
  ): ToolCall {
    const callId = id !== undefined && !repeat ? id : this.nextId();
    return { type: 'tool_call', id: callId, name, args };
  }

  private nextId(): string {
    this.generatedIds += 1;
    return `call_${this.generatedIds}`;
  }
}
