import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOpenAI } from '@langchain/openai';
import { RuleBasedChatModel, type RuleBasedChatModelOptions } from './RuleBasedChatModel.js';

/** A LangChain chat model that can bind tools (the agent loop needs nothing more). */
export type ToolCallingChatModel = BaseChatModel & { bindTools: NonNullable<BaseChatModel['bindTools']> };

/** Options of {@link createChatModel}. */
export interface CreateChatModelOptions {
  /** Where to read `OPENAI_API_KEY`, `OPENAI_BASE_URL` and `OPENAI_MODEL`. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Model name for the OpenAI branch. Default `OPENAI_MODEL`, else `gpt-4o-mini`. */
  model?: string;
  /** Sampling temperature for the OpenAI branch. */
  temperature?: number;
  /** Options of the offline {@link RuleBasedChatModel} used when there is no API key. */
  offline?: RuleBasedChatModelOptions;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The chat model for a team: `ChatOpenAI` when `OPENAI_API_KEY` is set (pointed at `OPENAI_BASE_URL` if
 * set, for OpenAI-compatible local servers), otherwise the offline {@link RuleBasedChatModel}. Nothing
 * is contacted until the model is invoked.
 *
 * @example
 * const model = createChatModel(); // offline unless OPENAI_API_KEY is set
 * const agent = model.bindTools(tools);
 */
export function createChatModel(options: CreateChatModelOptions = {}): ToolCallingChatModel {
  const env = options.env ?? process.env;
  const apiKey = nonEmpty(env.OPENAI_API_KEY);
  if (apiKey === undefined) return new RuleBasedChatModel(options.offline);
  const baseURL = nonEmpty(env.OPENAI_BASE_URL);
  return new ChatOpenAI({
    apiKey,
    model: options.model ?? nonEmpty(env.OPENAI_MODEL) ?? 'gpt-4o-mini',
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(baseURL === undefined ? {} : { configuration: { baseURL } }),
  });
}
