import {
  type BaseMessage,
  HumanMessage,
  mapChatMessagesToStoredMessages,
  mapStoredMessagesToChatMessages,
  type StoredMessage,
  ToolMessage,
} from '@langchain/core/messages';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { classifyError } from '../errors/classifyError.js';
import { errorFromSummary } from '../errors/errorFromSummary.js';
import { ResourceError } from '../errors/ResourceError.js';
import { ToolError } from '../errors/ToolError.js';
import { isMcpToolArtifact } from '../team/createMcpTool.js';
import { finalAnswer, type MCPTeam } from '../team/MCPTeam.js';
import type { CacheCodec } from './cached.js';
import type { JsonValue } from './canonicalJson.js';
import type { Executor } from './Executor.js';

/** What a team executor resolves to. */
export interface TeamAnswer {
  /** The team that answered. */
  team: string;
  /** The final answer text (the last AI message). */
  answer: string;
  /** The whole conversation of the turn: the task, model turns, tool results, answer. */
  messages: BaseMessage[];
}

/**
 * Which tool failures inside a turn make the turn count as failed. A team turn itself only throws
 * on its deadline, an abort or a model error: tool failures are results the model reads.
 * - `serverErrors` (default): a tool call failed because of its server (connection, timeout,
 *   protocol, resource, auth, open breaker, unavailable server); the answer is then incomplete.
 * - `anyToolError`: also `isError` results and bad arguments.
 * - `never`: trust the model's answer whatever its tools did.
 */
export type ToolFailurePolicy = 'serverErrors' | 'anyToolError' | 'never';

/** Options of {@link teamExecutor}. */
export interface TeamExecutorOptions {
  /** Budget of one turn in ms (default: the team's). The executor's signal also applies. */
  timeoutMs?: number | undefined;
  /** Default `serverErrors`. */
  failOn?: ToolFailurePolicy | undefined;
  /** Fail at once, without calling the model, when the team has servers and none is available. Default true. */
  requireAvailableServer?: boolean | undefined;
}

/** What {@link teamExecutor} needs of a team: an `MCPTeam` fits. */
export type TeamLike = Pick<MCPTeam, 'name' | 'invoke' | 'getServerStates'>;

const ANSWERED_KINDS = new Set(['tool', 'input']);

/**
 * An MCPTeam as an {@link Executor}: runs `team.invoke({ messages: [new HumanMessage(task)] })`
 * and resolves to the final answer text and the messages. Rejects with a typed error when the turn
 * fails, or when a tool failure makes the answer unreliable (see {@link ToolFailurePolicy}). The
 * function is named after the team. A policy's context is its options: `(ctx) => executor(task, ctx)`.
 *
 * @example
 * const local = teamExecutor(localTeam, { failOn: 'anyToolError' });
 * const outcome = await run(fallback(dynamic((ctx) => local(task, ctx), { name: 'local' })), (ctx) => teamExecutor(primaryTeam)(task, ctx));
 */
export function teamExecutor(team: TeamLike, options: TeamExecutorOptions = {}): Executor<TeamAnswer> {
  const policy = options.failOn ?? 'serverErrors';
  const requireServer = options.requireAvailableServer ?? true;
  const run: Executor<TeamAnswer> = async (task, executorOptions = {}) => {
    if (requireServer) assertSomeServerAvailable(team);
    let messages: BaseMessage[];
    try {
      ({ messages } = await team.invoke(
        { messages: [new HumanMessage(task)] },
        {
          ...(executorOptions.signal ? { signal: executorOptions.signal } : {}),
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        },
      ));
    } catch (e) {
      throw classifyError(e, { signal: executorOptions.signal });
    }
    if (policy !== 'never') {
      for (const message of messages.slice(1)) {
        if (!(message instanceof ToolMessage) || message.status !== 'error') continue;
        const error = toolFailure(message);
        if (policy === 'anyToolError' || !ANSWERED_KINDS.has(error.kind)) throw error;
      }
    }
    return { team: team.name, answer: finalAnswer(messages), messages };
  };
  Object.defineProperty(run, 'name', { value: team.name });
  return run;
}

function assertSomeServerAvailable(team: TeamLike): void {
  const states = Object.entries(team.getServerStates());
  if (states.length === 0 || states.some(([, s]) => s.available)) return;
  const list = states
    .map(([name, s]) => `${name}: ${s.state}${s.breaker === 'closed' ? '' : `, breaker ${s.breaker}`}`)
    .join('; ');
  throw new ConnectionError(
    `Team "${team.name}" has no server available (${list}), so it would answer without tools.`,
    {
      code: 'NO_SERVER_AVAILABLE',
      hint: 'Wait for a server to reconnect, or let a fallback answer.',
    },
  );
}

/** The typed error behind an error ToolMessage. */
function toolFailure(message: ToolMessage): AzcoreError {
  const artifact: unknown = message.artifact;
  if (isMcpToolArtifact(artifact) && artifact.error) return errorFromSummary(artifact.error, artifact.server);
  const text = typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
  // The agent loop's answer for a tool whose server dropped out between offering and calling.
  if (text.startsWith('Error [unavailable]')) {
    return new ConnectionError(`The model called ${message.name ?? 'a tool'}, whose server is unavailable.`, {
      code: 'TOOL_UNAVAILABLE',
      hint: 'Wait for the server to reconnect, or let a fallback answer.',
    });
  }
  return new ToolError(`Tool ${message.name ?? '(unnamed)'} failed: ${text.slice(0, 300)}`);
}

/**
 * Stores {@link TeamAnswer}s in a cache as plain JSON (LangChain's stored-message form) and
 * restores them as messages.
 *
 * @example
 * const cached = new CachedFallback(teamExecutor(team), { codec: teamAnswerCodec, store: './cache.sqlite' });
 */
export const teamAnswerCodec: CacheCodec<TeamAnswer> = {
  encode: (answer) => ({
    team: answer.team,
    answer: answer.answer,
    messages: mapChatMessagesToStoredMessages(answer.messages) as unknown as JsonValue,
  }),
  decode: (json) => {
    const v = json as { team?: unknown; answer?: unknown; messages?: unknown } | null;
    if (!v || typeof v.team !== 'string' || typeof v.answer !== 'string' || !Array.isArray(v.messages)) {
      throw new ResourceError('A cached team answer has the wrong shape and was not served.', {
        code: 'CACHE_SHAPE',
        retryable: false,
        hint: 'Use a separate namespace per codec, or clear the cache.',
      });
    }
    const messages = mapStoredMessagesToChatMessages(v.messages as StoredMessage[]);
    return { team: v.team, answer: v.answer, messages };
  },
};
