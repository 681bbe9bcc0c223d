import type { BaseMessage } from '@langchain/core/messages';

/**
 * A final answer as plain text (the content of the last AI message). Reads the message's `type`
 * rather than `instanceof AIMessage`, so the root can export it without loading @langchain/core.
 */
export function finalAnswer(messages: readonly BaseMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.type === 'ai') return typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
  }
  return '';
}
