import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOpenAI } from '@langchain/openai';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { RuleBasedChatModel, type RuleBasedChatModelOptions } from './RuleBasedChatModel.js';

/** A LangChain chat model that can bind tools (the agent loop needs nothing more). */
export type ToolCallingChatModel = BaseChatModel & { bindTools: NonNullable<BaseChatModel['bindTools']> };

/** Where the model runs: the embedded offline model, or OpenAI (a network service). */
export type ChatModelProvider = 'offline' | 'openai';

/** Options of {@link createChatModel}. */
export interface CreateChatModelOptions {
  /**
   * `'offline'` (default): the embedded rule-based model, nothing leaves the machine. `'openai'`:
   * `ChatOpenAI` with `OPENAI_API_KEY` (a ConfigurationError if it is missing). Never chosen for
   * you: an exported `OPENAI_API_KEY` alone does not switch to the network.
   */
  provider?: ChatModelProvider;
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
 * The chat model for a team, chosen explicitly: the offline {@link RuleBasedChatModel} (default), or
 * `ChatOpenAI` with `provider: 'openai'` (pointed at `OPENAI_BASE_URL` if set, for OpenAI-compatible
 * local servers). Nothing is contacted until the model is invoked.
 *
 * @example
 * const offline = createChatModel();                      // never touches the network
 * const openai = createChatModel({ provider: 'openai' }); // needs OPENAI_API_KEY
 */
export function createChatModel(options: CreateChatModelOptions = {}): ToolCallingChatModel {
  const env = options.env ?? process.env;
  if ((options.provider ?? 'offline') === 'offline') return new RuleBasedChatModel(options.offline);
  const apiKey = nonEmpty(env.OPENAI_API_KEY);
  if (apiKey === undefined) {
    throw new ConfigurationError('The openai model provider needs OPENAI_API_KEY, which is not set.', {
      hint: "Export OPENAI_API_KEY, or use provider 'offline' (the embedded model).",
    });
  }
  const baseURL = nonEmpty(env.OPENAI_BASE_URL);
  return new ChatOpenAI({
    apiKey,
    model: options.model ?? nonEmpty(env.OPENAI_MODEL) ?? 'gpt-4o-mini',
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(baseURL === undefined ? {} : { configuration: { baseURL } }),
  });
}
