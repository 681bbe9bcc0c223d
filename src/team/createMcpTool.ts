import type { CallbackManagerForToolRun } from '@langchain/core/callbacks/manager';
import { ToolMessage } from '@langchain/core/messages';
import {
  StructuredTool,
  type StructuredToolCallInput,
  ToolInputParsingException,
  type ToolReturnType,
  type ToolRunnableConfig,
} from '@langchain/core/tools';
import type { JSONSchema } from '@langchain/core/utils/json_schema';
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import type { CallOptions } from '../actors/ServerConnection.js';
import type { AzcoreError } from '../errors/AzcoreError.js';
import { classifyError } from '../errors/classifyError.js';
import { InputError } from '../errors/InputError.js';
import { ToolError } from '../errors/ToolError.js';
import { summarizeError } from '../events/EventBus.js';
import type { ErrorSummary } from '../events/RuntimeEvent.js';
import { Deadline } from '../resilience/Deadline.js';
import { capText, formatToolResult, type ToolResultContent, toolResultContent } from './formatToolResult.js';
import { MAX_TOOL_DESCRIPTION_CHARS, MAX_TOOL_RESULT_CHARS } from './toolLimits.js';
import { compileInputSchema, validateArguments } from './validateArguments.js';

/** What {@link createMcpTool} needs of a server: a `ServerConnection` fits. */
export interface McpToolServer {
  readonly name: string;
  callTool(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<CallToolResult>;
}

/** Options of {@link createMcpTool}. */
export interface CreateMcpToolOptions {
  /** The model-facing name, usually from `qualifiedToolName`. */
  name: string;
  /** Budget of one call in ms (default: the server's request timeout); a turn's Deadline caps it. */
  timeoutMs?: number | undefined;
  /** Cap of the text the model gets (default 20 000 characters). */
  maxResultChars?: number | undefined;
  /** Told once, at creation, when the input schema cannot be compiled (a pino Logger fits). */
  logger?: { warn(details: object, message: string): void } | undefined;
  /**
   * Compile the input schema at the first call instead of at creation (a registry wrapping a
   * server's whole list sets it, so a listing of 128 new schemas does not hold the event loop).
   */
  lazyValidation?: boolean | undefined;
  /**
   * Asked before each call: an error means the server cannot take the call now, and the call fails
   * at once with it instead of waiting for a reconnect (tools handed to an agent of one's own).
   */
  unavailable?: (() => AzcoreError | undefined) | undefined;
  /** Runs each call (e.g. a per-server `Semaphore`, bounding concurrent calls). */
  limiter?: { run<T>(fn: () => Promise<T>): Promise<T> } | undefined;
}

/**
 * The artifact of every {@link McpStructuredTool} ToolMessage (never sent to the model): which
 * server and MCP tool answered, and how the call failed, for the agent loop and the tool router.
 */
export interface McpToolArtifact {
  readonly server: string;
  /** The MCP tool name (not the qualified one). */
  readonly tool: string;
  /** True for `isError` results and for typed failures (input, timeout, connection, ...). */
  readonly isError: boolean;
  /** Set when `isError`: kind `tool` for an `isError` result, otherwise the typed failure. */
  readonly error?: ErrorSummary;
  /** The raw MCP result (images, structuredContent...), when the server answered. */
  readonly result?: CallToolResult;
  /** The input schema could not be compiled: the arguments were sent unchecked. */
  readonly warning?: string;
}

/** True when `value` looks like a {@link McpToolArtifact} (e.g. `toolMessage.artifact`). */
export function isMcpToolArtifact(value: unknown): value is McpToolArtifact {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.server === 'string' && typeof v.tool === 'string' && typeof v.isError === 'boolean';
}

type McpArgs = Record<string, unknown>;

/** What LangChain's own input check sees (our validator has already checked the arguments). */
const PERMISSIVE_SCHEMA: JSONSchema = { type: 'object' };

const ARGUMENTS_HINT = "Fix the arguments to match the tool's input schema and call it again.";

interface Outcome {
  readonly text: ToolResultContent;
  readonly artifact: McpToolArtifact;
}

/**
 * An MCP tool as a LangChain structured tool. Its schema is the MCP `inputSchema`, so `bindTools`
 * sends it to the model unchanged. It never throws for a failed call: the model reads
 * `Error...` text and, when invoked with a ToolCall, the ToolMessage has `status: 'error'` and a
 * {@link McpToolArtifact}.
 */
export class McpStructuredTool extends StructuredTool<JSONSchema, McpArgs, McpArgs, ToolResultContent> {
  static override lc_name(): string {
    return 'McpStructuredTool';
  }

  name: string;
  description: string;
  schema: JSONSchema;
  /** The server's name (config key). */
  readonly server: string;
  /** The MCP tool definition this wraps. */
  readonly mcpTool: Tool;
  readonly #target: McpToolServer;
  readonly #options: CreateMcpToolOptions;
  #warning: string | undefined;
  #compiled = false;

