import type {
  Client,
  ClientContext,
  CreateMessageResult,
  ElicitResult,
  HandlerResultTypeMap,
  RequestTypeMap,
} from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config/serverConfig.js';
import { isAzcoreError } from '../errors/AzcoreError.js';
import { ToolError } from '../errors/ToolError.js';
import type { ElicitationHandler, SamplingHandler } from '../protocol/serverRequests.js';

/** What the server asked of the client and how it ended, for the owner's event. */
export interface ServerRequestOutcome {
  method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
  /** Elicitation mode (`form` or `url`). */
  mode?: 'form' | 'url' | undefined;
  /** `accept` / `decline` / `cancel` for elicitations; `answered` or `failed` otherwise. */
  outcome: 'accept' | 'decline' | 'cancel' | 'answered' | 'failed';
  /** True when no handler was configured and the default answered. */
  defaulted: boolean;
}

export interface ServerRequestHooks {
  onServerRequest?(outcome: ServerRequestOutcome): void;
}

/** A request handler of the SDK Client for one of the requests a server may send a client. */
type RequestHandler<M extends 'elicitation/create' | 'sampling/createMessage' | 'roots/list'> = (
  request: RequestTypeMap[M],
  ctx: ClientContext,
) => Promise<HandlerResultTypeMap[M]>;

/** What a session answers with: the user's handlers (either may be absent). */
export interface ServerRequestHandlers {
  elicitation?: ElicitationHandler | undefined;
  sampling?: SamplingHandler | undefined;
}

/**
 * The client's answers to server requests, registered on each fresh SDK Client of one session:
 * elicitation (declined at once without a handler, so a server never waits on nobody), sampling
 * when a handler is given, roots from the config. In 2026-07-28 the SDK routes `InputRequiredResult`
 * rounds through the same handlers, so one handler serves both eras. Extended by the session (one
 * object per connection), whose handler functions are bound once and shared by every Client it
 * registers them on (heap per idle connection, bench/scale.ts).
 */
export class ServerRequestAnswers<
  Handlers extends ServerRequestHandlers = ServerRequestHandlers,
  Hooks extends ServerRequestHooks = ServerRequestHooks,
> {
  // Protected, not private: the session that extends this reads them too (no second copy of each).
  protected readonly config: ServerConfig;
  protected readonly handlers: Handlers;
  protected readonly hooks: Hooks;
  #elicit: RequestHandler<'elicitation/create'> | undefined;
  #sample: RequestHandler<'sampling/createMessage'> | undefined;
  #listRoots: RequestHandler<'roots/list'> | undefined;

  constructor(config: ServerConfig, handlers: Handlers, hooks: Hooks) {
    this.config = config;
    this.handlers = handlers;
    this.hooks = hooks;
  }

  /** Registers the answers (elicitation, sampling, roots) on a fresh SDK Client. */
  registerAnswers(client: Client): void {
    // Bound, not an arrow: no context object besides the function.
    this.#elicit ??= this.#elicitation.bind(this);
    client.setRequestHandler('elicitation/create', this.#elicit);
    if (this.handlers.sampling) {
      this.#sample ??= this.#sampling.bind(this);
      client.setRequestHandler('sampling/createMessage', this.#sample);
    }
    const roots = this.config.roots;
    if (roots) {
      if (!this.#listRoots) {
        const list = roots.map((r) => (r.name === undefined ? { uri: r.uri } : { uri: r.uri, name: r.name }));
        this.#listRoots = async () => {
          this.#report({ method: 'roots/list', outcome: 'answered', defaulted: false });
          return { roots: list };
        };
      }
      client.setRequestHandler('roots/list', this.#listRoots);
    }
  }

  #report(outcome: ServerRequestOutcome): void {
    this.hooks.onServerRequest?.(outcome);
  }

  async #elicitation(
    request: RequestTypeMap['elicitation/create'],
    ctx: ClientContext,
  ): Promise<ElicitResult> {
    const params = request.params;
    const mode = params.mode === 'url' ? 'url' : 'form';
    const handler = this.handlers.elicitation;
    if (!handler) {
      this.#report({ method: 'elicitation/create', mode, outcome: 'decline', defaulted: true });
      return { action: 'decline' };
    }
    const server = this.config.name;
    try {
      const result = await handler(params, { server, signal: ctx.mcpReq.signal });
      this.#report({ method: 'elicitation/create', mode, outcome: result.action, defaulted: false });
      return result;
    } catch (e) {
      this.#report({ method: 'elicitation/create', mode, outcome: 'failed', defaulted: false });
      throw handlerFailure('elicitation', server, e, ctx.mcpReq.signal);
    }
  }

  async #sampling(
    request: RequestTypeMap['sampling/createMessage'],
    ctx: ClientContext,
  ): Promise<CreateMessageResult> {
    const params = request.params;
    const sampling = this.handlers.sampling as SamplingHandler;
    const server = this.config.name;
    try {
      const result = await sampling(params, { server, signal: ctx.mcpReq.signal });
      this.#report({ method: 'sampling/createMessage', outcome: 'answered', defaulted: false });
      return result;
    } catch (e) {
      this.#report({ method: 'sampling/createMessage', outcome: 'failed', defaulted: false });
      throw handlerFailure('sampling', server, e, ctx.mcpReq.signal);
    }
  }
}

/**
 * One of our handlers failed. In 2025 the error becomes the JSON-RPC answer the server's tool reports;
 * in 2026-07-28 the SDK fulfils input rounds inside `callTool`, so the error ends the call itself. Either
 * way it is the client's failure, not the server's: typed as a tool failure (the tool could not get its
 * input), it neither counts against the server's breaker nor reads "check the server log" (a plain
 * Error would be a ProtocolError UNEXPECTED, an AuthError would drop the connection). A cancellation
 * (the call aborted, the server cancelled) keeps its meaning.
 */
function handlerFailure(
  what: 'elicitation' | 'sampling',
  server: string,
  e: unknown,
  signal: AbortSignal,
): unknown {
  if (signal.aborted || (isAzcoreError(e) && e.kind === 'cancelled')) return e;
  // A typed error already names the server: keep its problem and hint, not its `[server] ` prefix.
  const reason = e instanceof Error ? e.message.replace(/^\[[^\]]*\] /, '') : String(e);
  return new ToolError(`The ${what} handler of this client failed: ${reason}`, {
    server,
    code: isAzcoreError(e) ? e.code : `${what.toUpperCase()}_HANDLER_FAILED`,
    cause: e,
    retryable: false,
  });
}
