import type { Client, ElicitResult } from '@modelcontextprotocol/client';
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

/**
 * Registers the client's answers to server requests on a fresh SDK Client: elicitation (declined
 * at once without a handler, so a server never waits on nobody), sampling when a handler is
 * given, roots from the config. In 2026-07-28 the SDK routes `InputRequiredResult` rounds through
 * the same handlers, so one handler serves both eras.
 */
export function answerServerRequests(
  client: Client,
  config: ServerConfig,
  handlers: { elicitation?: ElicitationHandler | undefined; sampling?: SamplingHandler | undefined },
  hooks: ServerRequestHooks,
): void {
  const server = config.name;
  const report = (outcome: ServerRequestOutcome) => hooks.onServerRequest?.(outcome);

  client.setRequestHandler('elicitation/create', async (request, ctx) => {
    const params = request.params;
    const mode = params.mode === 'url' ? 'url' : 'form';
    const handler = handlers.elicitation;
    if (!handler) {
      report({ method: 'elicitation/create', mode, outcome: 'decline', defaulted: true });
      return { action: 'decline' } satisfies ElicitResult;
    }
    try {
      const result = await handler(params, { server, signal: ctx.mcpReq.signal });
      report({ method: 'elicitation/create', mode, outcome: result.action, defaulted: false });
      return result;
    } catch (e) {
      report({ method: 'elicitation/create', mode, outcome: 'failed', defaulted: false });
      throw handlerFailure('elicitation', server, e, ctx.mcpReq.signal);
    }
  });

  const sampling = handlers.sampling;
  if (sampling) {
    client.setRequestHandler('sampling/createMessage', async (request, ctx) => {
      try {
        const result = await sampling(request.params, { server, signal: ctx.mcpReq.signal });
        report({ method: 'sampling/createMessage', outcome: 'answered', defaulted: false });
        return result;
      } catch (e) {
        report({ method: 'sampling/createMessage', outcome: 'failed', defaulted: false });
        throw handlerFailure('sampling', server, e, ctx.mcpReq.signal);
      }
    });
  }

  const roots = config.roots;
  if (roots) {
    const list = roots.map((r) => (r.name === undefined ? { uri: r.uri } : { uri: r.uri, name: r.name }));
    client.setRequestHandler('roots/list', async () => {
      report({ method: 'roots/list', outcome: 'answered', defaulted: false });
      return { roots: list };
    });
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
