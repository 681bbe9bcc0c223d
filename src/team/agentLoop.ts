import type { Callbacks } from '@langchain/core/callbacks/manager';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { type AIMessage, type BaseMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { type EventBus, summarizeError } from '../events/EventBus.js';
import type { ModelTokenUsage } from '../events/RuntimeEvent.js';
import { modelIdentity } from '../llm/modelIdentity.js';
import type { Clock } from '../resilience/Clock.js';
import type { Deadline } from '../resilience/Deadline.js';
import type { Semaphore } from '../resilience/Semaphore.js';
import { capText } from './formatToolResult.js';
import { systemPromptFor } from './systemPrompt.js';
import type { LiveTools } from './ToolRegistry.js';
import { MAX_TOOL_RESULT_CHARS, MAX_TOOL_RESULTS_CHARS_PER_ITERATION } from './toolLimits.js';

/** What `team.stream()` yields, one per step of the ReAct loop. */
export type TeamStep =
  | { type: 'model'; iteration: number; message: AIMessage }
  | {
      type: 'tool';
      iteration: number;
      tool: string;
      server: string | undefined;
      message: ToolMessage;
      durationMs: number;
    }
  | { type: 'final'; iterations: number; stoppedBy: 'answer' | 'maxIterations'; messages: BaseMessage[] };

/** Everything one run of the loop needs; the team supplies it. */
export interface AgentLoopInput {
  model: BaseChatModel;
  prompt: string;
  messages: BaseMessage[];
  /**
   * Called before every model turn: tool lists refresh only when a server's cache was invalidated
   * (a promise then; otherwise the answer at once). The same object back means nothing changed.
   */
  liveTools: (deadline: Deadline) => LiveTools | Promise<LiveTools>;
  /** Tools that are not MCP tools (given to the builder with withTools). */
  extraTools: readonly StructuredToolInterface[];
  maxIterations: number;
  deadline: Deadline;
  clock: Clock;
  limiterFor: (server: string) => Semaphore;
  /** LangChain callbacks of the turn's run: the model and tool runs are its children. */
  callbacks?: Callbacks | undefined;
  /** The caller's `RunnableConfig.configurable`, passed to every tool (beside the turn's `deadline`). */
  configurable?: Record<string, unknown> | undefined;
  /** Where `model.call.*` events go, and their `source` (`team:<name>`). None when omitted. */
  events?: { bus: EventBus; source: string } | undefined;
}

/**
 * A ReAct loop: the model answers or asks for tools; tool calls of one turn run concurrently
 * (bounded per server); their results go back to the model; repeat up to `maxIterations`. The
 * tools offered and the capability section of the system prompt follow the live tools of every
 * turn (made again whenever those change), so a server that went down (or behind an open breaker)
 * disappears, and one that came back reappears.
 */
export async function* agentLoop(input: AgentLoopInput): AsyncGenerator<TeamStep> {
  const { model, deadline } = input;
  const messages = [...input.messages];
  if (typeof model.bindTools !== 'function') {
    throw new TypeError(
      'The chat model has no bindTools(): use a LangChain chat model that supports tool calling.',
    );
  }
  const who = modelIdentity(model);
  // Binding converts every tool's schema for the model: done again only when the offered tools change.
  let bound: ReturnType<NonNullable<typeof model.bindTools>> | undefined;
  let boundTools: readonly StructuredToolInterface[] = [];
  let system: SystemMessage | undefined;
  // What the offered tools and the prompt were made from: an unchanged answer reuses them.
  let seen: LiveTools | undefined;
  let tools: StructuredToolInterface[] = [];
  let byName = new Map<string, StructuredToolInterface>();
  for (let iteration = 1; iteration <= input.maxIterations; iteration++) {
    deadline.throwIfExpired();
    const pending = input.liveTools(deadline);
    const live = pending instanceof Promise ? await pending : pending;
    if (live !== seen || !bound || !system) {
      seen = live;
      tools = [...input.extraTools, ...live.tools];
      byName = new Map(tools.map((t) => [t.name, t]));
      const prompt = systemPromptFor(input.prompt, live.capabilities);
      if (system?.content !== prompt) system = new SystemMessage(prompt);
      if (!bound || !sameTools(tools, boundTools)) {
        bound = model.bindTools(tools);
        boundTools = tools;
      }
    }
    const ai = await callModel(
      bound,
      [system, ...messages],
      { turn: iteration, tools: tools.length, who },
      input,
    );
    messages.push(ai);
    yield { type: 'model', iteration, message: ai };
    const calls = ai.tool_calls ?? [];
    if (calls.length === 0) {
      yield { type: 'final', iterations: iteration, stoppedBy: 'answer', messages };
      return;
    }
    const results = await Promise.all(
      calls.map(async (call, index) => {
        const id = call.id ?? `call_${iteration}_${index}`;
        const server = live.serverOf.get(call.name);
        const started = input.clock.now();
        const tool = byName.get(call.name);
        const message = tool
          ? await runTool(tool, { ...call, id }, server, input)
          : unavailable(call.name, id, server);
        return {
          type: 'tool' as const,
          iteration,
          tool: call.name,
          server,
          message,
          durationMs: input.clock.now() - started,
        };
      }),
    );
    shareResultBudget(results.map((step) => step.message));
    for (const step of results) {
      messages.push(step.message);
      yield step;
    }
  }
  yield { type: 'final', iterations: input.maxIterations, stoppedBy: 'maxIterations', messages };
}

/** The same tool objects in the same order (a refreshed listing makes new ones). */
function sameTools(a: readonly StructuredToolInterface[], b: readonly StructuredToolInterface[]): boolean {
  return a.length === b.length && a.every((tool, i) => tool === b[i]);
}

let modelCallIds = 0;

/**
 * One model turn, bounded by the turn's Deadline and reported like a tool call: `model.call.started`,
 * then `succeeded` (duration, tool calls, token usage) or `failed`. Whatever the model throws leaves as
 * a typed error naming the provider (`ModelError`; `CancelledError` when the caller aborted).
 */
async function callModel(
  bound: Runnable<BaseLanguageModelInput, unknown>,
  prompt: BaseMessage[],
  call: { turn: number; tools: number; who: ReturnType<typeof modelIdentity> },
  input: AgentLoopInput,
): Promise<AIMessage> {
  const { deadline, clock } = input;
  const bus = input.events?.bus;
  const started = clock.now();
  const callId = ++modelCallIds;
  const base = () => ({
    at: clock.now(),
    source: input.events?.source ?? 'team',
    provider: call.who.provider,
    model: call.who.model,
    turn: call.turn,
    callId,
  });
  if (bus?.observed) bus.emit({ type: 'model.call.started', ...base(), tools: call.tools });
  let ai: AIMessage;
  try {
    ai = (await bound.invoke(prompt, {
      signal: deadline.signal,
      ...(input.callbacks ? { callbacks: input.callbacks } : {}),
      ...(input.configurable ? { configurable: input.configurable } : {}),
    })) as AIMessage;
  } catch (e) {
    const error = classifyError(e, { model: call.who, signal: deadline.signal });
    if (bus?.observed) {
      bus.emit({
        type: 'model.call.failed',
        ...base(),
        durationMs: clock.now() - started,
        error: summary(error, bus),
      });
    }
    throw error;
  }
  if (bus?.observed) {
    bus.emit({
      type: 'model.call.succeeded',
      ...base(),
      durationMs: clock.now() - started,
      toolCalls: ai.tool_calls?.length ?? 0,
      usage: usageOf(ai),
    });
  }
  return ai;
}

/** The bus scrubs only the event types it knows carry text: this one carries a provider's words. */
function summary(error: AzcoreError, bus: EventBus) {
  return bus.redactor.redactDeep(summarizeError(error));
}

function usageOf(ai: AIMessage): ModelTokenUsage | undefined {
  const u = ai.usage_metadata;
  return u
    ? { inputTokens: u.input_tokens, outputTokens: u.output_tokens, totalTokens: u.total_tokens }
    : undefined;
}

async function runTool(
  tool: StructuredToolInterface,
  call: { id: string; name: string; args: Record<string, unknown> },
  server: string | undefined,
  input: AgentLoopInput,
): Promise<ToolMessage> {
  const invoke = async () => {
    const out: unknown = await tool.invoke(
      { ...call, type: 'tool_call' },
      {
        signal: input.deadline.signal,
        configurable: { ...input.configurable, deadline: input.deadline },
        ...(input.callbacks ? { callbacks: input.callbacks } : {}),
      },
    );
    return out instanceof ToolMessage
      ? out
      : new ToolMessage({
          content: typeof out === 'string' ? out : JSON.stringify(out),
          tool_call_id: call.id,
          name: call.name,
        });
  };
  try {
    return await (server ? input.limiterFor(server).run(invoke) : invoke());
  } catch (e) {
    // MCP tools never throw; a user's extra tool might. The turn goes on with the error as the result.
    const message = e instanceof Error ? e.message : String(e);
    return new ToolMessage({
      content: `Error: ${message}`,
      tool_call_id: call.id,
      name: call.name,
      status: 'error',
    });
  }
}

function unavailable(name: string, id: string, server: string | undefined): ToolMessage {
  const why = server ? `its server "${server}" is unavailable right now` : 'no tool with this name exists';
  return new ToolMessage({
    content: `Error [unavailable]: tool "${name}" cannot be called: ${why}. Use the tools offered, or answer with what you have.`,
    tool_call_id: id,
    name,
    status: 'error',
  });
}

/**
 * Bounds what one model turn's tool results add to the prompt: each text result is at most
 * {@link MAX_TOOL_RESULT_CHARS}, and when together they pass {@link MAX_TOOL_RESULTS_CHARS_PER_ITERATION}
 * each gets an equal share, cut with a note that says so.
 */
function shareResultBudget(results: readonly ToolMessage[]): void {
  const sizes = results.map(textLength);
  const total = sizes.reduce((sum, n) => sum + n, 0);
  const withText = sizes.filter((n) => n > 0).length;
  const share =
    total > MAX_TOOL_RESULTS_CHARS_PER_ITERATION
      ? Math.floor(MAX_TOOL_RESULTS_CHARS_PER_ITERATION / Math.max(1, withText))
      : MAX_TOOL_RESULT_CHARS;
  results.forEach((m, i) => {
    if ((sizes[i] ?? 0) <= share) return;
    if (typeof m.content === 'string') m.content = capText(m.content, share);
    else m.content = capTextBlocks(m.content, share) as ToolMessage['content'];
  });
}

type Block = { type?: unknown; text?: unknown };

/** Characters of text a ToolMessage gives the model (its text, or its text blocks; media not counted). */
function textLength(m: ToolMessage): number {
  if (typeof m.content === 'string') return m.content.length;
  return (m.content as Block[]).reduce(
    (sum, b) => sum + (b.type === 'text' && typeof b.text === 'string' ? b.text.length : 0),
    0,
  );
}

/** Text blocks cut to `share` characters together; other blocks (images, audio) kept. */
function capTextBlocks(blocks: readonly unknown[], share: number): unknown[] {
  let left = share;
  return blocks.flatMap((b) => {
    const block = b as Block;
    if (block.type !== 'text' || typeof block.text !== 'string') return [b];
    if (left <= 0) return [];
    const text = capText(block.text, left);
    left -= text.length;
    return [{ ...block, text }];
  });
}
