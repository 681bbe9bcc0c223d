import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { AzcoreError, ErrorKind } from '../errors/AzcoreError.js';
import type { BreakerStateName } from '../events/RuntimeEvent.js';
import { isMcpToolArtifact } from '../team/createMcpTool.js';
import type { ServerStatus } from '../team/MCPTeam.js';

/** Where an answer came from. */
export type AnswerSource = 'team' | 'cache' | 'fallback' | 'none';

/** A tool call of the task that failed. */
export interface FailedToolCall {
  tool: string;
  kind: ErrorKind | 'unavailable';
  /** True when the server, not the tool, failed (the answer misses what the tool would have said). */
  serverFault: boolean;
}

/** What {@link ProductionMCPTeam.execute} resolves with (the guide's result dict, typed). */
export interface ExecutionResult {
  /**
   * `success`: the team answered with every required server available and no server failing a call.
   * `degraded`: an answer with less than full capability (a server failed a tool call, a required
   * server was unavailable, or the answer came from the cache or the fallback); see `reasons`.
   * `failed`: no answer; see `error` and `errorType`.
   */
  status: 'success' | 'degraded' | 'failed';
  result?: string | undefined;
  /** The failure's message (says what to do). */
  error?: string | undefined;
  errorType?: ErrorKind | undefined;
  metadata: {
    /** The task breaker's state after this execution. */
    circuitState: BreakerStateName;
    /** Tools the model called, in order, without repeats (`server__tool`). */
    toolsUsed: string[];
    failedTools: FailedToolCall[];
    /** Team invocations made (1 + retries). */
    attempts: number;
    durationMs: number;
    source: AnswerSource;
    /** Servers that were unavailable when the task finished (optional ones included). */
    unavailableServers: string[];
    /** Why the status is not `success`, one line each (empty on success). */
    reasons: string[];
  };
}

const ANSWERED_KINDS = new Set<string>(['tool', 'input']);

/** The tools a turn called and the calls that failed, read from its messages (after the input). */
export function readToolCalls(messages: readonly BaseMessage[]): {
  toolsUsed: string[];
  failedTools: FailedToolCall[];
} {
  const used = new Set<string>();
  const failedTools: FailedToolCall[] = [];
  for (const m of messages) {
    if (m instanceof AIMessage) for (const call of m.tool_calls ?? []) used.add(call.name);
    if (!(m instanceof ToolMessage) || m.status !== 'error') continue;
    const tool = m.name ?? 'unknown';
    const artifact: unknown = m.artifact;
    if (isMcpToolArtifact(artifact) && artifact.error) {
      const kind = artifact.error.kind;
      failedTools.push({ tool, kind, serverFault: !ANSWERED_KINDS.has(kind) });
    } else {
      const text = typeof m.content === 'string' ? m.content : '';
      const unavailable = text.startsWith('Error [unavailable]');
      failedTools.push({ tool, kind: unavailable ? 'unavailable' : 'tool', serverFault: unavailable });
    }
  }
  return { toolsUsed: [...used], failedTools };
}

/** What {@link buildResult} needs to know about one execution. */
export interface ExecutionFacts {
  source: AnswerSource;
  answer?: string | undefined;
  /** Why the team could not answer (for cache, fallback and failed results). */
  error?: AzcoreError | undefined;
  calls?: { toolsUsed: string[]; failedTools: FailedToolCall[] } | undefined;
  servers: Record<string, ServerStatus>;
  circuitState: BreakerStateName;
  attempts: number;
  durationMs: number;
}

/** The result of an execution, its status and reasons derived from what happened. */
export function buildResult(facts: ExecutionFacts): ExecutionResult {
  const { source, error, calls } = facts;
  const servers = Object.entries(facts.servers);
  const reasons: string[] = [];
  if (source === 'team') {
    for (const f of calls?.failedTools ?? [])
      if (f.serverFault) reasons.push(`tool ${f.tool} failed (${f.kind}): its server did not answer`);
    for (const [name, s] of servers) {
      if (!s.available && !s.optional)
        reasons.push(`required server ${name} unavailable (${s.state}, breaker ${s.breaker})`);
    }
  } else if (error) {
    reasons.push(
      source === 'none' ? error.message : `answered from the ${source} after a ${error.kind} failure`,
    );
  }
  const status =
    source === 'none' ? 'failed' : source === 'team' && reasons.length === 0 ? 'success' : 'degraded';
  return {
    status,
    ...(facts.answer !== undefined ? { result: facts.answer } : {}),
    ...(error ? { error: error.message, errorType: error.kind } : {}),
    metadata: {
      circuitState: facts.circuitState,
      toolsUsed: calls?.toolsUsed ?? [],
      failedTools: calls?.failedTools ?? [],
      attempts: facts.attempts,
      durationMs: facts.durationMs,
      source,
      unavailableServers: servers.filter(([, s]) => !s.available).map(([name]) => name),
      reasons,
    },
  };
}
