import type { Client, ElicitResult } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config/serverConfig.js';
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
      throw e;
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
        throw e;
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
