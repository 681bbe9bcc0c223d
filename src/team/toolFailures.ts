import { type BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { ConnectionError } from '../errors/ConnectionError.js';
import { errorFromSummary } from '../errors/errorFromSummary.js';
import { ToolError } from '../errors/ToolError.js';
import { isMcpToolArtifact } from './createMcpTool.js';

/** One tool call of a turn that failed, as the model saw it. */
export interface ToolFailure {
  /** Qualified tool name, e.g. `files__read_file`. */
  readonly tool: string;
  readonly server: string | undefined;
  readonly error: AzcoreError;
}

function failureOf(message: ToolMessage): ToolFailure {
  const tool = message.name ?? 'unknown tool';
  const artifact: unknown = message.artifact;
  if (isMcpToolArtifact(artifact) && artifact.error) {
    return { tool, server: artifact.server, error: errorFromSummary(artifact.error, artifact.server) };
  }
  const text = typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
  // The agent loop's answer for a tool whose server dropped out between offering and calling: no
  // artifact, but the server's fault (the answer misses what the tool would have said).
  const down = /^Error \[unavailable\]: .*its server "([^"]+)" is unavailable/.exec(text);
  if (down) {
    const server = down[1];
    return {
      tool,
      server,
      error: new ConnectionError(`The model called ${tool}, whose server is unavailable.`, {
        server,
        code: 'TOOL_UNAVAILABLE',
        hint: 'Wait for the server to reconnect, or let a fallback answer.',
      }),
    };
  }
  return {
    tool,
    server: isMcpToolArtifact(artifact) ? artifact.server : undefined,
    error: new ToolError(`Tool ${tool} failed: ${text}`, {
      tool,
      hint: 'The model saw this failure; check the tool and its arguments.',
    }),
  };
}

const isFailed = (m: BaseMessage): m is ToolMessage => m instanceof ToolMessage && m.status === 'error';

/**
 * The failed tool calls in a turn's messages (ToolMessages with `status: 'error'`), each with its
 * typed error rebuilt from the MCP artifact (a call to a tool whose server was unavailable is a
 * `ConnectionError` `TOOL_UNAVAILABLE`; any other failure without an artifact a `ToolError`). A team turn never throws for a failed tool (the model
 * reads the failure), so this is how a caller finds out.
 *
 * @example
 * const { messages } = await team.invoke({ messages: [new HumanMessage(task)] });
 * for (const f of toolFailures(messages)) console.log(f.tool, f.error.kind);
 */
export function toolFailures(messages: readonly BaseMessage[]): ToolFailure[] {
  return messages.filter(isFailed).map(failureOf);
}

/**
 * The tools whose latest call in the turn failed: a failure the model fixed itself (a later call of
 * the same tool succeeded) is not counted. Ordered by those latest calls.
 *
 * @example const [first] = unresolvedToolFailures(messages); // undefined when every tool ended well
 */
export function unresolvedToolFailures(messages: readonly BaseMessage[]): ToolFailure[] {
  const latest = new Map<string, ToolMessage>();
  for (const message of messages) {
    if (!(message instanceof ToolMessage)) continue;
    const tool = message.name ?? 'unknown tool';
    latest.delete(tool); // re-insert, so the map's order is that of the latest calls
    latest.set(tool, message);
  }
  return [...latest.values()].filter(isFailed).map(failureOf);
}
