import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { BaseMessageLike } from '@langchain/core/messages';
import { ResourceError } from '../errors/ResourceError.js';
import type { CreateMessageResult, SamplingHandler } from '../protocol/serverRequests.js';

/** Options of {@link createSamplingHandler}. */
export interface SamplingHandlerOptions {
  /**
   * Tokens this handler may spend in all (prompt + completion, as the model reports them, or
   * characters / 4 when it does not). A request past the budget is refused. Default 20 000.
   */
  budgetTokens?: number;
}

/**
 * Answers a server's `sampling/createMessage` with a LangChain chat model (the team's, usually).
 * Only text parts are passed on; the server's `systemPrompt` leads the conversation.
 *
 * @example
 * const conn = new ServerConnection({ config, sampling: createSamplingHandler(model, { budgetTokens: 5_000 }) });
 */
export function createSamplingHandler(
  model: BaseChatModel,
  options: SamplingHandlerOptions = {},
): SamplingHandler {
  const budget = options.budgetTokens ?? 20_000;
  let spent = 0;
  return async (request, { server, signal }) => {
    if (spent >= budget) {
      throw new ResourceError(`The sampling budget of ${budget} tokens is spent.`, {
        server,
        code: 'SAMPLING_BUDGET',
        retryable: false,
        hint: 'Raise budgetTokens of createSamplingHandler if this server may use more.',
      });
    }
    // Message-like tuples, which the model coerces: no @langchain/core value import here, as the
    // builder (in the root) imports this module.
    const messages: BaseMessageLike[] = [];
    if (request.systemPrompt) messages.push(['system', request.systemPrompt]);
    for (const message of request.messages) {
      messages.push([message.role === 'assistant' ? 'ai' : 'human', textOf(message.content)]);
    }
    const reply = await model.invoke(messages, { signal });
    const text = typeof reply.content === 'string' ? reply.content : textOf(reply.content);
    const usage = (reply as { usage_metadata?: { total_tokens?: number } }).usage_metadata?.total_tokens;
    spent += usage ?? Math.ceil((JSON.stringify(request.messages).length + text.length) / 4);
    return {
      role: 'assistant',
      content: { type: 'text', text },
      model: model.getName(),
      stopReason: 'endTurn',
    } satisfies CreateMessageResult;
  };
}

function textOf(content: unknown): string {
  const parts = Array.isArray(content) ? content : [content];
  return parts
    .map((p) => (p && typeof p === 'object' && 'text' in p && typeof p.text === 'string' ? p.text : ''))
    .filter(Boolean)
    .join('\n');
}
