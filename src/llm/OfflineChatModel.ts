import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
  type ToolChoice,
} from '@langchain/core/language_models/chat_models';
import type { AIMessage, AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { ChatResult } from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import { type BoundToolInfo, toBoundTools } from './boundTools.js';
import { contentText, systemPromptOf } from './conversation.js';

/** Call options of the offline models: LangChain's, plus the tools `bindTools` put there. */
export interface OfflineChatModelCallOptions extends BaseChatModelCallOptions {
  /** Tools offered on this call. `bindTools` fills it; any `BindToolsInput` shape is accepted. */
  tools?: (BindToolsInput | BoundToolInfo)[];
}

/** What one model call saw: recorded so tests can assert on prompts and offered tools. */
export interface ModelCall {
  /** The input messages, as a copy of the array the caller passed. */
  readonly messages: BaseMessage[];
  /** The tools offered on this call, normalized. */
  readonly tools: BoundToolInfo[];
  /** `tools.map(t => t.name)`. */
  readonly toolNames: string[];
  /** Text of the system message(s), if any. */
  readonly systemPrompt: string | undefined;
  /** The `tool_choice` call option, if any. */
  readonly toolChoice: ToolChoice | undefined;
}

/**
 * Shared base of the embedded offline chat models: tool binding, call recording, abort handling.
 * Subclasses implement {@link OfflineChatModel.respond}.
 */
export abstract class OfflineChatModel extends BaseChatModel<OfflineChatModelCallOptions, AIMessageChunk> {
  /** Every call made to this model (and to runnables returned by its `bindTools`), oldest first. */
  readonly calls: ModelCall[] = [];

  /**
   * Binds tools for the following calls. Returns a runnable over this same model instance (state and
   * `calls` are shared) whose call options carry `tools` as normalized {@link BoundToolInfo}s: read them with
   * {@link boundToolsOf}. `kwargs` (e.g. `tool_choice`) are bound the same way.
   *
   * @example
   * const bound = model.bindTools([readFileTool]);
   * const reply = await bound.invoke([new HumanMessage('read /tmp/a')]);
   */
  override bindTools(
    tools: (BindToolsInput | BoundToolInfo)[],
    kwargs?: Partial<OfflineChatModelCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, OfflineChatModelCallOptions> {
    return this.withConfig({ ...kwargs, tools: toBoundTools(tools) });
  }

  /** The last recorded call, if any. */
  get lastCall(): ModelCall | undefined {
    return this.calls.at(-1);
  }

  override async _generate(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    options.signal?.throwIfAborted();
    const tools = toBoundTools(options.tools ?? []);
    this.calls.push({
      messages: [...messages],
      tools,
      toolNames: tools.map((t) => t.name),
      systemPrompt: systemPromptOf(messages),
      toolChoice: options.tool_choice,
    });
    const message = await this.respond([...messages], tools, options);
    options.signal?.throwIfAborted();
    return { generations: [{ text: contentText(message.content), message }], llmOutput: {} };
  }

  /** Produces the reply to `messages` given the offered `tools`. */
  protected abstract respond(
    messages: BaseMessage[],
    tools: BoundToolInfo[],
    options: this['ParsedCallOptions'],
  ): Promise<AIMessage>;
}

/**
 * The tools bound on a runnable returned by an offline model's `bindTools` (empty for anything else).
 *
 * @example
 * boundToolsOf(model.bindTools([tool])).map((t) => t.name); // ['fs__read_file']
 */
export function boundToolsOf(runnable: unknown): BoundToolInfo[] {
  if (typeof runnable !== 'object' || runnable === null) return [];
  const config: unknown = (runnable as { config?: unknown }).config;
  if (typeof config !== 'object' || config === null) return [];
  const tools: unknown = (config as { tools?: unknown }).tools;
  return Array.isArray(tools) ? toBoundTools(tools as BindToolsInput[]) : [];
}
