import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { ChatOpenAI } from '@langchain/openai';
import { ConfigurationError } from '../errors/ConfigurationError.js';
import { loadLangChain } from './loadLangChain.js';
import type { RuleBasedChatModel, RuleBasedChatModelOptions } from './RuleBasedChatModel.js';

const OPENAI_PACKAGE = '@langchain/openai';

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
  /** Base URL of an OpenAI-compatible API. Default `OPENAI_BASE_URL`, else OpenAI's. */
  baseURL?: string;
  /** Retries of a failed request (LangChain's, with backoff). Default LangChain's (6); 0 fails at once. */
  maxRetries?: number;
  /** The client's own timeout of one request, in ms. The turn's Deadline bounds the call anyway. */
  timeoutMs?: number;
  /** Options of the offline {@link RuleBasedChatModel} used when there is no API key. */
  offline?: RuleBasedChatModelOptions;
}

/**
 * `@langchain/openai` is an optional peer: loaded on the first `provider: 'openai'`, never by
 * importing azcore (it and the `openai` SDK it pulls in are most of an install). Loaded
 * synchronously so createChatModel stays synchronous: its ES build through `require(esm)` (Node
 * 20.19+; the same `@langchain/core` instance as ours, and as an application's own import), else
 * its CommonJS build.
 */
function loadChatOpenAI(): typeof ChatOpenAI {
  const require = createRequire(import.meta.url);
  const load = (id: string) => (require(id) as { ChatOpenAI: typeof ChatOpenAI }).ChatOpenAI;
  try {
    let esm: string | undefined;
    try {
      esm = fileURLToPath(import.meta.resolve(OPENAI_PACKAGE));
    } catch {
      // not installed, or no import.meta.resolve here: the plain require below tells
    }
    if (esm !== undefined) {
      try {
        return load(esm);
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw e;
      }
    }
    return load(OPENAI_PACKAGE);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw e;
    throw new ConfigurationError(
      `The openai model provider needs the package '${OPENAI_PACKAGE}', which is not installed.`,
      {
        cause: e,
        hint: `Run \`npm install ${OPENAI_PACKAGE}\`, or use provider 'offline' (the embedded model).`,
      },
    );
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The chat model for a team, chosen explicitly: the offline {@link RuleBasedChatModel} (default), or
 * `ChatOpenAI` with `provider: 'openai'` (pointed at `OPENAI_BASE_URL` if set, for OpenAI-compatible
 * local servers). Nothing is contacted until the model is invoked. Asynchronous because it loads
 * LangChain on first use (`@langchain/core` is an optional peer: without it, a ConfigurationError
 * saying to install it); `withLlm()` takes the promise as it is.
 *
 * @example
 * const offline = await createChatModel();                      // never touches the network
 * const openai = await createChatModel({ provider: 'openai' }); // needs OPENAI_API_KEY
 * const team = await new MCPTeamBuilder('t').withLlm(createChatModel()).withMcpServer('mcp-server-memory', []).build();
 */
export async function createChatModel(options: CreateChatModelOptions = {}): Promise<ToolCallingChatModel> {
  if ((options.provider ?? 'offline') === 'offline') {
    const offline = await loadLangChain('createChatModel()', () => import('./RuleBasedChatModel.js'));
    return new offline.RuleBasedChatModel(options.offline);
  }
  return openAiChatModel(options);
}

/**
 * The `provider: 'openai'` branch of {@link createChatModel}, synchronous (for the CLI, which loads
 * LangChain itself): a ConfigurationError without OPENAI_API_KEY or without `@langchain/openai`.
 */
export function openAiChatModel(
  options: Omit<CreateChatModelOptions, 'provider' | 'offline'>,
): ToolCallingChatModel {
  const env = options.env ?? process.env;
  const apiKey = nonEmpty(env.OPENAI_API_KEY);
  if (apiKey === undefined) {
    throw new ConfigurationError('The openai model provider needs OPENAI_API_KEY, which is not set.', {
      hint: "Export OPENAI_API_KEY, or use provider 'offline' (the embedded model).",
    });
  }
  const baseURL = nonEmpty(options.baseURL) ?? nonEmpty(env.OPENAI_BASE_URL);
  const ChatOpenAIClass = loadChatOpenAI();
  return new ChatOpenAIClass({
    apiKey,
    model: options.model ?? nonEmpty(env.OPENAI_MODEL) ?? 'gpt-4o-mini',
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    ...(baseURL === undefined ? {} : { configuration: { baseURL } }),
  });
}
