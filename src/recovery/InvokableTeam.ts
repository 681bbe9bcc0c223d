import type { BaseMessage, BaseMessageLike } from '@langchain/core/messages';
import type { InvokeOptions } from '../team/MCPTeam.js';

/**
 * What the recovery helpers need from a team: one `invoke` turn. An {@link MCPTeam} is one; so is
 * anything with the same `invoke` (a fallback chain, a wrapper that adds logging, a test double).
 */
export interface InvokableTeam {
  /** Used in results and logs when present. */
  readonly name?: string;
  invoke(
    input: { messages: BaseMessageLike[] },
    options?: InvokeOptions,
  ): Promise<{ messages: BaseMessage[] }>;
}

/** A task: plain text (sent as one human message) or the messages of a conversation. */
export type TeamTask = string | { messages: BaseMessageLike[] };

/**
 * The messages a {@link TeamTask} stands for.
 *
 * @example taskMessages('List files') // [['human', 'List files']]
 */
export function taskMessages(task: TeamTask): BaseMessageLike[] {
  return typeof task === 'string' ? [['human', task]] : task.messages;
}
