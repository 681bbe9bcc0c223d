import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { ModelFailureContext } from '../errors/fromModelFailure.js';

/** The embedded models' `_llmType()`s: both are the `offline` provider. */
const OFFLINE_TYPES = new Set(['azcore-rule-based', 'azcore-scripted']);

/**
 * Who a chat model is, for events and errors: provider, model name, endpoint and the key to mask.
 * Read once per run from the LangChain model's own fields (ChatOpenAI: `model`, `apiKey`,
 * `clientConfig.baseURL`), so any tool-calling model works, not only those of createChatModel.
 */
export function modelIdentity(model: BaseChatModel): Omit<ModelFailureContext, 'signal'> {
  const fields = model as unknown as {
    model?: unknown;
    modelName?: unknown;
    apiKey?: unknown;
    clientConfig?: { baseURL?: unknown };
  };
  const type = safeLlmType(model);
  const provider = OFFLINE_TYPES.has(type) ? 'offline' : type;
  const name = str(fields.model) ?? str(fields.modelName);
  return {
    provider,
    model: name,
    endpoint: str(fields.clientConfig?.baseURL),
    secret: str(fields.apiKey),
  };
}

function safeLlmType(model: BaseChatModel): string {
  try {
    return model._llmType() || model.getName();
  } catch {
    return model.getName();
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
