import {
  mapChatMessagesToStoredMessages,
  mapStoredMessagesToChatMessages,
  type StoredMessage,
} from '@langchain/core/messages';
import type { ErrorFacts } from '../errors/errorFromSummary.js';
import { errorFromSummary } from '../errors/errorFromSummary.js';
import { ResourceError } from '../errors/ResourceError.js';
import type { CacheCodec } from '../fallback/cached.js';
import type { JsonValue } from '../fallback/canonicalJson.js';
import type { TeamAnswer } from './teamRun.js';
import type { ToolFailure } from './toolFailures.js';

interface StoredFailure {
  tool: string;
  server?: string | undefined;
  error: ErrorFacts;
}

function shapeError(): ResourceError {
  return new ResourceError('A cached team answer has the wrong shape and was not served.', {
    code: 'CACHE_SHAPE',
    retryable: false,
    hint: 'Use a separate namespace per codec, or clear the cache.',
  });
}

function restoreFailure(v: unknown): ToolFailure {
  const f = v as Partial<StoredFailure> | null;
  const e = f?.error;
  if (!f || typeof f.tool !== 'string' || !e || typeof e.kind !== 'string' || typeof e.message !== 'string') {
    throw shapeError();
  }
  const server = typeof f.server === 'string' ? f.server : undefined;
  return {
    tool: f.tool,
    server,
    error: errorFromSummary({ ...e, code: String(e.code), retryable: !!e.retryable }, server),
  };
}

/**
 * Stores a {@link TeamAnswer} in a cache as plain JSON (LangChain's stored-message form, each tool
 * failure's error as its `toJSON()`) and restores it as messages and typed errors. Entries written
 * before answers had `toolFailures` restore with none.
 *
 * @example
 * const outcome = await team.run(task, { policy: fallback(cached(store, { key: task, codec: teamAnswerCodec })) });
 */
export const teamAnswerCodec: CacheCodec<TeamAnswer> = {
  encode: (answer) => ({
    team: answer.team,
    answer: answer.answer,
    messages: mapChatMessagesToStoredMessages(answer.messages) as unknown as JsonValue,
    toolFailures: answer.toolFailures.map((f) => ({
      tool: f.tool,
      ...(f.server ? { server: f.server } : {}),
      error: f.error.toJSON(),
    })),
  }),
  decode: (json) => {
    const v = json as { team?: unknown; answer?: unknown; messages?: unknown; toolFailures?: unknown } | null;
    if (!v || typeof v.team !== 'string' || typeof v.answer !== 'string' || !Array.isArray(v.messages)) {
      throw shapeError();
    }
    const failures = v.toolFailures ?? [];
    if (!Array.isArray(failures)) throw shapeError();
    const messages = mapStoredMessagesToChatMessages(v.messages as StoredMessage[]);
    return { team: v.team, answer: v.answer, messages, toolFailures: failures.map(restoreFailure) };
  },
};
