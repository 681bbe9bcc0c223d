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