  constructor(server: McpToolServer, tool: Tool, options: CreateMcpToolOptions) {
    super({
      responseFormat: 'content_and_artifact',
      verboseParsingErrors: true,
      metadata: { mcpServer: server.name, mcpTool: tool.name },
    });
    this.name = options.name;
    // A server writes the description: the model sees at most MAX_TOOL_DESCRIPTION_CHARS of it.
    this.description = `[${server.name}] ${capText(String(tool.description ?? tool.title ?? tool.name), MAX_TOOL_DESCRIPTION_CHARS)}`;
    this.schema = tool.inputSchema as JSONSchema;
    this.server = server.name;
    this.mcpTool = tool;
    this.#target = server;
    this.#options = options;
    // Compile now, so a broken schema is reported once when the tool is made (unless lazy).
    if (!options.lazyValidation) this.#compileOnce();
  }

  /** Compiles the input schema (once) and reports a schema that cannot be compiled. */
  #compileOnce(): void {
    if (this.#compiled) return;
    this.#compiled = true;
    this.#warning = compileInputSchema(this.server, this.mcpTool).warning;
    if (this.#warning)
      this.#options.logger?.warn({ server: this.server, tool: this.mcpTool.name }, this.#warning);
  }

  /**
   * Validates the arguments with the tool's schema (a failure sends nothing), then runs the call.
   * Never rejects for a failed call.
   */
  override async call<
    TArg extends StructuredToolCallInput<JSONSchema, McpArgs>,
    TConfig extends ToolRunnableConfig | undefined,
  >(
    arg: TArg,
    configArg?: TConfig,
    tags?: string[],
  ): Promise<ToolReturnType<NonNullable<TArg>, TConfig, ToolResultContent>> {
    type Output = ToolReturnType<NonNullable<TArg>, TConfig, ToolResultContent>;
    // As invoke() does: the ToolCall travels in the config, so _call can answer with a ToolMessage.
    const toolCall = isToolCall(arg) ? arg : configArg?.toolCall;
    const args: unknown = isToolCall(arg) ? arg.args : arg;
    // Callbacks name the tool run after the tool (as DynamicStructuredTool does).
    const config: ToolRunnableConfig = {
      ...configArg,
      runName: configArg?.runName ?? this.name,
      ...(toolCall ? { toolCall } : {}),
    };
    const toolCallId = toolCall?.id;
    if (args !== undefined && !isRecord(args)) {
      const error = new InputError(`${this.mcpTool.name}: the arguments must be a JSON object.`, {
        server: this.server,
        hint: ARGUMENTS_HINT,
      });
      return this.#message(this.#failure(error), toolCallId) as Output;
    }
    const input: McpArgs = isRecord(args) ? args : {};
    this.#compileOnce();
    const check = validateArguments(this.server, this.mcpTool, input);
    if (!check.valid) return this.#message(this.#failure(check.error), toolCallId) as Output;
    // LangChain's own check rejects or throws on most schemas ajv cannot compile: go around it
    // (without LangChain callbacks) so a broken schema does not block the tool.
    if (check.warning) return this.#message(await this.#run(input, config), toolCallId) as Output;
    try {
      return (await this.#callPastLangChainCheck(input, config, tags)) as Output;
    } catch (e) {
      return this.#message(this.#failure(this.#classify(e)), toolCallId) as Output;
    }
  }

  /**
   * `super.call` without LangChain's second schema check: ours (bounded, see safePattern.ts) has
   * passed, and LangChain's validator would run a server's `pattern`s natively on input of any
   * length. That check runs synchronously when `super.call` starts, so the schema it reads is a
   * permissive one only for that moment; `schema` (what the model sees) is back before any await.
   */
  #callPastLangChainCheck(input: McpArgs, config: ToolRunnableConfig, tags: string[] | undefined) {
    const schema = this.schema;
    this.schema = PERMISSIVE_SCHEMA;
    try {
      return super.call(input, config, tags);
    } finally {
      this.schema = schema;
    }
  }

  protected override async _call(
    args: McpArgs,
    _runManager?: CallbackManagerForToolRun,
    config?: ToolRunnableConfig,
  ): Promise<ToolResultContent> {
    const outcome = await this.#run(args ?? {}, config);
    // responseFormat 'content_and_artifact': LangChain unpacks this pair; invoke() without a
    // ToolCall returns the content (text, or content blocks), which is what the declared output type says.
    const pair: [ToolResultContent | ToolMessage, McpToolArtifact] = [
      this.#message(outcome, config?.toolCall?.id),
      outcome.artifact,
    ];
    return pair as unknown as ToolResultContent;
  }

  async #run(args: McpArgs, config: ToolRunnableConfig | undefined): Promise<Outcome> {
    const signal = config?.signal;
    const given: unknown = config?.configurable?.deadline;
    const deadline = given instanceof Deadline ? given : undefined;
    // Already cancelled or out of time: say so without sending anything.
    if (signal?.aborted) return this.#failure(this.#classify(signal.reason, signal));
    if (deadline?.expired) return this.#failure(this.#classify(expiredError(deadline), deadline.signal));
    const unavailable = this.#options.unavailable?.();
    if (unavailable) return this.#failure(unavailable);
    let result: CallToolResult;
    try {
      const call = () =>
        this.#target.callTool(this.mcpTool.name, args, {
          timeout: this.#options.timeoutMs,
          signal,
          deadline,
        });
      result = await (this.#options.limiter ? this.#options.limiter.run(call) : call());
    } catch (e) {
      return this.#failure(this.#classify(e));
    }
    if (result.isError !== true) {
      // Images and audio pass as content blocks (within their byte bounds); text stays text.
      const content = toolResultContent(result, { maxChars: this.#maxChars });
      return { text: content, artifact: this.#artifact({ isError: false, result }) };
    }
    // An error's text gets the 'Error: ' prefix: cut it once, so the note tells the real size.
    const text = formatToolResult(result, { maxChars: this.#maxChars - 'Error: '.length });
    const error = new ToolError(`${this.mcpTool.name} reported an error: ${text}`, {
      server: this.server,
      tool: this.mcpTool.name,
      toolMessage: text,
    });
    return {
      text: capText(`Error: ${text}`, this.#maxChars),
      artifact: this.#artifact({ isError: true, error: summarizeError(error), result }),
    };
  }

  #failure(error: AzcoreError): Outcome {
    return {
      // A server chooses the error text (a 1 MB JSON-RPC error message): capped like a result.
      text: capText(`Error [${error.kind}/${error.code}]: ${error.message}`, this.#maxChars),
      artifact: this.#artifact({ isError: true, error: summarizeError(error) }),
    };
  }

  get #maxChars(): number {
    return this.#options.maxResultChars ?? MAX_TOOL_RESULT_CHARS;
  }

  #artifact(facts: Pick<McpToolArtifact, 'isError' | 'error' | 'result'>): McpToolArtifact {
    return {
      server: this.server,
      tool: this.mcpTool.name,
      ...facts,
      ...(this.#warning ? { warning: this.#warning } : {}),
    };
  }

  /** The ToolMessage for a ToolCall, the plain text otherwise. */
  #message(outcome: Outcome, toolCallId: string | undefined): ToolResultContent | ToolMessage {
    if (!toolCallId) return outcome.text;
    return new ToolMessage({
      content: outcome.text,
      artifact: outcome.artifact,
      status: outcome.artifact.isError ? 'error' : 'success',
      tool_call_id: toolCallId,
      name: this.name,
      metadata: this.metadata ?? {},
      // Standard (v1) content blocks: providers convert them their way, e.g. Chat Completions,
      // whose tool messages take text only, sends the text blocks instead of failing on an image.
      ...(typeof outcome.text === 'string' ? {} : { response_metadata: { output_version: 'v1' } }),
    });
  }

  #classify(e: unknown, signal?: AbortSignal): AzcoreError {
    // LangChain's own schema check (after ours passed): still the caller's arguments.
    if (e instanceof ToolInputParsingException) {
      return new InputError(`${this.mcpTool.name}: ${e.message.replace(/\s+/g, ' ').trim()}`, {
        server: this.server,
        cause: e,
        hint: ARGUMENTS_HINT,
      });
    }
    return classifyError(e, { server: this.server, signal });
  }
}

/**
 * Wraps one MCP tool of a server as a LangChain tool. Arguments are checked against the MCP
 * `inputSchema` before anything is sent; the per-call `config.signal` and
 * `config.configurable.deadline` (a {@link Deadline}) reach `server.callTool`. Failures come back
 * as text (`Error: ...` for `isError` results, `Error [kind/code]: ...` for typed failures) and,
 * for a ToolCall, as a ToolMessage with `status: 'error'` and a {@link McpToolArtifact}.
 *
 * @example
 * const tools = (await files.listTools()).map((t) =>
 *   createMcpTool(files, t, { name: qualifiedToolName(files.name, t.name, taken) }));
 * const reply = await tools[0].invoke(
 *   { id: 'call_1', name: tools[0].name, args: { path: '/tmp' }, type: 'tool_call' },
 *   { signal, configurable: { deadline: turn } },
 * ); // ToolMessage, status 'success' or 'error'
 */
export function createMcpTool(
  server: McpToolServer,
  tool: Tool,
  options: CreateMcpToolOptions,
): McpStructuredTool {
  return new McpStructuredTool(server, tool, options);
}

function isRecord(value: unknown): value is McpArgs {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isToolCall(
  value: unknown,
): value is { id?: string; name: string; args: McpArgs; type: 'tool_call' } {
  return typeof value === 'object' && value !== null && 'type' in value && value.type === 'tool_call';
}

/** The deadline's own failure: its abort reason, or the TimeoutError it throws once spent. */
function expiredError(deadline: Deadline): unknown {
  try {
    deadline.throwIfExpired();
  } catch (e) {
    return e;
  }
  return deadline.signal.reason;
}
